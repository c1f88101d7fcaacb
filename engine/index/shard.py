"""The map step of indexing: one shard of photos through the network.

Photos are read and decoded on a pool of threads (PIL and hashing release the
GIL) ahead of the batched forward passes, which give every chosen layer at
once; each channel is reduced to its maximum and where it is.  The result is
small and picklable, so a shard can run on another machine (Dask)."""
from __future__ import annotations

import hashlib
import os
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from ..imaging import load_image
from ..jobs import Cancelled
from ..models import Classifier
from .store import PhotoRecord
from .topk import TopK

__all__ = ["Item", "ShardResult", "index_shard", "read_photo"]

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def decoders() -> ThreadPoolExecutor:
    """The threads that read and decode photos (shared by every index job of the process)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=max(2, min(8, os.cpu_count() or 2)), thread_name_prefix="nl-decode")
        return _pool


@dataclass(frozen=True)
class Item:
    """A photo to index: its id, path relative to the folder, size and modification time."""

    id: int
    path: str
    size: int
    mtime_ns: int


@dataclass
class ShardResult:
    """What a shard hands back: a record for every photo it got to (in order), the maxima of the readable
    ones (per layer: values, ys, xs, each (n, C)) with their ids, and the shard's own top-k per layer."""

    records: list[PhotoRecord]
    ids: np.ndarray
    maxima: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    tops: dict[str, TopK]
    model_sha256: str = ""
    stopped: bool = False


def read_photo(folder: str, item: Item, model: Classifier) -> tuple[PhotoRecord, np.ndarray | None]:
    """Read, hash and decode one photo into the model's view; an unreadable one gives its reason."""
    path = os.path.join(folder, *item.path.split("/"))
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return PhotoRecord(item.id, item.path, item.size, item.mtime_ns, "", f"cannot be read ({exc.strerror or exc})"), None
    sha = hashlib.sha256(data).hexdigest()
    try:
        view = model.prepare(load_image(data))
    except ValueError as exc:  # ImageLoadError names "<image data>": give the reason only
        return PhotoRecord(item.id, item.path, item.size, item.mtime_ns, sha, getattr(exc, "reason", str(exc))), None
    return PhotoRecord(item.id, item.path, item.size, item.mtime_ns, sha), view


def _decoded(folder: str, items: Sequence[Item], model: Classifier,
             ahead: int) -> Iterator[tuple[PhotoRecord, np.ndarray | None]]:
    """``read_photo`` of every item in order, up to ``ahead`` of them decoding at once on the pool."""
    pool, pending, queue = decoders(), iter(items), deque()
    try:
        for item in pending:
            queue.append(pool.submit(read_photo, folder, item, model))
            if len(queue) >= ahead:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()
    finally:
        for future in queue:
            future.cancel()


@torch.inference_mode()
def _reduce(model: Classifier, views: list[np.ndarray], layers: Sequence[str]) -> dict[str, tuple[np.ndarray, ...]]:
    """Per layer: each channel's maximum over its map and the (y, x) of the first maximum, (n, C) each."""
    features = model.features_at(model.preprocess(views), list(layers))
    out = {}
    for name in layers:
        f = features[name].float()
        values, flat = f.flatten(2).max(dim=2)
        out[name] = (values.cpu().numpy(), (flat // f.shape[3]).cpu().numpy().astype(np.int32),
                     (flat % f.shape[3]).cpu().numpy().astype(np.int32))
    return out


def index_shard(model: Classifier, folder: str, items: Sequence[Item], layers: Sequence[str], *, k: int,
                batch: int = 16, stop: Callable[[], bool] = lambda: False) -> ShardResult:
    """Index ``items`` of ``folder``: batches of ``batch`` readable photos through the network, every layer of
    ``layers`` at once.  When ``stop()`` turns true (or the pass is cancelled) the photos done so far are
    handed back (``stopped``); the rest are left for the next run."""
    records: list[PhotoRecord] = []
    parts: list[tuple[list[PhotoRecord], dict]] = []
    waiting: list[tuple[PhotoRecord, np.ndarray]] = []
    stopped = False

    def flush() -> None:
        parts.append(([r for r, _ in waiting], _reduce(model, [v for _, v in waiting], layers)))
        records.extend(r for r, _ in waiting)
        waiting.clear()

    decoded = _decoded(folder, items, model, ahead=2 * batch)
    try:
        for record, view in decoded:
            if view is None:
                records.append(record)
            else:
                waiting.append((record, view))
            if len(waiting) == batch:
                flush()
            if stop():
                stopped = True
                break
        if waiting and not stopped:
            flush()
    except Cancelled:
        stopped = True
    finally:
        decoded.close()
    return _result(records, parts, layers, k, stopped)


def _result(records, parts, layers, k: int, stopped: bool) -> ShardResult:
    ids = np.array([r.id for rs, _ in parts for r in rs], np.int64)
    maxima = {name: tuple(np.concatenate([p[name][j] for _, p in parts]) if parts else np.zeros((0, 0), np.float32)
                          for j in range(3)) for name in layers}
    tops = {name: TopK.of_photos(*maxima[name], ids, k) for name in layers if parts}
    return ShardResult(records, ids, maxima, tops, stopped=stopped)
