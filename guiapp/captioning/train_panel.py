"""``TrainPanel``: choose the cell and hyperparameters, Start / Stop / Resume
training on a background thread, change the learning rate while it runs,
watch the loss and BLEU, save and load models, overlay runs."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from engine.captioning.checkpoint import CheckpointError
from engine.captioning.config import FORM_FIELDS, TrainConfig, build_training
from engine.captioning.data.spatial import data_regions
from engine.captioning.jobs import Run, probe_batch, training_job
from engine.captioning.model import CELLS
from engine.jobs import Control, Frame

from ..widgets.param_form import ParamForm
from .loss_plot import TrainingPlots
from .page import SessionJob, SessionPage
from .scrolling import controls_beside
from .session import CaptioningSession

__all__ = ["TrainPanel"]

MODEL_FILTER = "Captioning models (*.pt);;All files (*)"


def _row(*widgets: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    for widget in widgets:
        row.addWidget(widget)
    return row


def _column(*items: QWidget | QHBoxLayout) -> QWidget:
    """The items one below the other (the last one takes the spare height)."""
    column = QWidget()
    lay = QVBoxLayout(column)
    lay.setContentsMargins(0, 0, 0, 0)
    for k, item in enumerate(items):
        if isinstance(item, QHBoxLayout):
            lay.addLayout(item)
        else:
            lay.addWidget(item, 1 if k == len(items) - 1 else 0)
    return column


class TrainPanel(SessionPage):
    """Signals: ``frame(object)`` for every training frame shown, ``running_changed(bool)``."""

    frame = Signal(object)
    running_changed = Signal(bool)

    def __init__(self, session: CaptioningSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.last_frame: Frame | None = None
        self._typed_rates: set[str] = set()     # rate fields changed while no run was going

        self.form = ParamForm(TrainConfig(), only=FORM_FIELDS)   # defaults as measured with `caption train`
        w = self.form.widgets
        self.cell, self.hidden, self.wordvec = w["cell"], w["hidden_size"], w["wordvec_size"]
        self.lr, self.decay, self.batch, self.epochs = w["learning_rate"], w["lr_decay"], w["batch_size"], w["epochs"]
        self.word_dropout, self.rule = w["word_dropout"], w["update_rule"]
        for spin in (self.lr, self.decay):
            spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        form = QVBoxLayout()
        form.addWidget(self.form)
        settings = QGroupBox("Model and training")
        settings.setLayout(form)

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Train a new model with these settings on the loaded data")
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Continue the current model from its last iteration (up to Epochs)")
        self.save_button = QPushButton("Save model…")
        self.load_button = QPushButton("Load model…")
        self.autosave_button = QPushButton("Restore autosave")
        self.autosave_button.setToolTip(f"Load the model kept automatically when training last stopped "
                                        f"({session.autosave_path})")
        buttons = _row(self.start_button, self.stop_button, self.resume_button)
        files = _row(self.save_button, self.load_button, self.autosave_button)
        self.progress = QProgressBar(alignment=Qt.AlignmentFlag.AlignCenter)  # style.qss says why
        self.status = QLabel("Load a dataset on the Data page, then press Start.")
        self.status.setWordWrap(True)
        self.runs_list = QListWidget()
        self.runs_list.setToolTip("Tick runs to overlay their smoothed loss and BLEU")
        runs_box = QGroupBox("Compare with earlier runs")
        QVBoxLayout(runs_box).addWidget(self.runs_list)

        self.plots = TrainingPlots()
        controls_beside(self, _column(settings, buttons, self.progress, self.status, files, runs_box), self.plots,
                        (350, 800))

        self.job = SessionJob(self, "Training", form=self.form, status=self.status, progress=self.progress,
                              start_button=self.start_button, stop_button=self.stop_button, on_start=self.start,
                              on_stop=self.stop, emit_interval=0.1)
        self.runner = self.job.runner
        self.resume_button.clicked.connect(self.resume)
        self.save_button.clicked.connect(self.save_dialog)
        self.load_button.clicked.connect(self.load_dialog)
        self.autosave_button.clicked.connect(lambda: self.load_from(str(self.session.autosave_path)))
        self.form.value_changed.connect(self._on_rate_changed)
        self.runs_list.itemChanged.connect(lambda _item: self._update_compare())
        self.job.connect_slots(frame=self._on_frame, ended=self._on_ended, running=self._on_running_changed)
        session.data_changed.connect(self._on_data_changed)
        session.model_changed.connect(self._on_model_changed)
        session.runs_changed.connect(self._fill_runs)
        self._update_buttons()

    # -- state -------------------------------------------------------------------
    @property
    def is_running(self) -> bool:
        return self.job.is_running

    @property
    def control(self) -> Control | None:
        """The running (or last) training's control: the rates it reads."""
        return self.job.control

    def _update_buttons(self) -> None:
        running = self.job.is_running
        s = self.session
        self.start_button.setEnabled(not running and s.data is not None)
        self.stop_button.setEnabled(running)
        self.resume_button.setEnabled(not running and s.solver is not None and s.data_matches_model())
        self.save_button.setEnabled(s.model is not None)
        self.load_button.setEnabled(not running)
        self.autosave_button.setEnabled(not running and s.autosave_path.is_file())
        for name, widget in self.form.widgets.items():
            widget.setEnabled(not running or self.form.specs[name].live)

    def _on_data_changed(self, data) -> None:
        """New data: its recommended word dropout (0 when it has none), and the cell its features are
        for (a grid: the LSTM with attention, as the Data page's choice says; pooled: not that one)."""
        if data is not None:
            self.word_dropout.setValue(data.word_dropout)
            if not self.job.is_running:
                grid = data_regions(data) >= 2
                if grid != (self.cell.currentData() == "attention"):
                    self.cell.setCurrentIndex(self.cell.findData("attention" if grid else "lstm"))
        self._update_buttons()

    def _on_model_changed(self, _model) -> None:
        """A loaded model that can resume shows the word dropout it trains with; its cell is the one chosen."""
        model = self.session.model
        if model is not None and not self.job.is_running and self.cell.findData(model.cell_type) >= 0:
            self.cell.setCurrentIndex(self.cell.findData(model.cell_type))
        if self.session.solver is not None and not self.job.is_running:
            self.word_dropout.setValue(self.session.solver.word_dropout)
        self._update_buttons()

    def _on_running_changed(self, running: bool) -> None:
        self._update_buttons()
        self.running_changed.emit(running)

    def _on_ended(self, _end, _result) -> None:
        """The status line says how the training ended (the lifecycle's words), then where the run stands."""
        self.plots.refresh()
        if self.session.has_unsaved_model():
            self.session.autosave()
        if self.session.solver is not None:
            self.status.setText(f"{self.status.text()}\n{self._status_text()}")

    # -- actions -------------------------------------------------------------------
    def start(self) -> bool:
        """Train a new model with the current settings (the current run is kept
        in the comparison list)."""
        if self.session.data is None:
            return False
        return self.job.launch(self._new_run, check=self._cell_problem, needs_model=False)

    def _cell_problem(self) -> str | None:
        if self.cell.currentData() == "attention" and data_regions(self.session.data) < 2:
            return ("the LSTM with attention looks at a grid of image features, and the loaded data has features "
                    "pooled over the whole image. On the Data page choose Features ▸ grid and press Load (the "
                    "course's COCO features have no grid)")
        return None

    def _new_run(self, config: TrainConfig, control: Control) -> Iterator[Frame]:
        """The training job of a new model built from ``config`` (``ValueError`` when it cannot be built)."""
        model, solver = build_training(config, self.session.data, device=self.ctx.device, seed=len(self.session.runs))
        previous = self.session.current_run
        label = f"#{len(self.session.runs) + 1} {CELLS[model.cell_type].short} h{model.hidden_dim}"
        run = Run(label=label, cell_type=model.cell_type, iterations_per_epoch=solver.iterations_per_epoch)
        self.session.set_model(model, solver, label=run.label, run=run)
        self.plots.show_run(run)
        if previous is not None and previous.loss:
            self._check_run(previous)
        self._typed_rates.clear()
        return self._training(control)

    def resume(self) -> bool:
        """Continue the current solver from its iteration."""
        if self.session.solver is None or not self.session.data_matches_model():
            return False
        return self.job.launch(self._resumed_run, needs_model=False)

    def _resumed_run(self, config: TrainConfig, control: Control) -> Iterator[Frame]:
        """The current solver's training job, up to Epochs, with the word dropout shown.  It continues at its
        own (decayed) learning rate unless a rate was typed since it stopped."""
        s = self.session.solver
        if s.iteration >= max(s.num_epochs, config.epochs) * s.iterations_per_epoch:
            raise ValueError("this run has done all its epochs: raise Epochs to train further")
        s.set_word_dropout(config.word_dropout, s.dropout_words)
        s.num_epochs = max(s.num_epochs, config.epochs)
        if "learning_rate" not in self._typed_rates:
            control.update(learning_rate=s.learning_rate)
        self._typed_rates.clear()
        if self.plots.run is not self.session.current_run:
            self.plots.show_run(self.session.current_run)
        return self._training(control)

    def _training(self, control: Control) -> Iterator[Frame]:
        session = self.session
        return training_job(session.solver, session.current_run, control, probe=probe_batch(session.data),
                            autosave=session.autosave)

    def stop(self) -> None:
        self.job.stop()

    def _on_rate_changed(self, name: str, value: float) -> None:
        """A live rate changed: the lifecycle gives it to the running job (or refuses it); say when it took.
        Changed while no run goes: a resumed run takes it instead of its own decayed rate."""
        if not self.form.specs[name].live:      # the rest applies when a run is built
            return
        if not self.job.is_running:
            self._typed_rates.add(name)
        elif getattr(self.job.params, name) == value:
            self.ctx.show_status(f"{self.form.specs[name].label} set to {value:g} (from the next iteration)", 5000)

    # -- frames --------------------------------------------------------------------
    def _on_frame(self, frame: Frame) -> None:
        self.last_frame = frame
        self.plots.refresh()
        self.status.setText(self._status_text())
        self.frame.emit(frame)

    def _status_text(self) -> str:
        """Where the run stands; ``lr`` is the run's own rate for its next iteration (the set rate after
        its per-epoch decays), which the Learning rate field does not follow: it keeps what was set."""
        s, run = self.session.solver, self.session.current_run
        if s is None:
            return ""
        parts = [f"iteration {s.iteration} / {s.total_iterations}", f"epoch {s.epoch} / {s.num_epochs}"]
        if s.loss_history:
            parts.append(f"loss {s.loss_history[-1]:.3f}")
        parts.append(f"lr {s.learning_rate:.3g}")
        if s.val_bleu_history:
            parts.append(f"val BLEU-4 {s.val_bleu_history[-1][1]:.3f}")
        if run is not None and run.throughput:
            parts.append(f"{run.throughput:.0f} captions/s")
        return " · ".join(parts)

    # -- runs to compare -----------------------------------------------------------------
    def _fill_runs(self) -> None:
        checked = {id(r) for r in self._checked_runs()}
        with signals_blocked(self.runs_list):
            self.runs_list.clear()
            for run in self.session.runs:
                if run is self.session.current_run:
                    continue
                item = QListWidgetItem(f"{run.label} — {run.iterations} it"
                                       + (f", loss {run.loss[-1]:.2f}" if run.loss else ""))
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Checked if id(run) in checked else Qt.CheckState.Unchecked)
                item.setData(Qt.ItemDataRole.UserRole, id(run))
                self.runs_list.addItem(item)
        self._update_compare()

    def _checked_runs(self) -> list[Run]:
        by_id = {id(r): r for r in self.session.runs}
        out = []
        for k in range(self.runs_list.count()):
            item = self.runs_list.item(k)
            if item.checkState() == Qt.CheckState.Checked and item.data(Qt.ItemDataRole.UserRole) in by_id:
                out.append(by_id[item.data(Qt.ItemDataRole.UserRole)])
        return out

    def _check_run(self, run: Run) -> None:
        for k in range(self.runs_list.count()):
            item = self.runs_list.item(k)
            if item.data(Qt.ItemDataRole.UserRole) == id(run):
                item.setCheckState(Qt.CheckState.Checked)

    def _update_compare(self) -> None:
        self.plots.set_compare(self._checked_runs())

    @property
    def compare_runs(self) -> list[Run]:
        return self._checked_runs()

    # -- files ---------------------------------------------------------------------
    def save_to(self, path: str) -> bool:
        try:
            out = self.session.save_model(path)
        except (CheckpointError, OSError) as exc:
            self.ctx.error("Model not saved", str(exc))
            return False
        self.ctx.show_status(f"Saved the model to {out}", 6000)
        return True

    def load_from(self, path: str) -> bool:
        if self.runner.is_running:
            return False
        try:
            summary = self.session.load_model(path)
        except (CheckpointError, OSError, ValueError) as exc:
            self.ctx.error("Model not loaded", str(exc))
            return False
        self._typed_rates.clear()               # Resume continues the loaded run's own rate
        run = self.session.current_run
        self.plots.show_run(run if run is not None and run.loss else None)
        self.status.setText(summary)
        self.ctx.show_status(summary, 8000)
        self._update_buttons()
        return True

    def save_dialog(self) -> None:
        if self.session.model is None:
            self.ctx.show_status("Train or load a model first.", 4000)
            return
        name = f"captioner-{self.session.model.cell_type}.pt"
        path, _ = QFileDialog.getSaveFileName(self, "Save captioning model", str(Path(self.ctx.last_folder) / name),
                                              MODEL_FILTER)
        if path:
            self.ctx.last_folder = str(Path(path).parent)
            self.save_to(path)

    def load_dialog(self) -> None:
        folder = self.ctx.last_folder
        path, _ = QFileDialog.getOpenFileName(self, "Load captioning model", folder, MODEL_FILTER)
        if path:
            self.ctx.last_folder = str(Path(path).parent)
            self.load_from(path)

    def shutdown(self, msecs: int = 10000) -> None:
        """Stop training and wait for the thread; the last state is autosaved."""
        if self.job.is_running:
            self.job.stop()
            self.job.wait(msecs)
        if self.session.has_unsaved_model():
            self.session.autosave()
