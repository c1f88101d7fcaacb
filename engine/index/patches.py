"""The Layers tab's top patches answered from an index: the photos that excite a channel most, each cropped
to the receptive field of its peak (no pass over the folder, only the k photos are read)."""
from __future__ import annotations

import itertools
import os
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..channels import LayerActivations, Patch, channel_overlay, crop_at, receptive_field
from ..imaging import load_image
from ..jobs import Frame
from ..models import Classifier
from .identity import model_sha256
from .shard import decoders
from .store import IndexFileError, IndexStore

__all__ = ["IndexPatches", "index_patches_job", "similar_photos_job", "same_model"]

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
    """``Frame.info`` of :func:`index_patches_job` (and of :func:`similar_photos_job`, ``channel`` -1): the
    patches (``Patch.source`` indexes ``paths``), how many photos the index holds, and the photos that could
    no longer be read."""

    layer: str
    channel: int
    patches: list[Patch]
    paths: list[str]
    photos: int
    missing: list[str]


def index_patches_job(index: str | os.PathLike, model: Classifier, layer: str, channel: int, *, k: int = 9,
                      whole: bool = False) -> Iterator[Frame]:
    """Job: the top-``k`` photos of ``channel`` of ``layer`` from the index file ``index``, each cropped around
    its peak, or with ``whole`` the whole photos as the model sees them with the channel's map over them and
    the peak framed (one batched pass over the ``k`` photos).  Refuses (``IndexFileError``) an index made with
    another model or without the layer."""
    store = IndexStore(index, readonly=True)
    try:
        if not same_model(store, model):
            raise IndexFileError(f"{index}: made with the model {store.meta['model']} (weights sha256 "
                                 f"{store.meta['model_sha256'][:12]}…), not {model.name} ({_hashes[model][:12]}…)")
        rows, photos, folder = store.top(layer, channel, None), store.count(), store.meta["folder"]
    finally:
        store.close()
    paths = [os.path.join(folder, *rel.split("/")) for rel, *_ in rows]
    first = decoders().map(lambda path: _view(model, path), paths[:k])   # the k likely shown: in parallel, in order
    views = itertools.chain(first, (_view(model, path) for path in paths[k:]))
    kept, missing = [], []
    for (_rel, value, y, x), path, view in zip(rows, paths, views):
        if view is None:
            missing.append(path)   # moved or changed since it was indexed: the next one takes its place
            continue
        kept.append((float(value), int(y), int(x), path, view))
        if len(kept) == k:
            break
    pictures = _whole(model, layer, channel, kept) if whole else _crops(model, layer, kept)
    patches = [Patch(v, i, (x, y), picture) for i, ((v, y, x, _p, _v), picture) in enumerate(zip(kept, pictures))]
    yield Frame(step=1, total=1, final=True,
                info=IndexPatches(layer, channel, patches, [p for *_, p, _v in kept], photos, missing))


def _crops(model: Classifier, layer: str, kept: list) -> list[np.ndarray]:
    stride, half = receptive_field(model, layer)
    return [crop_at(view, y, x, stride, half) for _v, y, x, _p, view in kept]


def _whole(model: Classifier, layer: str, channel: int, kept: list) -> list[np.ndarray]:
    """Each photo with ``channel``'s map over it and a frame around the receptive field of its peak."""
    if not kept:
        return []
    with torch.inference_mode():
        maps = model.features(model.preprocess([view for *_, view in kept]), layer)[:, channel].float().cpu().numpy()
    stride, half = receptive_field(model, layer)
    out = []
    for (_v, y, x, _p, view), amap in zip(kept, maps):
        picture = channel_overlay(view, LayerActivations(layer, amap[None]), 0, opacity=0.5)
        cy, cx = int((y + 0.5) * stride), int((x + 0.5) * stride)
        y0, x0 = max(0, cy - half), max(0, cx - half)
        y1, x1 = min(picture.shape[0], cy + half) - 1, min(picture.shape[1], cx + half) - 1
        for ys, xs in ((slice(y0, y0 + 2), slice(x0, x1)), (slice(y1 - 1, y1 + 1), slice(x0, x1)),
                       (slice(y0, y1), slice(x0, x0 + 2)), (slice(y0, y1), slice(x1 - 1, x1 + 1))):
            picture[ys, xs] = 255
        out.append(picture)
    return out


def similar_photos_job(index: str | os.PathLike, model: Classifier, maxima: np.ndarray, layer: str, *,
                       k: int = 9) -> Iterator[Frame]:
    """Job: the ``k`` indexed photos whose channels of ``layer`` respond most like ``maxima`` (a photo's
    per-channel maxima), each as the model sees it (``Patch.activation``: the cosine similarity)."""
    from .query import similar_photos

    store = IndexStore(index, readonly=True)
    try:
        if not same_model(store, model):
            raise IndexFileError(f"{index}: made with the model {store.meta['model']}, not {model.name}")
        found, photos = similar_photos(store, maxima, layer, k), store.count()
    finally:
        store.close()
    paths = [p["path"] for p in found["photos"]]
    views = list(decoders().map(lambda path: _view(model, path), paths))
    kept = [(p, v, s["similarity"]) for p, v, s in zip(paths, views, found["photos"]) if v is not None]
    patches = [Patch(float(s), i, (0, 0), v) for i, (_p, v, s) in enumerate(kept)]
    yield Frame(step=1, total=1, final=True, info=IndexPatches(layer, -1, patches, [p for p, _v, _s in kept], photos,
                                                               [p for p, v in zip(paths, views) if v is None]))


def _view(model: Classifier, path: str) -> np.ndarray | None:
    try:
        return model.prepare(load_image(path))
    except ValueError:
        return None
