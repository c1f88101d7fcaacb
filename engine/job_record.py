"""An exact record of what a job saw while it ran: :class:`JobRecord`.

A job reads ``control.params``, asks ``control.cancelled`` (also through
``raise_if_cancelled`` and :func:`~engine.jobs.interrupt_here`) and asks
``control.should_emit()`` at points fixed by its own code.  While the job runs
through :func:`~engine.jobs.interruptibly` (as the window and ``rerun`` run
every job), :class:`~engine.jobs.Control` numbers the *job thread's* reads of
the parameters and of the stop flag -- the *events* -- and the calls of
``should_emit``; reads from other threads (the window's) are not counted.
The record keeps

* ``changes``: each accepted live change with the event from which the job
  saw it (the change was made while the job had done ``event`` reads);
* ``stop_at``: the event at which the job first saw a Stop (``None``: it
  never saw one, so the Stop changed nothing);
* ``emits``: which ``should_emit`` calls said yes (the window's throttle goes
  by the clock, and a frame may read the parameters once more), as ranges.

A Control built with ``replay=record`` serves the same parameter snapshot at
each event, says *stopped* from the same event on and emits at the same
calls: the job does the same arithmetic in the same order, so on the same
machine, device and versions its pixels are identical.  No Qt, no torch.
"""
from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["JobRecord", "Tape", "ranges"]


@dataclass(frozen=True)
class JobRecord:
    """What a job saw (see the module docstring); plain data, JSON-ready with :meth:`as_dict`."""

    changes: tuple[tuple[int, dict[str, Any]], ...] = ()
    stop_at: int | None = None
    emits: tuple[tuple[int, int], ...] = ()
    events: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"changes": [{"event": event, "values": dict(values)} for event, values in self.changes],
                "stop_at": self.stop_at, "emits": [list(r) for r in self.emits], "events": self.events}

    @classmethod
    def from_dict(cls, data: Any, where: str = "timeline") -> JobRecord:
        """Read :meth:`as_dict`'s form back; ``ValueError`` naming the field for anything else
        (the values themselves are checked by the job's parameter class when replayed)."""
        if not isinstance(data, dict):
            raise ValueError(f"{where} must be an object, got {type(data).__name__}")
        unknown = set(data) - {"changes", "stop_at", "emits", "events"}
        if unknown:
            raise ValueError(f"{where} has unknown field(s): {', '.join(sorted(unknown))}")
        events = _count(data.get("events", 0), f"{where}.events")
        changes, last = [], 0
        for k, change in enumerate(_list(data.get("changes", []), f"{where}.changes")):
            field = f"{where}.changes[{k}]"
            if not isinstance(change, dict) or set(change) != {"event", "values"}:
                raise ValueError(f"{field} must be an object with 'event' and 'values'")
            event = _count(change["event"], f"{field}.event")
            if event < last or event > events:
                raise ValueError(f"{field}.event {event} is out of order (after {last}, at most {events})")
            if not isinstance(change["values"], dict) or not change["values"]:
                raise ValueError(f"{field}.values must be a non-empty object of parameter values")
            changes.append((event, dict(change["values"])))
            last = event
        stop_at = data.get("stop_at")
        if stop_at is not None:
            stop_at = _count(stop_at, f"{where}.stop_at")
        emits, end = [], 0
        for k, pair in enumerate(_list(data.get("emits", []), f"{where}.emits")):
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError(f"{where}.emits[{k}] must be a [first, end] pair")
            first, stop = _count(pair[0], f"{where}.emits[{k}][0]"), _count(pair[1], f"{where}.emits[{k}][1]")
            if first < end or stop <= first:
                raise ValueError(f"{where}.emits[{k}] is not an increasing range after {end}")
            emits.append((first, stop))
            end = stop
        return cls(tuple(changes), stop_at, tuple(emits), events)


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{field} must be a whole number >= 0, got {value!r}")
    return value


def _list(value: Any, field: str) -> list:
    if not isinstance(value, list):
        raise ValueError(f"{field} must be a list, got {type(value).__name__}")
    return value


def ranges(numbers: Iterable[int]) -> tuple[tuple[int, int], ...]:
    """Increasing numbers as half-open ranges: ``[0, 1, 2, 5]`` -> ``((0, 3), (5, 6))``."""
    out: list[list[int]] = []
    for n in numbers:
        if out and out[-1][1] == n:
            out[-1][1] = n + 1
        else:
            out.append([n, n + 1])
    return tuple((a, b) for a, b in out)


class Tape:
    """The counters a :class:`~engine.jobs.Control` keeps (under its lock):
    recording what the job saw, or serving a :class:`JobRecord` back."""

    def __init__(self, replay: JobRecord | None = None, versions: list[Any] | None = None) -> None:
        self.replay = replay
        self.events = 0          # job-thread reads of params / the stop flag so far
        self.emit_calls = 0      # job-thread calls of should_emit so far
        self.changes: list[tuple[int, dict[str, Any]]] = []
        self.stop_at: int | None = None
        self.emitted: list[int] = []
        self._starts = [event for event, _ in replay.changes] if replay else []
        self._versions = versions or []
        self._emit_starts = [a for a, _ in replay.emits] if replay else []

    def version_at(self, event: int) -> Any:
        """The replayed snapshot the job sees at ``event`` (``versions[0]``: the initial one)."""
        return self._versions[bisect.bisect_right(self._starts, event)]

    def stopped_at(self, event: int) -> bool:
        return self.replay is not None and self.replay.stop_at is not None and event >= self.replay.stop_at

    def emits(self, call: int) -> bool:
        k = bisect.bisect_right(self._emit_starts, call) - 1
        return k >= 0 and call < self.replay.emits[k][1]

    def record(self) -> JobRecord:
        return JobRecord(tuple(self.changes), self.stop_at, ranges(self.emitted), self.events)
