"""Reading an index: the photos that excite a channel most, best first; the photos whose channels respond
like a given photo's."""
from __future__ import annotations

import os

import numpy as np

from .store import IndexFileError, IndexStore

__all__ = ["top_photos", "similar_photos"]


def top_photos(index: str | os.PathLike | IndexStore, layer: str, channel: int, k: int = 16) -> dict:
    """``{"layer", "channel", "photos": [{"path", "value", "y", "x"}]}`` for ``channel`` of ``layer``, best
    first: ``path`` in the indexed folder, ``value`` the photo's maximum activation of the channel and
    (``y``, ``x``) the feature-map position of that maximum (the layer's map size is ``map``)."""
    store = index if isinstance(index, IndexStore) else IndexStore(index, readonly=True)
    try:
        info = store.layer(layer)
        folder = store.meta["folder"]
        photos = [{"path": os.path.join(folder, *path.split("/")), "value": value, "y": y, "x": x}
                  for path, value, y, x in store.top(layer, int(channel), k)]
        return {"layer": layer, "channel": int(channel), "map": [info.height, info.width], "photos": photos}
    finally:
        if store is not index:
            store.close()


def similar_photos(index: str | os.PathLike | IndexStore, maxima: np.ndarray, layer: str, k: int = 8) -> dict:
    """The ``k`` indexed photos whose per-channel maxima of ``layer`` point the most the same way as
    ``maxima`` (a photo's, (C,)): cosine similarity, highest first, streamed over the index (memory flat).
    ``{"layer", "photos": [{"path", "similarity"}]}``."""
    store = index if isinstance(index, IndexStore) else IndexStore(index, readonly=True)
    try:
        info = store.layer(layer)
        query = np.asarray(maxima, np.float32).reshape(-1)
        if query.size != info.channels:
            raise IndexFileError(f"layer {layer} has {info.channels} channels in the index, not {query.size}")
        query = query / max(float(np.linalg.norm(query)), 1e-12)
        best: list[tuple[float, str]] = []
        for paths, values in store.iter_maxima(layer):
            sims = values @ query / np.maximum(np.linalg.norm(values, axis=1), 1e-12)
            best = sorted(best + list(zip(sims.tolist(), paths)), key=lambda t: (-t[0], t[1]))[:k]
        folder = store.meta["folder"]
        photos = [{"path": os.path.join(folder, *p.split("/")), "similarity": s} for s, p in best]
        return {"layer": layer, "photos": photos}
    finally:
        if store is not index:
            store.close()
