"""The importance mask beside a generated picture: where the objective's
gradient fell, summed over the steps (MACO's mask, Fel et al. 2023), from the
frames' :class:`~engine.generation.importance.ImportanceMap`."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QWidget

from engine.generation.importance import ImportanceMap
from engine.jobs import Frame

from .image_panel import ImagePanel

__all__ = ["ImportancePanel"]


class ImportancePanel(ImagePanel):
    """A read-only panel showing the mask of the latest frame that carries one (white = mattered most)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Importance", hint="Where the objective's gradient fell, summed over the steps "
                                            "(MACO's mask): bright = mattered", accept_drops=False, parent=parent)

    def show_frame(self, frame: Frame) -> None:
        """Show ``frame``'s mask, when it has one."""
        if isinstance(frame.info, ImportanceMap) and frame.info.mask is not None:
            grey = np.round(frame.info.mask * 255.0).astype(np.uint8)
            self.set_image(np.repeat(grey[..., None], 3, axis=2))
