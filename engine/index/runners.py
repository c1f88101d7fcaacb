"""Where the shards run: in this process (the default), or on a Dask distributed cluster.

Either way shards come back as :class:`ShardResult` s; the caller merges them.
At most a few shards are in flight at once, so memory stays flat however many
photos there are."""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence

from ..dask_map import completed
from ..jobs import Control
from ..models import Classifier, load_model
from .identity import model_sha256
from .shard import Item, ShardResult, index_shard

__all__ = ["ModelSpec", "local_results", "cluster_results", "worker_model"]


class ModelSpec:
    """How a worker loads the model (a picklable recipe: ``load_model(name, device=..., **options)``, the
    options of a user's model file: ``arch``, ``labels``, ``sidecar``, ``trust_code``); a worker loads it
    once and keeps it."""

    def __init__(self, name: str | None, device: str | None = "cpu", **options) -> None:
        self.name, self.device = name, device
        self.options = {k: v for k, v in options.items() if v not in (None, False)}

    def __call__(self) -> Classifier:
        return load_model(self.name, device=self.device, **self.options)

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in sorted(self.options.items()))
        return f"ModelSpec({self.name!r}, device={self.device!r}{extra})"


_models: dict[str, tuple[Classifier, str]] = {}
_models_lock = threading.Lock()


def worker_model(factory: Callable[[], Classifier]) -> tuple[Classifier, str]:
    with _models_lock:
        key = repr(factory)
        if key not in _models:
            model = factory()
            _models[key] = (model, model_sha256(model))
        return _models[key]


def run_shard(factory: Callable[[], Classifier], folder: str, items: Sequence[Item], layers: Sequence[str], k: int,
              batch: int) -> ShardResult:
    """A shard on a worker, with the worker's own copy of the model (its hash goes back with the result)."""
    model, sha = worker_model(factory)
    result = index_shard(model, folder, items, layers, k=k, batch=batch)
    result.model_sha256 = sha
    return result


def local_results(model: Classifier, folder: str, shards: Sequence[Sequence[Item]], layers: Sequence[str], *, k: int,
                  batch: int, control: Control) -> Iterator[ShardResult]:
    for items in shards:
        result = index_shard(model, folder, items, layers, k=k, batch=batch, stop=lambda: control.cancelled)
        yield result
        if result.stopped or control.cancelled:
            return


def cluster_results(address, factory: Callable[[], Classifier], folder: str, shards: Sequence[Sequence[Item]],
                    layers: Sequence[str], *, k: int, batch: int, control: Control,
                    in_flight: int | None = None) -> Iterator[ShardResult]:
    """Shards on the Dask scheduler at ``address`` (a string, or a ``distributed.Client``), at most
    ``in_flight`` (default: twice the workers' threads) at once, results as they complete.  Stopping cancels
    the shards not yet done (:func:`engine.dask_map.completed`)."""
    tasks = ((factory, folder, list(items), list(layers), k, batch) for items in shards)
    yield from completed(address, run_shard, tasks, control=control, in_flight=in_flight)
