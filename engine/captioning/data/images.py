"""Lazy sequences of a split's images, so a viewer can show image ``i`` of a
dataset without all images being held in memory (``data.split('val').images[i]``
-> uint8 HxWx3)."""
from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ...imaging import load_image
from .scenes import Scene, render_scene

__all__ = ["RenderedImages", "FileImages"]


class RenderedImages(Sequence):
    """The generated scenes of a split, rendered on demand."""

    def __init__(self, scenes: Sequence[Scene], size: int) -> None:
        self.scenes = list(scenes)
        self.size = int(size)

    def __len__(self) -> int:
        return len(self.scenes)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return render_scene(self.scenes[int(i)], self.size)


class FileImages(Sequence):
    """Image files of a split, read on demand with :func:`engine.imaging.load_image`
    (which raises :class:`~engine.imaging.ImageLoadError` for a bad file)."""

    def __init__(self, paths: Sequence[str | os.PathLike]) -> None:
        self.paths = [os.fsdecode(p) for p in paths]

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i):  # type: ignore[override]
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return load_image(self.paths[int(i)])

    def as_array(self) -> np.ndarray:
        return np.asarray(self.paths, dtype=str)
