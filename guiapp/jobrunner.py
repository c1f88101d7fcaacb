"""Run an engine job generator on a background thread and stream its frames.

``JobRunner`` wraps superqt's ``GeneratorWorker`` (a ``QRunnable`` on the
global thread pool, cancelled cooperatively at the next ``yield``) and adds
what every tab needs:

* ``frame(object)``: the newest :class:`engine.jobs.Frame`, throttled to about
  30 per second with superqt's ``qthrottled`` (older undelivered frames are
  dropped, never queued up; the last one is always delivered);
* ``done(object)``: the generator's return value, after the last frame;
* ``failed(str)``: a readable message when the job raised;
* ``running_changed(bool)``.

Stopping calls ``control.cancel()`` *and* asks the worker to quit, so the job
ends at its next step even when it emits frames rarely.  ``discard()`` stops
too, and also drops whatever the job still sends (frames already queued, its
result): for a job whose input is gone (a new photo, another model), so that
nothing of it is shown as if it belonged to the new input.
"""
from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from PySide6.QtCore import QElapsedTimer, QObject, QThreadPool, Signal
from superqt.utils import GeneratorWorker, qthrottled

from engine.jobs import Control, Frame, interruptibly

__all__ = ["JobRunner", "JobError", "wait_for_all_jobs"]

log = logging.getLogger(__name__)
FRAME_INTERVAL_MS = 33


class JobError(Exception):
    """An exception raised inside a job, carried to the GUI thread.

    (superqt treats a ``RuntimeError`` escaping a worker as "the worker was
    deleted" and drops it, and most PyTorch errors are ``RuntimeError``s, so
    the job's errors are wrapped in this plain ``Exception``.)
    """

    def __init__(self, message: str, original: BaseException) -> None:
        super().__init__(message)
        self.original = original


def _message(exc: BaseException) -> str:
    if isinstance(exc, (ValueError, OSError)) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _guarded(job: Callable[[], Iterator[Frame]], control: Control):
    """A generator function that runs ``job()`` interruptibly (a Stop cuts
    even a long network pass short, :func:`engine.jobs.interruptibly`) and
    wraps its exceptions."""

    def run():
        try:
            return (yield from interruptibly(job, control))
        except Exception as exc:  # noqa: BLE001 - reported to the user, with a log traceback
            log.error("job failed:\n%s", traceback.format_exc())
            raise JobError(_message(exc), exc) from exc

    return run


class JobRunner(QObject):
    frame = Signal(object)
    done = Signal(object)
    failed = Signal(str)
    running_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._worker: GeneratorWorker | None = None
        self._control: Control | None = None
        self._result: Any = None
        # the newest frame at most every FRAME_INTERVAL_MS (leading and trailing); older ones are dropped
        self._throttled_frame = qthrottled(self.frame.emit, timeout=FRAME_INTERVAL_MS, leading=True, parent=self)
        self._discarded = False

    # -- public API -------------------------------------------------------
    def connect_slots(self, *, frame: Callable[[Frame], Any] | None = None, done: Callable[[Any], Any] | None = None,
                      failed: Callable[[str], Any] | None = None,
                      running: Callable[[bool], Any] | None = None) -> JobRunner:
        """Connect the given slots to :attr:`frame`, :attr:`done`,
        :attr:`failed` and :attr:`running_changed` (the wiring every tab needs)."""
        for signal, slot in ((self.frame, frame), (self.done, done), (self.failed, failed),
                             (self.running_changed, running)):
            if slot is not None:
                signal.connect(slot)
        return self

    @property
    def is_running(self) -> bool:
        return self._worker is not None

    @property
    def control(self) -> Control | None:
        return self._control

    def start(self, job: Callable[[], Iterator[Frame]], control: Control) -> None:
        """Start ``job()`` (a callable returning the generator) in the background.
        A job already running is stopped first."""
        if self._worker is not None:
            self.discard()
            self.wait(2000)
        self._control = control
        self._discarded = False
        worker = GeneratorWorker(_guarded(job, control))
        worker.yielded.connect(self._on_yielded)
        worker.returned.connect(self._on_returned)
        worker.errored.connect(self._on_errored)
        worker.finished.connect(self._on_finished)
        self._worker = worker
        self._result = None
        self._error: str | None = None
        self.running_changed.emit(True)
        worker.start()

    def update_live(self, **changes: Any) -> str | None:
        """Give the running job new parameter values (``control.update``).
        Returns why they were refused (the job keeps its previous ones), or
        ``None`` -- also when no job runs (the next one reads the form)."""
        if self._control is None or self._worker is None:
            return None
        try:
            self._control.update(**changes)
        except ValueError as exc:
            return str(exc)
        return None

    def stop(self) -> None:
        """Ask the job to stop at its next step (returns at once)."""
        if self._control is not None:
            self._control.cancel()
        if self._worker is not None:
            self._worker.quit()

    def discard(self) -> None:
        """Stop the job and drop everything it still sends: no more frames,
        and ``done`` carries ``None`` instead of its result."""
        if self._worker is not None:
            self._discarded = True
            self._throttled_frame.cancel()
        self.stop()

    def wait(self, msecs: int = 1000) -> bool:
        """Block until the job's thread is done (processing queued signals).
        Returns False on timeout."""
        from PySide6.QtCore import QCoreApplication, QDeadlineTimer

        timer = QElapsedTimer()
        timer.start()
        while self._worker is not None and timer.elapsed() < msecs:
            QThreadPool.globalInstance().waitForDone(QDeadlineTimer(5))   # short slices: the window stays live
            QCoreApplication.processEvents()
        return self._worker is None

    # -- slots ------------------------------------------------------------
    def _on_yielded(self, frame: Frame) -> None:
        if not self._discarded:
            self._throttled_frame(frame)

    def _on_returned(self, value: Any) -> None:
        self._result = None if self._discarded else value

    def _on_errored(self, exc: BaseException) -> None:
        self._error = str(exc) if isinstance(exc, JobError) else _message(exc)

    def _on_finished(self) -> None:
        discarded, self._discarded = self._discarded, False
        if discarded:
            self._throttled_frame.cancel()
        else:
            self._throttled_frame.flush()  # the last frame is always shown
        self._worker = None
        self.running_changed.emit(False)
        if self._error is not None and not discarded:
            self.failed.emit(self._error)
        else:
            self.done.emit(self._result)


def wait_for_all_jobs(msecs: int = 1000) -> bool:
    """Wait for every background job thread of the application to finish."""
    from PySide6.QtCore import QDeadlineTimer

    return QThreadPool.globalInstance().waitForDone(QDeadlineTimer(msecs))
