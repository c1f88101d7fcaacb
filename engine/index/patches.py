"""The Layers tab's top patches answered from an index: the photos that excite a channel most, each cropped
to the receptive field of its peak (no pass over the folder, only the k photos are read)."""
from __future__ import annotations

import itertools
import os
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..channels import Patch, crop_at, receptive_field
from ..imaging import load_image
from ..jobs import Frame
from ..models import Classifier
from .identity import model_sha256
from .shard import decoders
from .store import IndexFileError, IndexStore

__all__ = ["IndexPatches", "index_patches_job", "same_model"]

_hashes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def same_model(store: IndexStore | dict, model: Classifier) -> bool:
    """Whether an index (its store or its ``meta``) was made with ``model``'s weights (the hash of the
    weights is computed once per model: about 30 ms for EfficientNet-Lite0)."""
    if model not in _hashes:
        _hashes[model] = model_sha256(model)
    meta = store.meta if isinstance(store, IndexStore) else store
    return meta["model_sha256"] == _hashes[model]


@dataclass(frozen=True)
class IndexPatches:
    """``Frame.info`` of :func:`index_patches_job`: the patches (``Patch.source`` indexes ``paths``), how many
    photos the index holds, and the photos of the top-k that could no longer be read."""

    layer: str
    channel: int
    patches: list[Patch]
    paths: list[str]
    photos: int
    missing: list[str]


def index_patches_job(index: str | os.PathLike, model: Classifier, layer: str, channel: int, *,
                      k: int = 9) -> Iterator[Frame]:
    """Job: the top-``k`` photos of ``channel`` of ``layer`` from the index file ``index``, each cropped around
    its peak.  Refuses (``IndexFileError``) an index made with another model or without the layer."""
    store = IndexStore(index, readonly=True)
    try:
        if not same_model(store, model):
            raise IndexFileError(f"{index}: made with the model {store.meta['model']} (weights sha256 "
                                 f"{store.meta['model_sha256'][:12]}…), not {model.name} ({_hashes[model][:12]}…)")
        rows, photos, folder = store.top(layer, channel, None), store.count(), store.meta["folder"]
    finally:
        store.close()
    stride, half = receptive_field(model, layer)
    paths = [os.path.join(folder, *rel.split("/")) for rel, *_ in rows]
    first = decoders().map(lambda path: _view(model, path), paths[:k])   # the k likely shown: in parallel, in order
    views = itertools.chain(first, (_view(model, path) for path in paths[k:]))
    patches, found, missing = [], [], []
    for (_rel, value, y, x), path, view in zip(rows, paths, views):
        if view is None:
            missing.append(path)   # moved or changed since it was indexed: the next one takes its place
            continue
        patches.append(Patch(float(value), len(found), (int(x), int(y)), crop_at(view, y, x, stride, half)))
        found.append(path)
        if len(patches) == k:
            break
    yield Frame(step=1, total=1, final=True, info=IndexPatches(layer, channel, patches, found, photos, missing))


def _view(model: Classifier, path: str) -> np.ndarray | None:
    try:
        return model.prepare(load_image(path))
    except ValueError:
        return None
