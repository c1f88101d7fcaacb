"""The Dreaming tab: class visualization (with its importance mask), feature
accentuation, feature inversion, DeepDream and guided DeepDream, with every numeric parameter live.

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
from PySide6.QtWidgets import QComboBox, QLabel, QProgressBar, QPushButton, QSpinBox, QWidget
from superqt.utils import signals_blocked

from engine.generation import AccentParams, ClassVizParams, ExportError, FrameRecorder, export_choices, export_run, export_target
from engine.generation.deepdream import Octave
from engine.imaging import save_png

from ..context import AppContext
from ..recipe_open import run_again
from ..recipes import RunRecipe, copy_command, dreaming_recipe_maker, entry_command
from ..tab_job import Ending, TabJob
from ..widgets import ClassPicker, ImagePanel, ImportancePanel
from ..widgets.buttons import button
from ..widgets.history_strip import HistoryStrip
from ..widgets.metrics_plot import MetricsPlot
from ..widgets.param_form import ParamForm
from ..widgets.second_opinion import SecondOpinion
from ..workbench import Workbench
from .dreaming_follow import ModelFollower
from .dreaming_layout import build_layout
from .dreaming_modes import ACCENTUATE, CLASSVIZ, DREAM, GUIDED, INVERSION, MODE_TABLE, MODES, Inputs, RunInfo, frame_status

__all__ = ["DreamingTab", "MODES", "CLASSVIZ", "ACCENTUATE", "INVERSION", "DREAM", "GUIDED"]

#: Seconds between frames the engine emits (the runner shows at most ~30 per second).
FRAME_SECONDS = 0.05


class DreamingTab(Workbench):
    title = "Dreaming"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.current: np.ndarray | None = None  # the newest image of the run
        self.current_mode: str | None = None    # the mode that made it
        self.run_info: RunInfo | None = None    # what made the current image (for Save)
        self.recorder = FrameRecorder()
        self.params = {key: mode.defaults() for key, mode in MODE_TABLE.items()}
        self.follower = ModelFollower(self)   # the settings nobody changed follow the model
        self._restart = self._restart_warm = False  # start again (warm or not) when the stopping job has ended
        self._step_offset = self._last_step = 0
        self._results = 0      # numbers the history entries
        self._current_key: int | None = None  # the unsaved-results key of the current picture
        self._run_image: np.ndarray | None = None  # the running job's newest picture
        self._octave: Octave | None = None  # the running DeepDream's octave (says which were too small)
        self.recipes = RunRecipe()  # the current image's recipe (guiapp/recipes.py)
        self.again_job: TabJob | None = None   # Run again's replay (made by guiapp/recipe_open.run_again)

        self.source_panel = ImagePanel("Source image", hint="Drop a photo here\n(or File ▸ Open,\nor try File ▸ Open Sample)",
                                       open_title="Open source image")
        self.guide_panel = ImagePanel("Guide image", hint="Drop the guide image here\n(or Choose guide image…)",
                                      open_title="Open guide image")
        self.guide_button = QPushButton("Choose guide image…")
        self.result_panel = ImagePanel("Result", hint="The image appears here while it is generated", accept_drops=False)
        self.compare_panel = ImagePanel("Compare", hint="Click a finished result in the history strip to compare",
                                        accept_drops=False)
        self.mask_panel = ImportancePanel()
        self.mode = QComboBox()
        for key, mode in MODE_TABLE.items():
            self.mode.addItem(mode.title, key)
        self.layer = QComboBox()
        self.picker = ClassPicker()
        self.picker.set_class(76)  # tarantula
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=0)
        self.form = ParamForm()
        self.start_button, self.stop_button = button("Start"), button("Stop")
        self.continue_button = button("Continue", "Go on from the current result")
        self.save_button, self.export_button = button("Save…"), button("Export run…")
        self.again_button = button("Run again", "Make the current result again from its recipe (its live changes "
                                                "and Stop too) and compare the pixels")
        self.progress = QProgressBar(alignment=Qt.AlignmentFlag.AlignCenter)  # style.qss says why
        self.status = QLabel("Choose a mode and press Start.")
        self.status.setWordWrap(True)
        self.plot = MetricsPlot()
        self.history = HistoryStrip()
        self.opinion = SecondOpinion(ctx)  # another network classifies the finished result
        for panel in (self.source_panel, self.guide_panel, self.result_panel, self.compare_panel, self.mask_panel):
            panel.setMinimumSize(96, 96)  # the window may be small; the splitters give room back
        self.plot.setMinimumHeight(80)
        build_layout(self)
        self.job = TabJob(self, "Class visualization", form=self.form, status=self.status, progress=self.progress,
                          start_button=self.start_button, stop_button=self.stop_button,
                          on_start=lambda: self.start(warm=False), on_stop=self.stop, emit_interval=FRAME_SECONDS)
        self.runner = self.job.runner

        self._connect()
        if ctx.model is not None:
            self._on_model(ctx.model)
        self._on_mode(CLASSVIZ)

    def _connect(self) -> None:
        """The widgets' signals to the tab's slots."""
        self.mode.currentIndexChanged.connect(lambda _i: self._on_mode(self.mode_key()))
        self.layer.currentTextChanged.connect(lambda _t: self._restart_if_running())
        self.picker.class_changed.connect(lambda _i: self._restart_if_running())
        self.picker.validity_changed.connect(lambda _valid: self._update_buttons())
        self.picker.problem_changed.connect(self._on_picker_problem)
        self.form.value_changed.connect(self._on_value)
        self.source_panel.load_failed.connect(lambda m: self.ctx.error("Cannot open the image", m))
        self.guide_panel.load_failed.connect(lambda m: self.ctx.error("Cannot open the guide image", m))
        self.guide_panel.image_loaded.connect(lambda _i, _p: self._update_buttons())
        self.guide_button.clicked.connect(self.guide_panel.open_dialog)
        self.continue_button.clicked.connect(lambda: self.start(warm=True))
        self.save_button.clicked.connect(self.save)
        self.export_button.clicked.connect(self._export_dialog)
        self.again_button.clicked.connect(lambda: run_again(self))
        self.history.chosen.connect(self._compare)
        self.history.save_requested.connect(self._save_entry_dialog)
        self.history.command_requested.connect(lambda entry: copy_command(self.ctx, lambda: entry_command(self, entry)))
        self.job.connect_slots(frame=self._on_frame, ended=self._on_ended, running=self._on_running)
        self.ctx.model_changed.connect(self._on_model)

    # -- inputs --------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        """File ▸ Open / a drop on the window: the source image."""
        return self.source_panel.load_file(path)

    def mode_key(self) -> str:
        """The chosen mode: a key of ``MODE_TABLE``."""
        return self.mode.currentData()

    def set_mode(self, key: str) -> None:
        self.mode.setCurrentIndex(self.mode.findData(key))

    def _on_mode(self, key: str) -> None:
        if self.job.is_running:
            self._restart = False
            self.job.stop()
        self.follower.show(key)  # keeps what was typed for the mode shown before
        row = MODE_TABLE[key]
        for w in (self.class_label, self.picker):
            w.setVisible(not row.uses_layer)
        for w in (self.layer_label, self.layer):
            w.setVisible(row.uses_layer)
        self.guide_widget.setVisible(row.uses_guide)
        self.source_panel.setVisible(row.uses_source)
        self.mask_panel.setVisible(row.shows_importance)
        self._select_preferred_layer()
        self._update_buttons()

    def _on_model(self, model) -> None:
        self._restart = False   # the TabJob stops a running job and says why
        self.follower.follow(model)   # its parameterisation, its input size
        with signals_blocked(self.layer):
            self.layer.clear()
            self.layer.addItems(model.layer_names)
        self.picker.relabel(model.labels)
        self._select_preferred_layer()
        self._update_buttons()

    def _select_preferred_layer(self) -> None:
        """The layer the model recommends for DeepDream and inversion
        (:meth:`Classifier.default_layer`, its reason in the tooltip); on the bundled
        networks, which give none, the mode's own layer; else the middle one."""
        names = [self.layer.itemText(i) for i in range(self.layer.count())]
        if not names:
            return
        model = self.ctx.model
        default = model.default_layer("dream") if model is not None else None
        wanted = default.layer if default is not None else MODE_TABLE[self.mode_key()].preferred_layer
        wanted = wanted if wanted in names else names[len(names) // 2]
        with signals_blocked(self.layer):
            self.layer.setCurrentText(wanted)
        self.layer.setToolTip(f"Opens on {wanted}: {default.reason}" if default is not None and wanted == default.layer
                              else "")

    def _on_value(self, name: str, value) -> None:
        """Switching the parameterisation loads its recommended defaults (live
        fields go to the running job through the TabJob)."""
        if name != "parameterization":
            return
        key = self.mode_key()
        if key in (CLASSVIZ, ACCENTUATE):   # (at the size the model gave)
            self.params[key] = (ClassVizParams if key == CLASSVIZ else AccentParams).defaults(value, size=self.follower.auto[key])
        elif key == INVERSION:
            self.params[INVERSION] = replace(self.params[INVERSION], parameterization=value)
        self.form.set_values(self.params[key])

    # -- running -------------------------------------------------------------------
    def _missing_input(self) -> str | None:
        row = MODE_TABLE[self.mode_key()]
        if row.uses_source and self.source_panel.image is None:
            return "drop a source image first (or File ▸ Open)"
        if row.uses_guide and self.guide_panel.image is None:
            return "choose a guide image first (Choose guide image…, or drop one)"
        return None

    def start(self, warm: bool = False) -> bool:
        """Start the current mode (``warm``: from the current image).  Returns
        False with a message when something is missing."""
        if self.job.is_running:  # start again once the running job has stopped
            self._restart, self._restart_warm = True, warm
            self.job.stop()
            return True
        key, model = self.mode_key(), self.ctx.model
        row = MODE_TABLE[key]
        same_run = warm and self.current_mode == key  # Continue in another mode starts its own count and plot
        parent = self.recipes.settle(self.job.steps) if warm else None  # what made the picture it goes on from

        def make_job(params, control):
            inputs = Inputs(model=model, source=self.source_panel.image, guide=self.guide_panel.image,
                            layer=self.layer.currentText(), target=self.picker.current_class(), seed=self.seed.value(),
                            init=self.current if warm else None)
            return row.job(inputs, control)

        if not self.job.launch(make_job, check=self._missing_input, title=row.title):
            self._update_buttons()
            return False
        self.params[key] = self.job.params
        self.run_info = RunInfo(
            mode=key, model=model.name, seed=self.seed.value(), warm_start=warm,
            layer=self.layer.currentText() if row.uses_layer else None,
            target=None if row.uses_layer else self.picker.current_class(),
            label=None if row.uses_layer else model.labels[self.picker.current_class()],
            source=os.path.basename(self.source_panel.path or "") if row.uses_source else None,
            guide=os.path.basename(self.guide_panel.path or "") if row.uses_guide else None)
        self.recipes.start(dreaming_recipe_maker(self, key, model, warm, parent))
        self.result_panel.set_title("Result")   # (no longer the picture opened from its recipe)
        if not same_run:
            self.plot.clear()
            self.mask_panel.clear()
            self.recorder.clear()
            self._last_step = 0
        self._step_offset = self._last_step
        self._run_image = self._octave = None
        self.opinion.set_result(None)
        return True

    def stop(self) -> None:
        """Stop at the next step; the job still delivers its result (a DeepDream
        stopped in a small octave carries its detail up to full size).  A Run again
        is interrupted (a replay stopped part way is not the recipe's picture)."""
        self._restart = False
        self.job.stop()
        if self.replaying:
            self.again_job.stop()

    @property
    def replaying(self) -> bool:
        return self.again_job is not None and self.again_job.is_running

    def show_again(self, picture: np.ndarray) -> None:
        """Run again's picture: the current result, and a new entry of the history strip (with its recipe)."""
        recipe = self.recipes.recipe
        self.current = picture
        self.result_panel.set_image(picture)
        self._results += 1
        info = dict(self.run_info.as_dict() if self.run_info is not None else {}, params=recipe.params.as_dict(),
                    steps_done=recipe.steps_done, recipe=recipe.as_dict())
        self.history.add_result(picture, f"#{self._results} Run again · {MODE_TABLE[recipe.job].title} · "
                                         f"{recipe.steps_done} steps", dict(info, key=self._results))
        self.mark_unsaved(self._results)
        self._current_key = self._results
        self._update_buttons()

    def _restart_if_running(self) -> None:
        """A new layer or class mid-run: restart warm from the current image."""
        if self.job.is_running:
            self._restart, self._restart_warm = True, True
            self.job.stop()

    def _on_running(self, running: bool) -> None:
        if not running and self.stop_button.hasFocus():
            self.start_button.setFocus()  # not the next widget down: the panel would scroll to it
        self._update_buttons()
        if not running and self._restart:
            self._restart = False
            self.start(warm=self._restart_warm and self.current is not None)

    def _on_frame(self, frame) -> None:
        if frame.image is not None:
            self.current = self._run_image = frame.image
            self.current_mode = self.run_info.mode
            self.result_panel.set_image(frame.image)
            self.recorder.add(frame.image)
        self.mask_panel.show_frame(frame)
        step = self._step_offset + frame.step
        self._last_step = step
        if frame.metrics:  # the final frame too: the runner may have dropped the ones before it
            self.plot.add(step, frame.metrics)
        self._octave = frame.info if isinstance(frame.info, Octave) else self._octave
        self.status.setText(frame_status(frame, self._octave))

    def _on_ended(self, end, result) -> None:
        if not self.job.is_running:  # (a warm restart settled it when it started)
            self.recipes.settle(end.steps, failed=end.kind is Ending.FAILED)
        if self._restart and end.stopped_early:  # a warm restart carries on from it
            return
        if result is None and end.stopped_early:  # stopped inside a step: its last picture is the result
            result = self._run_image
        if isinstance(result, np.ndarray) and self.run_info is not None:
            self.current, self.current_mode = result, self.run_info.mode
            self.result_panel.set_image(result)
            self._results += 1
            info = self.run_info
            title = f"#{self._results} {info.title} · {info.subject} · {end.steps} steps"
            self.history.add_result(result, title, dict(self._metadata(info), key=self._results))
            self.mark_unsaved(self._results)
            self._current_key = self._results
            self.opinion.set_result(result, info.target)
            in_all = f" ({self._last_step} in all)" if self._last_step != end.steps else ""
            note = f"; {self._octave.note()}" if self._octave is not None and self._octave.skipped else ""
            self.job.say(f"{info.title} {end.describe()}{in_all}{note}. Save it, export the run, or Continue.")
        self._update_buttons()

    def _on_picker_problem(self, problem: str) -> None:
        """Every new problem replaces the last ("zzzz" after an ambiguous "retriever")."""
        if problem:
            self.status.setText(f"Class not chosen: {problem}")

    def _update_buttons(self) -> None:
        running, replaying = self.job.is_running, self.replaying
        ready = self.ctx.model is not None and (self.picker.is_valid or MODE_TABLE[self.mode_key()].uses_layer) and not replaying
        self.start_button.setEnabled(ready)
        self.stop_button.setEnabled(running or replaying)
        self.continue_button.setEnabled(ready and self.current is not None)
        self.save_button.setEnabled(self.current is not None)
        self.export_button.setEnabled(len(self.recorder) > 0 and not running)
        self.again_button.setEnabled(self.current is not None and not running and not replaying)

    @property
    def control(self):
        """The running (or last) job's control."""
        return self.job.control

    def _compare(self, entry: dict) -> None:
        self.compare_panel.set_image(entry["image"])
        self.compare_panel.set_title(f"Compare: {entry['title']}")

    # -- saving and exporting ------------------------------------------------------
    def _metadata(self, info: RunInfo) -> dict:
        """The PNG's parameters: what ran, the steps done and every live change with its step."""
        params = self.job.params.as_dict() if self.job.params is not None else {}
        recipe = {"recipe": self.recipes.recipe.as_dict()} if self.recipes.recipe is not None else {}
        return dict(info.as_dict(), params=params, steps_done=self.job.steps, live_changes=self.job.live_changes(),
                    **recipe)

    def save_result(self, path: str) -> bool:
        """The current image as PNG with the mode and parameters embedded."""
        if self.current is None:
            return False
        image, meta = self.current, self._metadata(self.run_info) if self.run_info is not None else {}
        if not self.write_file("the image", path, lambda: save_png(path, image, meta)):
            return False
        self.mark_saved(self._current_key)
        return True

    def save_entry(self, entry: dict, path: str) -> bool:
        """A result of the history strip as PNG, with what made it."""
        meta = {k: v for k, v in entry.items() if k not in ("image", "title", "key")}
        if not self.write_file("the image", path, lambda: save_png(path, entry["image"], meta)):
            return False
        self.mark_saved(entry.get("key"))
        return True

    def _save_entry_dialog(self, entry: dict) -> None:
        self.save_as("Save image", "dream.png", lambda path: self.save_entry(entry, path))

    def export_run(self, path: str, fps: float = 10.0) -> bool:
        """The run's frames as GIF / MP4 (by suffix) or numbered PNGs (a folder)."""
        try:
            export_run(self.recorder.frames, path, fps, params=self.run_info.as_dict() if self.run_info else {})
        except (ExportError, OSError) as exc:
            self.ctx.error("Could not export the run", str(exc))
            return False
        self.ctx.show_status(f"Exported {len(self.recorder)} frames to {path}", 5000)
        return True

    def save(self) -> None:
        """File ▸ Save (always a PNG: ``.png`` is added to another name)."""
        self.save_or_say(self.current is not None, "Nothing generated yet.", "Save image", lambda: "dream.png",
                         lambda path: self.save_result(path if path.lower().endswith(".png") else path + ".png"))

    def _export_dialog(self) -> None:
        path, chosen = self.ask_save_path("Export run", "dream-run.gif", ";;".join(export_choices()))
        if path:
            self.export_run(export_target(path, chosen))

    # -- the window's API ------------------------------------------------------------
    def shutdown(self) -> None:
        self._restart = False
        super().shutdown()
        self.opinion.shutdown()
