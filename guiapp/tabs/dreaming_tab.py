"""The Dreaming tab: class visualization, feature inversion, DeepDream and
guided DeepDream, with every numeric parameter live.

The engine generator runs on a :class:`JobRunner`; each spin box change goes
to ``control.update`` and acts on the job's next step.  A new layer or class
while running restarts the job warm from the current image.  Stop, Continue
(warm start from the current image), Save (PNG with the parameters), Export
(the run as GIF / MP4 / numbered PNGs) and a history strip of finished
results to compare side by side.
"""
from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import signals_blocked

from engine.generation import ClassVizParams, ExportError, FrameRecorder, export_choices, export_run, export_target
from engine.generation.deepdream import Octave
from engine.imaging import save_png
from engine.jobs import Control

from ..context import AppContext
from ..jobrunner import JobRunner
from ..widgets import ClassPicker, ImagePanel
from ..widgets.history_strip import HistoryStrip
from ..widgets.metrics_plot import MetricsPlot
from ..widgets.param_form import ParamForm
from ..widgets.second_opinion import SecondOpinion
from ..widgets.typed_values import commit_typed_values
from ..workbench import Workbench
from .dreaming_modes import CLASSVIZ, DREAM, GUIDED, INVERSION, MODE_TABLE, MODES, Inputs

__all__ = ["DreamingTab", "MODES", "CLASSVIZ", "INVERSION", "DREAM", "GUIDED"]

#: Seconds between frames the engine emits (the runner shows at most ~30 per second).
FRAME_SECONDS = 0.05


class DreamingTab(Workbench):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.runner = JobRunner(self)
        self.control: Control | None = None
        self.current: np.ndarray | None = None  # the newest image of the run
        self.run_info: dict = {}  # what made the current image (for Save)
        self.recorder = FrameRecorder()
        self.params = {title: mode.defaults() for title, mode in MODE_TABLE.items()}
        self._unsaved = False
        self._restart = False  # start again when the stopping job has ended
        self._restart_warm = False
        self._step_offset = 0
        self._last_step = 0

        self.source_panel = ImagePanel("Source image", hint="Drop a photo here\n(or File ▸ Open,\nor try File ▸ Open Sample)")
        self.guide_panel = ImagePanel("Guide image", hint="Drop the guide image here")
        self.result_panel = ImagePanel("Result", hint="The image appears here while it is generated", accept_drops=False)
        self.compare_panel = ImagePanel("Compare", hint="Click a finished result in the history strip to compare",
                                        accept_drops=False)
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.layer = QComboBox()
        self.picker = ClassPicker()
        self.picker.set_class(76)  # tarantula
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.form = ParamForm()
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.continue_button = QPushButton("Continue")
        self.save_button = QPushButton("Save…")
        self.export_button = QPushButton("Export run…")
        self.progress = QProgressBar(alignment=Qt.AlignmentFlag.AlignCenter)  # style.qss says why
        self.status = QLabel("Choose a mode and press Start.")
        self.status.setWordWrap(True)
        self.plot = MetricsPlot()
        self.history = HistoryStrip()
        self.opinion = SecondOpinion(ctx)  # another network classifies the finished result
        for panel in (self.source_panel, self.guide_panel, self.result_panel, self.compare_panel):
            panel.setMinimumSize(96, 96)  # the window may be small; the splitters give room back
        self.plot.setMinimumHeight(80)
        self._build_layout()

        self.mode.currentTextChanged.connect(self._on_mode)
        self.layer.currentTextChanged.connect(lambda _t: self._restart_if_running())
        self.picker.class_changed.connect(lambda _i: self._restart_if_running())
        self.picker.validity_changed.connect(self._on_picker_validity)
        self.form.value_changed.connect(self._on_value)
        self.source_panel.load_failed.connect(lambda m: self.ctx.error("Cannot open the image", m))
        self.guide_panel.load_failed.connect(lambda m: self.ctx.error("Cannot open the guide image", m))
        self.start_button.clicked.connect(lambda: self.start(warm=False))
        self.continue_button.clicked.connect(lambda: self.start(warm=True))
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self.save)
        self.export_button.clicked.connect(self._export_dialog)
        self.history.chosen.connect(self._compare)
        self.runner.connect_slots(frame=self._on_frame, done=self._on_done, failed=self._on_failed,
                                  running=self._on_running)
        ctx.model_changed.connect(self._on_model)
        if ctx.model is not None:
            self._on_model(ctx.model)
        self._on_mode(CLASSVIZ)

    def _build_layout(self) -> None:
        inputs = QSplitter(Qt.Orientation.Vertical)
        inputs.addWidget(self.source_panel)
        inputs.addWidget(self.guide_panel)
        images = QSplitter(Qt.Orientation.Horizontal)
        images.addWidget(inputs)
        images.addWidget(self.result_panel)
        images.addWidget(self.compare_panel)
        images.setSizes([220, 480, 360])
        center = QSplitter(Qt.Orientation.Vertical)
        center.addWidget(images)
        center.addWidget(self.plot)
        center.addWidget(self.history)
        center.setSizes([520, 180, 140])

        controls = QWidget()
        side = QVBoxLayout(controls)
        top = QFormLayout()
        top.addRow("Mode", self.mode)
        self._layer_label, self._class_label = QLabel("Layer"), QLabel("Class")
        top.addRow(self._layer_label, self.layer)
        top.addRow(self._class_label, self.picker)
        top.addRow("Seed", self.seed)
        side.addLayout(top)
        box = QGroupBox("Parameters (* = next run)")
        QVBoxLayout(box).addWidget(self.form)
        side.addWidget(box)
        for row in ((self.start_button, self.stop_button, self.continue_button), (self.save_button, self.export_button)):
            line = QHBoxLayout()
            for button in row:
                line.addWidget(button)
            side.addLayout(line)
        side.addWidget(self.progress)
        side.addWidget(self.status)
        side.addWidget(self.opinion)
        side.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(controls)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(250)
        scroll.setMaximumWidth(470)
        layout = QHBoxLayout(self)
        layout.addWidget(center, 1)
        layout.addWidget(scroll)

    # -- inputs --------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        """File ▸ Open / a drop on the window: the source image."""
        return self.source_panel.load_file(path)

    def set_mode(self, mode: str) -> None:
        self.mode.setCurrentText(mode)

    def _on_mode(self, mode: str) -> None:
        if self.runner.is_running:
            self._restart = False
            self.runner.stop()
        self.form.set_params(self.params[mode])
        row = MODE_TABLE[mode]
        for w in (self._class_label, self.picker):
            w.setVisible(not row.uses_layer)
        for w in (self._layer_label, self.layer):
            w.setVisible(row.uses_layer)
        self.guide_panel.setVisible(row.uses_guide)
        self.source_panel.setVisible(row.uses_source)
        self._select_preferred_layer()
        self._update_buttons()

    def _on_model(self, model) -> None:
        if self.runner.is_running:
            self._restart = False
            self.runner.stop()
        with signals_blocked(self.layer):
            self.layer.clear()
            self.layer.addItems(model.layer_names)
        self._select_preferred_layer()
        self._update_buttons()

    def _select_preferred_layer(self) -> None:
        names = [self.layer.itemText(i) for i in range(self.layer.count())]
        if not names:
            return
        wanted = MODE_TABLE[self.mode.currentText()].preferred_layer
        with signals_blocked(self.layer):
            self.layer.setCurrentText(wanted if wanted in names else names[len(names) // 2])

    def _on_kind(self, kind: str) -> None:
        """Switching the parameterisation loads its recommended defaults."""
        self.params[CLASSVIZ] = ClassVizParams.defaults(kind) if self.mode.currentText() == CLASSVIZ else self.params[CLASSVIZ]
        if self.mode.currentText() == INVERSION:
            self.params[INVERSION] = replace(self.params[INVERSION], parameterization=kind)
        self.form.set_values(self.params[self.mode.currentText()])

    def _on_value(self, name: str, value) -> None:
        """A field changed: tell the running job at once (unless the field applies at the next run)."""
        if name == "parameterization":
            self._on_kind(value)
            return
        if self.control is None or not self.runner.is_running or not self.form.specs[name].live:
            return
        try:
            self.control.update(**{name: value})
        except ValueError as exc:
            self.ctx.error("Parameter not accepted", str(exc))
            self.form.set_value(name, getattr(self.control.params, name))

    # -- running -------------------------------------------------------------------
    def start(self, warm: bool = False) -> bool:
        """Start the current mode (``warm``: from the current image).  Returns
        False with a message when something is missing."""
        model, mode = self.ctx.model, self.mode.currentText()
        if model is None:
            self.status.setText("The model is still loading.")
            return False
        if self.runner.is_running:  # start again once the running job has stopped
            self._restart, self._restart_warm = True, warm
            self._finish_early()
            return True
        problem = commit_typed_values(self)
        if problem:
            self.status.setText(problem)
            self._update_buttons()
            return False
        try:
            params = self.form.params()
        except ValueError as exc:
            self.ctx.error("Parameters not accepted", str(exc))
            return False
        row = MODE_TABLE[mode]
        source, guide = self.source_panel.image, self.guide_panel.image
        if row.uses_source and source is None:
            self.status.setText("Drop a source image first.")
            return False
        if row.uses_guide and guide is None:
            self.status.setText("Drop a guide image first.")
            return False
        inputs = Inputs(model=model, source=source, guide=guide, layer=self.layer.currentText(),
                        target=self.picker.current_class(), seed=self.seed.value(), init=self.current if warm else None)
        self.params[mode] = params
        control = Control(params, emit_interval=FRAME_SECONDS)
        self.run_info = {"mode": mode}
        if row.uses_layer:
            self.run_info["layer"] = inputs.layer
        else:
            self.run_info.update(target=inputs.target, label=model.labels[inputs.target])
        if row.uses_source:
            self.run_info["source"] = os.path.basename(self.source_panel.path or "")
        if row.uses_guide:
            self.run_info["guide"] = os.path.basename(self.guide_panel.path or "")
        self.run_info.update(model=model.name, seed=inputs.seed, warm_start=warm)
        if not warm:
            self.plot.clear()
            self.recorder.clear()
            self._step_offset = self._last_step = 0
        else:
            self._step_offset = self._last_step
        self.control = control
        self.opinion.set_result(None)
        self.status.setText(f"{mode}: running…")
        self.runner.start(lambda: row.job(inputs, control), control)
        return True

    def stop(self) -> None:
        """Stop at the next step; the job still delivers its result (a DeepDream
        stopped in a small octave carries its detail up to full size)."""
        self._restart = False
        self._finish_early()

    def _finish_early(self) -> None:
        if self.control is not None:
            self.control.cancel()  # cooperative: the generator ends its loop and returns the image

    def _restart_if_running(self) -> None:
        """A new layer or class mid-run: restart warm from the current image."""
        if self.runner.is_running:
            self._restart, self._restart_warm = True, True
            self._finish_early()

    def _on_running(self, running: bool) -> None:
        self._update_buttons()
        if not running and self._restart:
            self._restart = False
            self.start(warm=self._restart_warm and self.current is not None)

    def _on_frame(self, frame) -> None:
        if frame.image is not None:
            self.current = frame.image
            self.result_panel.set_image(frame.image)
            self.recorder.add(frame.image)
        step = self._step_offset + frame.step
        self._last_step = step
        if frame.metrics:  # the final frame too: the runner may have dropped the ones before it
            self.plot.add(step, frame.metrics)
        if frame.total:
            self.progress.setRange(0, frame.total)
            self.progress.setValue(min(frame.step, frame.total))
        text = " · ".join(f"{k} {v:.4g}" for k, v in frame.metrics.items() if k != "octave")
        octave = f" · octave {frame.info.index}" if isinstance(frame.info, Octave) else ""
        self.status.setText(f"step {frame.step}/{frame.total}{octave} · {text}")

    def _on_done(self, result) -> None:
        if self.runner.is_running:  # stopped for a warm restart: the new run carries on from it
            return
        if isinstance(result, np.ndarray):
            self.current = result
            self.result_panel.set_image(result)
            info = dict(self.run_info, params=self.control.params.as_dict() if self.control else {})
            title = info.get("label") or info.get("layer") or info["mode"]
            self.history.add_result(result, f"{info['mode'].split()[0]} · {title}", info)
            self.opinion.set_result(result, info.get("target"))
            self._unsaved = True
            how = "stopped at step" if self.control is not None and self.control.cancelled else "finished after"
            self.status.setText(f"{info['mode']} {how} {self._last_step}. Save it, export the run, or Continue.")
        self._update_buttons()

    def _on_failed(self, message: str) -> None:
        self.status.setText("The run stopped with an error.")
        self.ctx.error("Dreaming failed", message)

    def _on_picker_validity(self, valid: bool) -> None:
        if not valid:
            self.status.setText(f"Class not chosen: {self.picker.problem}")
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.runner.is_running
        ready = self.ctx.model is not None and (self.picker.is_valid or self.mode.currentText() != CLASSVIZ)
        self.start_button.setEnabled(ready)
        self.stop_button.setEnabled(running)
        self.continue_button.setEnabled(ready and self.current is not None)
        self.save_button.setEnabled(self.current is not None)
        self.export_button.setEnabled(len(self.recorder) > 0 and not running)

    def _compare(self, entry: dict) -> None:
        self.compare_panel.set_image(entry["image"])
        self.compare_panel.set_title(f"Compare: {entry['title']}")

    # -- saving and exporting ------------------------------------------------------
    def save_result(self, path: str) -> bool:
        """The current image as PNG with the mode and parameters embedded."""
        if self.current is None:
            return False
        image = self.current
        params = dict(self.run_info, params=self.control.params.as_dict() if self.control else {})
        if not self.write_file("the image", path, lambda: save_png(path, image, params)):
            return False
        self._unsaved = False
        return True

    def export_run(self, path: str, fps: float = 10.0) -> bool:
        """The run's frames as GIF / MP4 (by suffix) or numbered PNGs (a folder)."""
        try:
            export_run(self.recorder.frames, path, fps, params=self.run_info)
        except (ExportError, OSError) as exc:
            self.ctx.error("Could not export the run", str(exc))
            return False
        self.ctx.show_status(f"Exported {len(self.recorder)} frames to {path}", 5000)
        return True

    def save(self) -> None:
        """File ▸ Save."""
        if self.current is None:
            self.ctx.show_status("Nothing generated yet.", 4000)
            return
        self.save_as("Save image", "dream.png",
                     lambda path: self.save_result(path if path.lower().endswith(".png") else path + ".png"))

    def _export_dialog(self) -> None:
        path, chosen = self.ask_save_path("Export run", "dream-run.gif", ";;".join(export_choices()))
        if path:
            self.export_run(export_target(path, chosen))

    # -- the window's API ------------------------------------------------------------
    def has_unsaved_results(self) -> bool:
        return self._unsaved

    def shutdown(self) -> None:
        self._restart = False
        self.runner.stop()
        self.opinion.shutdown()
        self.runner.wait(5000)
