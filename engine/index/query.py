"""Reading an index: the photos that excite a channel most, best first."""
from __future__ import annotations

import os

from .store import IndexStore

__all__ = ["top_photos"]


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
