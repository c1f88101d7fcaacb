"""``index_job``: index a folder of photos (a job like every other: a generator of
:class:`engine.jobs.Frame`, steered by a :class:`engine.jobs.Control`).

The work is a map over shards of the folder (:func:`engine.index.shard.index_shard`)
and a reduction that merges exactly (:class:`engine.index.topk.TopK`); each
shard's photos, maxima and the merged top-k are written in one transaction, so
a stopped or killed run keeps everything up to its last shard and the next run
carries on from there."""
from __future__ import annotations

import os
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass

from ..jobs import Control, Frame
from ..models import Classifier
from .identity import layer_shapes, model_sha256, preprocessing
from .plan import make_plan, scan_folder
from .runners import ModelSpec, cluster_results, local_results
from .store import IndexFileError, IndexStore
from .topk import TopK

__all__ = ["IndexProgress", "IndexSummary", "index_job", "open_for", "DEFAULT_SHARD"]

DEFAULT_SHARD = 128


@dataclass(frozen=True)
class IndexProgress:
    """``Frame.info`` while indexing: photos done of those to do this run, how many could not be read, the
    rate and the time left (seconds, None until measured)."""

    done: int
    todo: int
    unreadable: int
    photos_per_s: float
    seconds_left: float | None


@dataclass(frozen=True)
class IndexSummary:
    """``Frame.info`` of the last frame: the index file, its readable photos, what this run did (``indexed``:
    photos read now, readable or not), the unreadable photos ((path, reason), all of the index's) and whether
    it was stopped before the end."""

    path: str
    photos: int
    indexed: int
    kept: int
    removed: int
    changed: int
    unreadable: list[tuple[str, str]]
    stopped: bool
    seconds: float


def open_for(model: Classifier, out: str | os.PathLike, folder: str, layers: Sequence[str], k: int) -> IndexStore:
    """The index at ``out`` for this model, folder, layers and k (created when missing).  An index made
    otherwise is refused with a message naming what differs."""
    sha = model_sha256(model)
    if not os.path.exists(out):
        source = getattr(model, "source", None)   # a user's model file: where it came from and its own hash
        meta = {"model": model.name, "model_sha256": sha, "preprocessing": preprocessing(model),
                "model_file": {"path": source.path, "sha256": source.sha256} if source is not None else None,
                "folder": os.path.abspath(folder), "top_k": k, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
        return IndexStore.create(out, meta, layer_shapes(model, layers))
    store = IndexStore(out)
    m = store.meta
    problems = []
    if m["model_sha256"] != sha:
        problems.append(f"it was made with the model {m['model']} (weights sha256 {m['model_sha256'][:12]}…), "
                        f"not {model.name} (sha256 {sha[:12]}…)")
    elif m["preprocessing"] != preprocessing(model):
        problems.append("it was made with another preprocessing of the photos")
    if os.path.abspath(folder) != m["folder"]:
        problems.append(f"it indexes the folder {m['folder']}, not {os.path.abspath(folder)}")
    if list(store.layers) != list(layers):
        problems.append(f"it holds the layers {', '.join(store.layers)}, not {', '.join(layers)}")
    if m["top_k"] != k:
        problems.append(f"it keeps the top {m['top_k']} photos per channel, not {k}")
    if problems:
        store.close()
        raise IndexFileError(f"{out}: cannot add to this index: {'; '.join(problems)}. Choose another index file (--out).")
    return store


def _check_layers(model: Classifier, layers: Sequence[str]) -> list[str]:
    order = model.layer_names
    for name in layers:
        model.layer(name)  # ValueError naming the layers there are
    return sorted(dict.fromkeys(layers), key=order.index)


def index_job(model: Classifier, folder: str, out: str | os.PathLike, *, layers: Sequence[str] | None = None,
              k: int = 16, batch: int = 16, shard_size: int = DEFAULT_SHARD, cluster=None, model_factory=None,
              control: Control | None = None) -> Iterator[Frame]:
    """Job: index the photos of ``folder`` (and its sub-folders) into ``out`` for ``layers`` (default: all),
    keeping the top ``k`` photos per channel.  Only photos new or changed since the last run are processed.
    With ``cluster`` (a Dask scheduler address or client) shards run there, each worker loading the model with
    ``model_factory`` (default :class:`ModelSpec` of the model's name); the index is the same as in-process."""
    control = control or Control()
    if not 1 <= k <= 1000:
        raise ValueError(f"keep between 1 and 1000 photos per channel, not {k}")
    layers = _check_layers(model, layers or model.layer_names)
    start = time.monotonic()
    scanned = scan_folder(folder)
    store = open_for(model, out, folder, layers, k)
    try:
        plan = make_plan(folder, scanned, store.photos(), store.next_id())
        store.touch(plan.touch)
        tops = store.drop_and_rebuild(plan.drop, k) if plan.drop else {n: store.load_top(n, k) for n in layers}
        shards = [plan.todo[i:i + shard_size] for i in range(0, len(plan.todo), shard_size)]
        if cluster is None:
            results = local_results(model, folder, shards, layers, k=k, batch=batch, control=control)
        else:
            results = cluster_results(cluster, model_factory or ModelSpec(model.name), folder, shards, layers, k=k,
                                      batch=batch, control=control)
        done = yield from _collect(store, results, tops, plan, model_sha256(model) if cluster is not None else "",
                                   control)
        stopped = done < len(plan.todo)
        yield Frame(step=done, total=len(plan.todo), final=True, extra={"cancelled": stopped},
                    info=IndexSummary(str(out), store.count(), done, plan.kept, plan.removed, plan.changed,
                                      store.unreadable(), stopped, time.monotonic() - start))
    finally:
        store.close()


def _collect(store: IndexStore, results, tops: dict[str, TopK], plan, sha: str,
             control: Control) -> Generator[Frame, None, int]:
    """Merge and write each shard as it comes; frames with the rate and the time left.  Returns the number of
    photos done."""
    start, done, bad = time.monotonic(), 0, 0
    for result in results:
        if sha and result.model_sha256 != sha:
            raise IndexFileError("the cluster's workers loaded other weights than this model's "
                                 f"({result.model_sha256[:12]}… instead of {sha[:12]}…)")
        for name, part in result.tops.items():
            tops[name] = tops[name].merge(part)
        store.commit(result.records, result.maxima, result.ids, tops if result.tops else {})
        done += len(result.records)
        bad += sum(r.error is not None for r in result.records)
        rate = done / max(time.monotonic() - start, 1e-9)
        left = (len(plan.todo) - done) / rate if done else None
        if control.should_emit():
            yield Frame(step=done, total=len(plan.todo), metrics={"photos_per_s": rate},
                        info=IndexProgress(done, len(plan.todo), bad, rate, left))
    return done
