"""The spine of every long job: ``Frame`` (what a job reports) and ``Control``
(how the caller steers it).

A long-running algorithm is a plain generator::

    def job(..., control: Control) -> Iterator[Frame]:
        for step in range(n):
            p = control.params              # consistent snapshot, read every step
            ...                             # one optimisation step
            if control.should_emit() or step == n - 1:
                yield Frame(step=step + 1, total=n, image=img, metrics={...})
            if control.cancelled:
                return

The GUI runs it on a background thread and calls ``control.update(lr=...)``
or ``control.cancel()`` from the main thread; the CLI runs the same generator
with a progress bar; tests drive it with ``next()``.  No Qt here.
"""
from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .job_record import JobRecord, Tape

__all__ = ["Frame", "Stage", "Control", "Cancelled", "run_to_end", "interrupt_here", "uninterrupted", "interruptibly"]

_scope = threading.local()


class Cancelled(Exception):
    """Raised by :meth:`Control.raise_if_cancelled` inside nested helpers."""


@dataclass
class Frame:
    """One report from a running job.

    ``image`` is an ``uint8`` HxWx3 array owned by the frame (a copy, safe to
    hand to another thread); ``metrics`` are plain floats for plotting;
    ``info`` is what else the job reports, typed: a frozen dataclass defined
    next to the job (a fooling step's difference image, a saliency map,
    predictions, a loading stage...), read by attribute; ``extra`` is a plain
    dict for what only scripts and the CLI read.  ``final`` marks the last
    frame of a job.
    """

    step: int
    total: int | None = None
    image: np.ndarray | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    final: bool = False
    info: Any = None

    @property
    def fraction(self) -> float | None:
        """Progress in 0..1 when the total is known."""
        if not self.total:
            return None
        return min(1.0, max(0.0, self.step / self.total))


@dataclass(frozen=True)
class Stage:
    """``Frame.info`` of a job made of stages (loading a dataset, captioning a
    photo): what it is doing (``"reading"``, ``"features:train"``,
    ``"cached"``, ``"done"``...), how many items it passed over so far, and
    the file it concerns."""

    name: str
    skipped: int = 0
    path: str | None = None


class Control:
    """Thread-safe steering wheel for a running job.

    * ``params``: the latest parameter snapshot.  Parameters are a frozen
      dataclass (or a plain dict); ``update(**changes)`` builds a new snapshot
      with :func:`dataclasses.replace`, so the dataclass's ``__post_init__``
      validation runs and a bad value raises ``ValueError`` in the caller's
      thread while the job keeps the previous, valid snapshot.
    * ``cancel()`` / ``cancelled``: cooperative cancellation, checked by the
      job once per step.
    * ``should_emit()``: cheap throttle for frame emission; true at most every
      ``emit_interval`` seconds (and on the first call), or every
      ``emit_every`` steps when that is given instead.
    * ``record()``: what the job saw, exactly (:class:`~engine.job_record.JobRecord`:
      each live change and the Stop at the job thread's read that first saw
      it, and when frames were emitted); ``Control(params, replay=record)``
      serves the same again, so a replayed job gives the same pixels.  Only
      reads on the thread where the control is :meth:`active` are counted
      (the job's, under :func:`interruptibly`), never the window's.
    """

    def __init__(
        self,
        params: Any = None,
        *,
        emit_interval: float | None = 0.1,
        emit_every: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        replay: JobRecord | None = None,
        stop_with: Control | None = None,
    ) -> None:
        if emit_every is not None and (isinstance(emit_every, bool) or not isinstance(emit_every, int) or emit_every < 1):
            raise ValueError(f"emit_every must be a positive number of steps, got {emit_every!r}")
        if emit_interval is not None and (isinstance(emit_interval, bool) or not isinstance(emit_interval, (int, float))
                                          or not 0 <= emit_interval < float("inf")):
            raise ValueError(f"emit_interval must be a non-negative number of seconds, got {emit_interval!r}")
        self._lock = threading.Lock()
        self._params = self._initial = params
        self._version = 0
        self._cancel = stop_with._cancel if stop_with is not None else threading.Event()  # its Stop is ours
        self._emit_interval = emit_interval
        self._emit_every = emit_every
        self._clock = clock
        self._last_emit: float | None = None
        self._calls = 0
        versions = [params]
        for _event, changes in replay.changes if replay is not None else ():
            versions.append(_changed(versions[-1], changes))  # validated as any live change
        self._tape = Tape(replay, versions)

    def _counted(self) -> bool:
        """Whether this read is the job's own: made where this control is active."""
        return getattr(_scope, "control", None) is self

    # -- parameters -----------------------------------------------------
    @property
    def params(self) -> Any:
        with self._lock:
            tape = self._tape
            event = tape.events
            if self._counted():
                tape.events += 1
            return tape.version_at(event) if tape.replay is not None else self._params

    @property
    def initial_params(self) -> Any:
        """The parameters the job started with (before any live change)."""
        return self._initial

    @property
    def version(self) -> int:
        """Incremented by every successful :meth:`update` (jobs may use it to
        notice a change cheaply)."""
        with self._lock:
            return self._version

    def update(self, **changes: Any) -> Any:
        """Replace some parameters; returns the new snapshot.

        Raises ``ValueError`` (and keeps the old snapshot) for unknown names
        or values the parameter class rejects.
        """
        with self._lock:
            if self._tape.replay is not None:
                raise ValueError("a replayed job takes no live changes")
            new = _changed(self._params, changes)
            self._params = new
            self._version += 1
            read = new.__getitem__ if isinstance(new, dict) else lambda name: getattr(new, name)
            self._tape.changes.append((self._tape.events, {k: read(k) for k in changes}))
            return new

    def record(self) -> JobRecord:
        """What the job saw so far (see the class docstring)."""
        with self._lock:
            return self._tape.record()

    # -- cancellation ---------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._stop_seen(self._counted())

    def _stop_seen(self, counted: bool) -> bool:
        """Whether the job is to stop; ``counted``: asked by the job itself (an event)."""
        flag = self._cancel.is_set()
        with self._lock:
            tape = self._tape
            if not counted:
                return flag or tape.stopped_at(tape.events - 1)
            event = tape.events
            tape.events += 1
            seen = flag or tape.stopped_at(event)
            if seen and tape.replay is None and tape.stop_at is None:
                tape.stop_at = event
            return seen

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise Cancelled()

    @contextmanager
    def active(self) -> Iterator[Control]:
        """Make this the current thread's control while the block runs.

        Long computations that cannot yield (a network's forward and backward
        pass on a large image) call :func:`interrupt_here` between their
        pieces; inside this block a cancellation then raises
        :class:`Cancelled` there at once, instead of waiting for the job's
        next step.  Jobs catch it where they can still report a result.
        The scope is per thread, so jobs on other threads are not affected."""
        previous = getattr(_scope, "control", None), getattr(_scope, "quiet", False)
        _scope.control, _scope.quiet = self, False
        try:
            yield self
        finally:
            _scope.control, _scope.quiet = previous

    # -- emission throttle -----------------------------------------------
    def should_emit(self) -> bool:
        """True when the job should yield a frame now (cheap to call every step)."""
        with self._lock:
            tape = self._tape
            if self._counted():
                call = tape.emit_calls
                tape.emit_calls += 1
                if tape.replay is not None:
                    return tape.emits(call)
                if self._throttle():
                    tape.emitted.append(call)
                    return True
                return False
            return self._throttle()

    def _throttle(self) -> bool:
        """The clock's (or the step count's) answer; the caller holds the lock."""
        self._calls += 1
        if self._emit_every is not None:
            return (self._calls - 1) % self._emit_every == 0
        now = self._clock()
        if self._last_emit is None or self._emit_interval is None or now - self._last_emit >= self._emit_interval:
            self._last_emit = now
            return True
        return False


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Run a block without the thread's current control: the last passes a
    cancelled job still needs to report its result (rounding and classifying
    the final image, say) are not cut short.  (The job's own reads of its
    parameters there still count for its record.)"""
    previous = getattr(_scope, "quiet", False)
    _scope.quiet = True
    try:
        yield
    finally:
        _scope.quiet = previous


def interrupt_here(tensor, control: Control | None = None):
    """A place where a Stop of a job lands, on the way forward (now) and on
    the way back (a hook on ``tensor``'s gradient, when it has one): the job
    of ``control``, else this thread's current job (:meth:`Control.active`;
    passes other threads run without one are not affected).  The hook holds
    the control itself, so it works whichever thread the backward pass runs
    on (a GPU's).  Returns ``tensor``, so it can wrap an expression."""
    if control is None and not getattr(_scope, "quiet", False):
        control = getattr(_scope, "control", None)
    if control is None:
        return tensor
    control.raise_if_cancelled()
    if getattr(tensor, "requires_grad", False):  # the job's own check, on whichever thread runs the backward pass
        tensor.register_hook(lambda _grad: _raise_if(control._stop_seen(True)))
    return tensor


def interruptibly(job: Callable[[], Iterator[Frame]], control: Control) -> Iterator[Frame]:
    """Run the generator ``job()`` with ``control`` current on this thread
    while it computes (:meth:`Control.active`; never across a ``yield``, so
    the thread-local does not outlive an abandoned job), yielding its frames
    and returning its value.  A :class:`Cancelled` the job let escape ends it
    quietly with ``None``.  This is how the window runs every job, so Stop
    interrupts a long network pass instead of waiting for its end."""
    try:
        with control.active():
            frames = iter(job())
        while True:
            with control.active():
                try:
                    frame = next(frames)
                except StopIteration as stop:
                    return stop.value
            yield frame
    except Cancelled:
        return None


def run_to_end(frames: Iterable[Frame], on_frame: Callable[[Frame], None] | None = None) -> tuple[Frame | None, Any]:
    """Drive a job generator to completion.

    Returns ``(last_frame, return_value)`` where ``return_value`` is what the
    generator returned (``StopIteration.value``).  ``on_frame`` is called for
    every frame (the CLI uses it for its progress bar).
    """
    last = None
    it: Iterator[Frame] = iter(frames)
    while True:
        try:
            frame = next(it)
        except StopIteration as stop:
            return last, stop.value
        last = frame
        if on_frame is not None:
            on_frame(frame)


def _raise_if(stopped: bool) -> None:
    if stopped:
        raise Cancelled()


def _changed(current: Any, changes: dict[str, Any]) -> Any:
    """``current`` parameters with ``changes``: a new dict, or a new dataclass
    snapshot (its ``__post_init__`` validates); ``ValueError`` for unknown
    names or refused values."""
    if current is None:
        raise ValueError("this job has no parameters to update")
    if isinstance(current, dict):
        unknown = set(changes) - set(current)
        if unknown:
            raise ValueError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        return {**current, **changes}
    if not dataclasses.is_dataclass(current):
        raise TypeError("Control params must be a dataclass instance or a dict")
    unknown = set(changes) - {f.name for f in dataclasses.fields(current)}
    if unknown:
        raise ValueError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    try:
        return dataclasses.replace(current, **changes)
    except TypeError as exc:  # wrong type for a field
        raise ValueError(str(exc)) from exc
