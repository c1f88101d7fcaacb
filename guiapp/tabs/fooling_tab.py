"""The Fooling tab: pick a target class and watch gradient ascent turn the
photo into an image the network calls that class (Szegedy et al. 2014).

Run streams the image, the magnified difference and the target score and
probability; Stop cancels at the next step; the learning rate and the
iteration limit can be changed while it runs (``control.update``).  The run
works on the model's view of the photo (224x224 for EfficientNet-Lite0),
and the result that is shown and saved is the 8-bit image the network
classifies as the target.  At the end of a run a second network classifies
the fooling image (``SecondOpinion``): does it fool that one too
(Szegedy et al.'s cross-model question)?  *Save at photo size* carries the
perturbation onto the whole photo at its own size and saves it only once it
reads back as the target (:mod:`engine.gradients.fooling_full_size`).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from engine.gradients import FoolingStep, FoolParams, FoolResult, FullSizeResult, fool, fool_full_size
from engine.imaging import save_png

from ..context import AppContext
from ..recipe_restore import restored_picture, save_restored
from ..recipes import RunRecipe, recipe_maker
from ..tab_job import TabJob
from ..widgets import ClassPicker, ImagePanel, PredictionList
from ..widgets.classify_panel import ClassifyPanel
from ..widgets.param_form import ParamForm
from ..widgets.second_opinion import SecondOpinion
from ..widgets.step_axis import LEFT_AXIS_WIDTH, StepAxis
from ..workbench import Workbench, workbench_layout

__all__ = ["FoolingTab", "FOOLING_IMAGE"]

#: the unsaved-results key of the fooling image (Workbench.mark_unsaved)
FOOLING_IMAGE = "fooling image"


class FoolingTab(Workbench):
    title = "Fooling"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.result: FoolResult | None = None
        self.recipes = RunRecipe()  # the result's recipe (guiapp/recipes.py)
        self._steps: list[float] = []
        self._scores: list[float] = []
        self._probs: list[float] = []

        self.classify = ClassifyPanel(ctx)
        self.picker = ClassPicker()
        self.form = ParamForm(FoolParams())
        self.lr, self.max_iter = self.form.widgets["lr"], self.form.widgets["max_iter"]
        self.run_button = QPushButton("Run")
        self.stop_button = QPushButton("Stop")
        self.save_button = QPushButton("Save fooling image…")
        self.save_diff_button = QPushButton("Save difference…")
        self.save_full_button = QPushButton("Save at photo size…")
        self.save_full_button.setToolTip("The whole photo at its own size with the perturbation carried onto it, "
                                         "saved only once it reads back as the target")
        self.fooled_panel = ImagePanel("Fooling image", hint="Press Run", accept_drops=False)
        self.diff_panel = ImagePanel("Difference", hint="", accept_drops=False)
        self.after_list = PredictionList()
        self.opinion = SecondOpinion(ctx, auto=True, show_working=False)
        self.summary = QLabel("Drop an image, choose a target class, press Run.")
        self.summary.setWordWrap(True)
        self.score_plot = pg.PlotWidget(background=None)
        self.score_plot.setTitle("target score (logit)", size="9pt")   # a title, not a rotated label cut by a short plot
        self.prob_plot = pg.PlotWidget(background=None)
        self.prob_plot.setTitle("target probability", size="9pt")
        self.prob_plot.setLabel("bottom", "iteration")
        self.prob_plot.setYRange(0, 1)
        self.prob_plot.getAxis("left").setTicks([[(0, "0"), (0.5, "0.5"), (1, "1")]])   # a short plot: three, not six
        self.prob_plot.setXLink(self.score_plot)
        self.steps_axis = StepAxis(self.score_plot)   # redrawn rarely; the probability plot follows (x link)
        self.prob_plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        self.score_curve = self.score_plot.plot([], [], pen=pg.mkPen("#d9534f", width=2), symbol="o", symbolSize=4)
        self.prob_curve = self.prob_plot.plot([], [], pen=pg.mkPen("#337ab7", width=2), symbol="o", symbolSize=4)
        self._build_layout()
        self.job = TabJob(self, "Fooling", form=self.form, status=self.summary, start_button=self.run_button,
                          stop_button=self.stop_button, on_start=self.run, on_stop=self.stop, emit_every=1)
        self.runner = self.job.runner
        self.full_job = TabJob(self, "Saving at photo size", status=self.summary)  # the perturbation onto the whole photo
        self.full_runner = self.full_job.runner

        self.save_button.clicked.connect(self.save)
        self.save_diff_button.clicked.connect(self._save_difference_dialog)
        self.save_full_button.clicked.connect(self._save_full_size_dialog)
        self.classify.image_changed.connect(self._on_image)
        self.classify.class_activated.connect(self.picker.set_class)
        self.picker.validity_changed.connect(self._on_picker_validity)
        self.picker.problem_changed.connect(self._on_picker_problem)
        self.job.connect_slots(frame=self._on_frame, ended=self._on_ended, running=lambda _r: self._update_buttons())
        self.full_job.connect_slots(ended=self._on_full_size_done, running=lambda _r: self._update_buttons())
        self._full_path = ""
        self._full_recipe = None   # makes the full-size picture's recipe once its job has ended
        ctx.model_changed.connect(self._on_model)
        if ctx.model is not None:
            self._on_model(ctx.model)
        self._update_buttons()

    def _build_layout(self) -> None:
        form_box = QGroupBox("Target and step")
        form = QFormLayout(form_box)
        form.addRow("Target class", self.picker)
        form.addRow(self.form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        form.addRow(buttons)
        saves = QHBoxLayout()
        saves.addWidget(self.save_button)
        saves.addWidget(self.save_diff_button)
        after_box = QGroupBox("After: predictions for the 8-bit fooling image")
        QVBoxLayout(after_box).addWidget(self.after_list)
        side = QVBoxLayout()
        side.addWidget(form_box)
        side.addWidget(self.summary)
        side.addWidget(after_box, 1)
        side.addWidget(self.opinion)
        side.addLayout(saves)
        side.addWidget(self.save_full_button)
        panel = QWidget()
        panel.setLayout(side)
        panel.setMaximumWidth(360)

        images = QSplitter(Qt.Orientation.Horizontal)
        images.addWidget(self.classify)
        images.addWidget(self.fooled_panel)
        images.addWidget(self.diff_panel)
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.score_plot)
        plots.addWidget(self.prob_plot)
        workbench_layout(self, images, plots, panel, sizes=(500, 260))

    # -- inputs -------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        return self.classify.open_file(path)

    def set_image(self, image: np.ndarray, name: str = "") -> None:
        self.classify.set_image(image, name)

    def _on_model(self, model) -> None:
        """Another network (its job is stopped by the TabJob): the target chooser offers its classes."""
        self.picker.relabel(model.labels)
        self._update_buttons()

    def _on_image(self, _image, _path) -> None:
        self.job.discard()  # a running job's frames belong to the old photo
        self.full_job.discard()
        self.fooled_panel.clear()
        self.diff_panel.clear()
        self.diff_panel.set_title("Difference")
        self.after_list.clear()
        self.opinion.set_result(None)
        self.result = None
        self.forget_unsaved()
        self._clear_curves()
        self.summary.setText("Choose a target class and press Run.")
        self._update_buttons()

    def _on_picker_validity(self, valid: bool) -> None:
        if valid and not self.runner.is_running:
            self.summary.setText("Press Run.")
        self._update_buttons()

    def _on_picker_problem(self, problem: str) -> None:
        """Every new problem replaces the last ("zzzz" after an ambiguous "retriever")."""
        if problem:
            self.summary.setText(f"Target class not chosen: {problem}")

    # -- running --------------------------------------------------------------------
    def run(self) -> bool:
        """Run: fool the model towards the chosen class (a message instead when something is missing)."""
        model, image = self.ctx.model, self.classify.image

        def make_job(params, control):
            target = self.picker.current_class()
            self.job.say(f"Fooling {model.name} towards “{model.labels[target]} ({target})”…")
            return fool(model, image, target, control=control)

        if not self.job.launch(make_job, check=lambda: None if image is not None else "drop an image first"):
            self._update_buttons()
            return False
        self.result = None
        self.recipes.start(recipe_maker("fooling", self.job.control, model=model, seed=0,
                                        target=self.picker.current_class(),
                                        photos={"source": (self.classify.image_panel.path, image)}))
        self.after_list.clear()
        self.opinion.set_result(None)
        self._clear_curves()
        return True

    def stop(self) -> None:
        """Finish early: the job still rounds its image to 8 bits, reports
        a final frame and returns its result (``cancelled=True``)."""
        self.job.stop()

    @property
    def control(self):
        """The running (or last) fooling job's control."""
        return self.job.control

    def _clear_curves(self) -> None:
        self._steps, self._scores, self._probs = [], [], []
        self.steps_axis.reset()
        self.score_curve.setData([], [])
        self.prob_curve.setData([], [])

    def _on_frame(self, frame) -> None:
        self.fooled_panel.set_image(frame.image)
        step: FoolingStep = frame.info
        self.diff_panel.set_image(step.difference)
        self.diff_panel.set_title(f"Difference ×{step.difference_factor:.1f} (128 = no change)")
        self._steps.append(frame.step)
        self._scores.append(frame.metrics["target_score"])
        self._probs.append(frame.metrics["target_prob"])
        self.score_curve.setData(self._steps, self._scores)
        self.prob_curve.setData(self._steps, self._probs)
        self.steps_axis.show(frame.step)
        if not frame.final:
            self.summary.setText(
                f"Step {frame.step}/{frame.total}: network says “{step.predicted_label}”, "
                f"target probability {frame.metrics['target_prob']:.1%}")
        if step.predictions is not None:  # the final frame: top 5 for the 8-bit image
            self.after_list.set_predictions(step.predictions)

    def _on_ended(self, end, result: FoolResult | None) -> None:
        if result is None:  # failed, or dropped with its photo: the status line says so
            self._update_buttons()
            return
        self.result = result
        self.recipes.settle(result.iterations)
        if result.success:
            self.mark_unsaved(FOOLING_IMAGE)
        before, after = result.original_prediction, result.final_prediction
        verdict = f"{result.model} {'fooled' if result.success else 'not fooled'}"
        self.job.say(
            f"Fooling {end.describe()}: {verdict}. Before: {before.label} ({before.prob:.1%}). After (8-bit image): "
            f"{after.label} ({after.prob:.1%}). Perturbation L2 {result.l2:.1f}, L∞ {result.linf:.0f} (0..255 pixel units).")
        self.after_list.set_predictions(self.after_list.predictions, highlight=result.target)
        self.opinion.set_result(result.image, result.target)  # does it fool another network too?
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.job.is_running or self.full_job.is_running
        self.run_button.setEnabled(not running and self.picker.is_valid)
        self.stop_button.setEnabled(running)
        self.save_button.setEnabled((self.result is not None or restored_picture(self) is not None) and not running)
        self.save_diff_button.setEnabled(self.result is not None and not running)
        self.save_full_button.setEnabled(self.result is not None and self.result.success and not running)
        self.picker.setEnabled(not running)

    # -- saving ----------------------------------------------------------------------
    def _png_params(self, kind: str, recipe: bool = True) -> dict:
        params = self.job.params or FoolParams()
        meta = self.result.metadata(kind, source=self.classify.image_panel.path or "", lr=params.lr,
                                    max_iter=params.max_iter)
        made = self.recipes.recipe if recipe else None
        if made is not None and kind == "fooling-difference":
            made = replace(made, output="difference")
        recipe = {"recipe": made.as_dict()} if made is not None else {}
        return dict(meta, live_changes=self.job.live_changes(), **recipe)

    def save_image(self, path: str) -> bool:
        """Write the 8-bit fooling image (parameters embedded); one opened from its recipe, with its own."""
        if self.result is None:
            return save_restored(self, path)
        image, params = self.result.image, self._png_params("fooling")
        if not self.write_file("the fooling image", path, lambda: save_png(path, image, params)):
            return False
        self.mark_saved(FOOLING_IMAGE)
        return True

    def save_difference(self, path: str) -> bool:
        if self.result is None:
            return False
        diff, params = self.result.difference()[0], self._png_params("fooling-difference")
        return self.write_file("the difference", path, lambda: save_png(path, diff, params))

    def save(self) -> None:
        """File ▸ Save: the fooling image."""
        self.save_or_say(self.result is not None or restored_picture(self) is not None, "No fooling image to save yet.",
                         "Save fooling image", lambda: f"fooled-{self.result.target_label if self.result else 'again'}.png",
                         self.save_image)

    def _save_difference_dialog(self) -> None:
        if self.result is not None:
            self.save_as("Save difference image", f"difference-{self.result.target_label}.png", self.save_difference)

    def _save_full_size_dialog(self) -> None:
        if self.result is not None:
            self.save_as("Save at the photo's size", f"fooled-{self.result.target_label}-full.png", self.save_full_size)

    def save_full_size(self, path: str) -> bool:
        """Carry the fooling result onto the photo at its own size (a job:
        a few more steps at full size) and save it at ``path`` once it reads
        back as the target; otherwise say so and save nothing."""
        model, image, result = self.ctx.model, self.classify.image, self.result
        if result is None or image is None or model is None or self.full_job.is_running:
            return False
        if model.name != result.model:
            self.ctx.error("Not saved", f"the fooling image was made on {result.model}; run it again on {model.name}")
            return False
        self._full_path, parent = path, self.recipes.recipe   # its recipe continues the fooling run's
        running = f"Carrying the perturbation onto the {image.shape[1]}×{image.shape[0]} photo…"
        if not self.full_job.launch(lambda _p, control: fool_full_size(model, image, result, control=control),
                                    params=self.job.params or FoolParams(), running=running):
            return False
        self._full_recipe = None if parent is None else recipe_maker(
            "fullsize", self.full_job.control, model=model, seed=0, target=result.target, continues=parent,
            photos={"source": (self.classify.image_panel.path, image)})
        return True

    def _on_full_size_done(self, end, full: FullSizeResult | None) -> None:
        self._update_buttons()
        if full is None or self.result is None:
            return
        size = f"{full.image.shape[1]}×{full.image.shape[0]}"
        read = f"{full.read_back.label} ({full.read_back.prob:.1%})"
        if not full.success:
            self.summary.setText(f"Not saved: at its own size ({size}) the photo reads back as {read} after "
                                 f"{full.iterations} more steps. Raise Max iterations and try again.")
            return
        made = self._full_recipe(full.iterations) if self._full_recipe is not None else None
        meta = full.metadata(self._png_params("fooling", recipe=False)) | ({"recipe": made.as_dict()} if made else {})
        path = self._full_path
        if self.write_file("the fooling image", path, lambda: save_png(path, full.image, meta)):
            self.mark_saved(FOOLING_IMAGE)
            self.summary.setText(f"Saved the photo at its own size ({size}): it reads back as {read} "
                                 f"({full.iterations} more steps; L∞ {full.linf:.0f}).")

    # -- the window's API --------------------------------------------------------------
    def shutdown(self) -> None:
        super().shutdown()
        self.classify.shutdown()
        self.opinion.shutdown()
