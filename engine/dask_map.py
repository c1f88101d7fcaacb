"""Tasks on a Dask distributed cluster, a few at a time, results as they
complete: what the dataset index (:mod:`engine.index.runners`) and the
saliency folder report (:mod:`engine.gradients.folder_cluster`) share.  At
most ``in_flight`` tasks are submitted at once (default: twice the workers'
threads), so memory stays flat however many there are; stopping (the
``control``) cancels the tasks not yet done."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .jobs import Control

__all__ = ["completed"]


def completed(address, fn: Callable, tasks: Iterable[tuple], *, control: Control,
              in_flight: int | None = None) -> Iterator:
    """``fn(*args)`` for each ``args`` of ``tasks`` on the scheduler at
    ``address`` (a string, or a ``distributed.Client``), yielded as they
    complete (not in order)."""
    from distributed import Client, as_completed

    client = address if isinstance(address, Client) else Client(address, set_as_default=False, timeout="20s")
    try:
        if in_flight is None:
            in_flight = max(2, 2 * sum(client.nthreads().values()))
        todo = iter(tasks)

        def submit(args):
            return client.submit(fn, *args, pure=False)

        with client.as_current():
            running = as_completed([submit(t) for _, t in zip(range(in_flight), todo)])
            for future in running:
                yield future.result()
                if control.cancelled:
                    client.cancel(list(running.futures))
                    return
                nxt = next(todo, None)
                if nxt is not None:
                    running.add(submit(nxt))
    finally:
        if client is not address:
            client.close()
