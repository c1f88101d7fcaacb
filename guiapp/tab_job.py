"""One job lifecycle for every tab: :class:`TabJob`.

A tab says *what* to run (a job factory) and *how to draw* its frames and
result; ``TabJob`` owns everything between:

* **launch** (:meth:`TabJob.launch`): commit what was typed but not confirmed,
  check the tab's inputs, read and validate the form, build the
  :class:`~engine.jobs.Control`, start the job on a :class:`JobRunner`.  Any
  refusal is said one way: ``Not started: <why>`` on the tab's status line
  and in the status bar.
* **live changes**: a live field of the form goes to the running job at once;
  a refused value is said one way (``Not changed: <why>``) and the field goes
  back to the value the job still uses.  Every accepted change is kept with
  the step at which it took effect (:attr:`TabJob.timeline`), so a result's
  recipe says what actually ran.
* **stop** (:meth:`TabJob.stop`): finish early, keeping the result (the job
  ends its loop and returns it); :meth:`TabJob.discard` drops it instead (the
  input it belonged to is gone).  Switching the model stops a running job.
* **the end**: exactly one of *finished after N steps*, *stopped at step N*,
  *stopped because the model changed to X*, *failed: reason*
  (:class:`JobEnd`; just *finished* / *stopped* for a job whose frames are
  stages the user does not see as steps), written on the tab's status line and passed to the
  tab's ``ended`` slot with the result.
* **progress**: the bar shows the percentage and the time left.
* **keys**: the start button answers Ctrl+Return and the stop button Esc
  (also the window's Run menu), and their tooltips say so.
"""
from __future__ import annotations

import enum
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractButton, QLabel, QProgressBar

from engine.jobs import Control, Frame

from .jobrunner import JobRunner
from .widgets.typed_values import commit_typed_values

__all__ = ["TabJob", "JobEnd", "Ending", "LiveChange", "START_KEY", "STOP_KEY", "time_left"]

START_KEY, STOP_KEY = "Ctrl+Return", "Esc"


class Ending(enum.Enum):
    FINISHED = "finished"
    STOPPED = "stopped"
    MODEL_CHANGED = "model changed"
    FAILED = "failed"


@dataclass(frozen=True)
class JobEnd:
    """How a job ended: the kind, the steps it did, and the model it was
    stopped for or the reason it failed.  ``counted=False``: its steps are
    stages the user does not see (a saliency map, then its curves), not said."""

    kind: Ending
    steps: int
    reason: str = ""
    counted: bool = True

    def describe(self) -> str:
        if self.kind is Ending.FINISHED:
            return f"finished after {self.steps} step{'s' if self.steps != 1 else ''}" if self.counted else "finished"
        if self.kind is Ending.STOPPED:
            return f"stopped at step {self.steps}" if self.counted else "stopped"
        if self.kind is Ending.MODEL_CHANGED:
            return f"stopped because the model changed to {self.reason}"
        return f"failed: {self.reason}"

    @property
    def stopped_early(self) -> bool:
        return self.kind in (Ending.STOPPED, Ending.MODEL_CHANGED)


@dataclass(frozen=True)
class LiveChange:
    """A parameter changed while the job ran: its name, value, and the step the job had reached."""

    step: int
    name: str
    value: Any


def time_left(elapsed: float, fraction: float) -> str:
    """``"0:42 left"`` from the seconds spent and the fraction done (``""`` too early to say)."""
    if fraction <= 0 or fraction >= 1 or elapsed < 2:  # too early to say
        return ""
    seconds = round(elapsed * (1 - fraction) / fraction)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d} left" if hours else f"{rest // 60}:{rest % 60:02d} left"


@dataclass
class _Run:
    control: Control
    started: float
    steps: int = 0
    total: int | None = None
    ending: tuple[Ending, str] | None = None
    timeline: list[LiveChange] = field(default_factory=list)
    base: int = 0          # steps done by earlier runs (a resumed job): the time left counts the rest


class TabJob(QObject):
    """The lifecycle of one kind of job in a tab (see the module docstring).

    ``tab`` is the :class:`~guiapp.workbench.Workbench`; ``title`` names the
    job in messages (``"DeepDream"``; :meth:`launch` may give another);
    ``form`` is the :class:`~guiapp.widgets.param_form.ParamForm` the job reads
    (optional); ``status``, ``progress``, ``start_button`` and ``stop_button``
    are the tab's widgets for it (each optional); ``on_start`` / ``on_stop``
    are what the buttons do (the tab's start, usually a :meth:`launch`, and its
    stop); ``follows_model=False`` for
    a job that does not run on the window's classifier (the captioners), which
    a model switch leaves running; ``counts_steps=False`` for a job whose
    frames are stages, not steps the user sees (its ending names no steps).  ``control_options`` go to
    every :class:`Control` (``emit_interval=`` / ``emit_every=``).

    Signals: ``frame(Frame)`` (throttled, as :class:`JobRunner`),
    ``ended(JobEnd, result)`` after the status line says how it ended (the
    result is ``None`` for a failed or discarded job), ``running_changed(bool)``.
    """

    frame = Signal(object)
    ended = Signal(object, object)
    running_changed = Signal(bool)

    def __init__(self, tab, title: str, *, form=None, status: QLabel | None = None,
                 progress: QProgressBar | None = None, start_button: QAbstractButton | None = None,
                 stop_button: QAbstractButton | None = None, on_start: Callable[[], Any] | None = None,
                 on_stop: Callable[[], Any] | None = None, follows_model: bool = True,
                 counts_steps: bool = True, **control_options: Any) -> None:
        super().__init__(tab)
        self.tab, self.title, self.form = tab, title, form
        self.status, self.progress = status, progress
        self.start_button, self.stop_button = start_button, stop_button
        self.control_options = control_options
        if status is not None and status.wordWrap():   # a long word (a SHA-256) is cut, not widening the tab;
            status.setMinimumWidth(1)                     # say() puts it whole in the tooltip
        if progress is not None:   # the percentage centred on the bar (style.qss says why not by text-align)
            progress.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.runner = JobRunner(self)
        self.last_end: JobEnd | None = None
        self._run: _Run | None = None
        self._title = title
        self._counted = counts_steps   # False: the ending names no steps (JobEnd.counted)
        self.runner.connect_slots(frame=self._on_frame, done=self._on_done, failed=self._on_failed,
                                  running=self.running_changed.emit)
        if form is not None:
            form.value_changed.connect(self._on_form_value)
        if follows_model:  # a job on the window's classifier stops when it changes
            tab.ctx.model_changed.connect(self._on_model_changed)
        for button, slot in ((start_button, on_start), (stop_button, on_stop)):
            if button is not None and slot is not None:
                button.clicked.connect(lambda _checked=False, slot=slot: slot())
        for button, key, verb in ((start_button, START_KEY, "Start"), (stop_button, STOP_KEY, "Stop")):
            if button is not None and key not in button.toolTip():
                tip = button.toolTip()
                button.setToolTip(f"{tip} ({key})" if tip else f"{verb} ({key})")
        tab.register_job(self)

    def connect_slots(self, *, frame: Callable[[Frame], Any] | None = None,
                      ended: Callable[[JobEnd, Any], Any] | None = None,
                      running: Callable[[bool], Any] | None = None) -> TabJob:
        """Connect the tab's slots to :attr:`frame`, :attr:`ended` and :attr:`running_changed`."""
        for signal, slot in ((self.frame, frame), (self.ended, ended), (self.running_changed, running)):
            if slot is not None:
                signal.connect(slot)
        return self

    # -- state ----------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.runner.is_running

    @property
    def control(self) -> Control | None:
        """The running (or last) job's control: its parameters as the job reads them."""
        return self._run.control if self._run is not None else None

    @property
    def params(self) -> Any:
        return self._run.control.params if self._run is not None else None

    @property
    def steps(self) -> int:
        """Steps the running (or last) job has reported."""
        return self._run.steps if self._run is not None else 0

    @property
    def timeline(self) -> list[LiveChange]:
        """The live changes of the running (or last) job, in order."""
        return list(self._run.timeline) if self._run is not None else []

    def live_changes(self) -> list[dict]:
        """:attr:`timeline` as saved beside a result: ``[{"step": 12, "lr": 0.09}, …]``."""
        return [{"step": c.step, c.name: c.value} for c in self.timeline]

    # -- launching ----------------------------------------------------------------
    def launch(self, make_job: Callable[[Any, Control], Iterator[Frame]], *,
               check: Callable[[], str | None] | None = None, params: Any = None, title: str | None = None,
               needs_model: bool = True, running: str | None = None,
               resumed: tuple[int, int] | None = None) -> bool:
        """Start the job ``make_job(params, control)`` on the background thread.

        ``make_job`` is called here, on the GUI thread (so it may read the
        tab's widgets), and returns the job's generator, which does its work
        only once the background thread iterates it.

        Before that: the model must be loaded (unless ``needs_model`` is
        false), typed values are committed, ``check()`` may name a missing
        input, and ``params`` (default: the form's values, validated) must be
        accepted.  Returns False, after saying why, when any of them refuses.
        ``running`` is the status line while it runs (default ``"<title>: running…"``).
        ``resumed=(done, total)``: a job that goes on from ``done`` of ``total``
        steps made by an earlier run; its bar starts there and its time left
        counts only the steps of this run."""
        if self.is_running:
            return False
        self._title = title or self.title
        problem = self._problem_before_start(check, needs_model)
        if problem is None and params is None and self.form is not None:
            try:
                params = self.form.params()
            except ValueError as exc:
                problem = str(exc)
        if problem is not None:
            self.refuse(problem)
            return False
        control = Control(params, **self.control_options)
        done, total = resumed or (0, None)
        self._run = _Run(control, time.monotonic(), done, total, base=done)
        self.last_end = None
        self.say(running or f"{self._title}: running…")
        try:
            frames = make_job(params, control)   # here, on the GUI thread: the factory may read widgets
        except ValueError as exc:
            self._run = None
            self.refuse(str(exc))
            return False
        if self.progress is not None:   # busy until the first frame says how far it is (or where it resumes)
            self.progress.setRange(0, total or 0)
            self.progress.setValue(done)
            self.progress.setFormat("%p%")
        self.runner.start(lambda: frames, control)
        return True

    def restart(self, make_job: Callable[[Any, Control], Iterator[Frame]], **launch: Any) -> bool:
        """Launch again, dropping the run it replaces (a new input: a channel click
        replaces the last one's jobs); ``launch`` as for :meth:`launch`."""
        if self.is_running:
            self.discard()
            self.wait(2000)
        return self.launch(make_job, **launch)

    def _problem_before_start(self, check, needs_model: bool) -> str | None:
        if needs_model and self.tab.ctx.model is None:
            return "the model is still loading"
        return commit_typed_values(self.tab) or (check() if check is not None else None)

    def refuse(self, problem: str) -> None:
        """Say, the one way every tab says it, why a job did not start."""
        text = f"Not started: {problem}"
        self.say(text)
        self.tab.ctx.show_status(text, 10000)

    def say(self, text: str) -> None:
        """Write ``text`` on the tab's status line for this job."""
        if self.status is not None:
            self.status.setText(text)
            self.status.setToolTip(text)

    # -- stopping -------------------------------------------------------------------
    def stop(self) -> None:
        """Finish early: the job ends at its next step and still hands back its result."""
        if self._run is not None and self.is_running:
            self._end_as(Ending.STOPPED)
            self._run.control.cancel()

    def discard(self) -> None:
        """Stop and drop whatever the job still sends (its input is gone)."""
        self.runner.discard()

    def wait(self, msecs: int = 5000) -> bool:
        return self.runner.wait(msecs)

    def _end_as(self, kind: Ending, reason: str = "") -> None:
        if self._run is not None and self._run.ending is None:
            self._run.ending = (kind, reason)

    def _on_model_changed(self, model) -> None:
        if self._run is not None and self.is_running:
            self._end_as(Ending.MODEL_CHANGED, getattr(model, "name", str(model)))
            self._run.control.cancel()

    # -- live changes ---------------------------------------------------------------
    def _on_form_value(self, name: str, value: Any) -> None:
        spec = self.form.specs.get(name)
        if self._run is None or not self.is_running or spec is None or not spec.live:
            return
        self.change_live(**{name: value})

    def change_live(self, **changes: Any) -> bool:
        """Give the running job new values; a refusal is said one way and the
        form's fields go back to what the job still uses."""
        if self._run is None or not self.is_running:
            return False
        problem = self.runner.update_live(**changes)
        if problem:
            text = f"Not changed: {problem}"
            self.tab.ctx.show_status(text, 10000)
            if self.form is not None:
                for name in changes:
                    if name in self.form.specs:
                        self.form.set_value(name, getattr(self._run.control.params, name))
            return False
        self._run.timeline.extend(LiveChange(self._run.steps, k, v) for k, v in changes.items())
        return True

    # -- the runner's signals ---------------------------------------------------------
    def _on_frame(self, frame: Frame) -> None:
        run = self._run
        if run is None:
            return
        run.steps, run.total = max(run.steps, int(frame.step)), frame.total or run.total
        if self.progress is not None and frame.total:
            self.progress.setRange(0, frame.total)
            self.progress.setValue(min(frame.step, frame.total))
            todo = frame.total - run.base
            left = time_left(time.monotonic() - run.started, (frame.step - run.base) / todo) if todo > 0 else ""
            self.progress.setFormat(f"%p% · {left}" if left else "%p%")
        self.frame.emit(frame)

    def _ending(self, failed: str | None) -> JobEnd:
        run = self._run
        steps = run.steps if run is not None else 0
        if failed is not None:
            return JobEnd(Ending.FAILED, steps, failed)
        if run is not None and run.ending is not None:
            return JobEnd(run.ending[0], steps, run.ending[1], counted=self._counted)
        if run is not None and run.control.cancelled:
            return JobEnd(Ending.STOPPED, steps, counted=self._counted)
        return JobEnd(Ending.FINISHED, steps, counted=self._counted)

    def _finish(self, end: JobEnd, result: Any) -> None:
        self.last_end = end
        if self.progress is not None:
            run = self._run
            done = 1.0 if end.kind is Ending.FINISHED else (run.steps / run.total if run and run.total else 0.0)
            self.progress.setRange(0, 100)
            self.progress.setValue(round(100 * min(1.0, done)))
            self.progress.setFormat("%p%")
        self.say(f"{self._title} {end.describe()}.")
        self.ended.emit(end, result)

    def _on_done(self, result: Any) -> None:
        self._finish(self._ending(None), result)

    def _on_failed(self, message: str) -> None:
        end = self._ending(message)
        self._finish(end, None)
        self.tab.ctx.error(f"{self._title} failed", message)

