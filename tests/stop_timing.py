"""Time from Stop to "stopped" for a job run the way the window runs it
(:func:`engine.jobs.interruptibly` on a background thread).  Shared by
``tests/faults/test_stop_latency.py`` and ``tests/bench/bench_stop_latency.py``."""
from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from engine.jobs import Control, Frame, interruptibly


def stop_latency(make_job: Callable[[], Iterator[Frame]], control: Control, *, run_for: float = 0.6,
                 timeout: float = 120.0) -> tuple[float, list[Frame], Any]:
    """Start ``make_job()`` on a thread, let it compute for ``run_for``
    seconds, call ``control.cancel()`` and return ``(seconds until the thread
    ended, frames, the job's return value)``."""
    frames: list[Frame] = []
    outcome: dict[str, Any] = {}
    started = threading.Event()

    def consume() -> None:
        try:
            it = interruptibly(make_job, control)
            started.set()
            while True:
                try:
                    frames.append(next(it))
                except StopIteration as stop:
                    outcome["value"] = stop.value
                    return
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            outcome["error"] = exc

    gc.collect()  # a test session's heap is large: no full collection is due in the middle of the measurement
    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    started.wait(timeout)
    time.sleep(run_for)  # well inside its work: the stop lands in the middle of a pass
    if not thread.is_alive():
        raise AssertionError(f"the job ended before it was stopped ({outcome.get('error')!r})")
    t0 = time.monotonic()
    control.cancel()
    thread.join(timeout)
    latency = time.monotonic() - t0
    if thread.is_alive():
        raise AssertionError("the job ignored the stop")
    if "error" in outcome:
        raise outcome["error"]
    return latency, frames, outcome.get("value")
