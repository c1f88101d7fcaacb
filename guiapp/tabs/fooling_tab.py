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

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget

from engine.gradients import FoolingStep, FoolParams, FoolResult, FullSizeResult, fool, fool_full_size
from engine.imaging import save_png
from engine.jobs import Control

from ..context import AppContext
from ..jobrunner import JobRunner
from ..widgets import ClassPicker, ImagePanel, PredictionList
from ..widgets.classify_panel import ClassifyPanel
from ..widgets.param_form import ParamForm
from ..widgets.second_opinion import SecondOpinion
from ..widgets.step_axis import LEFT_AXIS_WIDTH, StepAxis
from ..widgets.typed_values import commit_typed_values
from ..workbench import Workbench, workbench_layout

__all__ = ["FoolingTab"]


class FoolingTab(Workbench):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.result: FoolResult | None = None
        self.saved = True
        self.control: Control | None = None
        self._steps: list[float] = []
        self._scores: list[float] = []
        self._probs: list[float] = []
        self.runner = JobRunner(self)

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
        self.full_runner = JobRunner(self)  # carries a result onto the photo at its own size
        self.fooled_panel = ImagePanel("Fooling image", hint="Press Run", accept_drops=False)
        self.diff_panel = ImagePanel("Difference", hint="", accept_drops=False)
        self.after_list = PredictionList()
        self.opinion = SecondOpinion(ctx, auto=True, show_working=False)
        self.summary = QLabel("Drop an image, choose a target class, press Run.")
        self.summary.setWordWrap(True)
        self.score_plot = pg.PlotWidget(background=None)
        self.score_plot.setLabel("left", "target score (logit)")
        self.prob_plot = pg.PlotWidget(background=None)
        self.prob_plot.setLabel("left", "target probability")
        self.prob_plot.setLabel("bottom", "iteration")
        self.prob_plot.setYRange(0, 1)
        self.prob_plot.setXLink(self.score_plot)
        self.steps_axis = StepAxis(self.score_plot)   # redrawn rarely; the probability plot follows (x link)
        self.prob_plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        self.score_curve = self.score_plot.plot([], [], pen=pg.mkPen("#d9534f", width=2), symbol="o", symbolSize=4)
        self.prob_curve = self.prob_plot.plot([], [], pen=pg.mkPen("#337ab7", width=2), symbol="o", symbolSize=4)
        self._build_layout()

        self.run_button.clicked.connect(self.run)
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self.save)
        self.save_diff_button.clicked.connect(self._save_difference_dialog)
        self.save_full_button.clicked.connect(self._save_full_size_dialog)
        self.form.value_changed.connect(lambda name, value: self._update_live(**{name: value}))
        self.classify.image_changed.connect(self._on_image)
        self.classify.class_activated.connect(self.picker.set_class)
        self.picker.validity_changed.connect(self._on_picker_validity)
        ctx.model_changed.connect(self._on_model)
        self.runner.connect_slots(frame=self._on_frame, done=self._on_done, failed=self._on_failed,
                                  running=lambda _r: self._update_buttons())
        self.full_runner.connect_slots(done=self._on_full_size_done, failed=self._on_failed,
                                       running=lambda _r: self._update_buttons())
        self._full_path = ""
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

    def _on_image(self, _image, _path) -> None:
        if self.runner.is_running:
            self.runner.discard()  # its frames belong to the old photo
        if self.full_runner.is_running:
            self.full_runner.discard()
        self.fooled_panel.clear()
        self.diff_panel.clear()
        self.diff_panel.set_title("Difference")
        self.after_list.clear()
        self.opinion.set_result(None)
        self.result = None
        self.saved = True
        self._clear_curves()
        self.summary.setText("Choose a target class and press Run.")
        self._update_buttons()

    def _on_picker_validity(self, valid: bool) -> None:
        if not valid:
            self.summary.setText(f"Target class not chosen: {self.picker.problem}")
        elif not self.runner.is_running:
            self.summary.setText("Press Run.")
        self._update_buttons()

    def _on_model(self, model) -> None:
        """Another network: a running job stops (its result still names the network it fooled)."""
        self.stop()

    def _update_live(self, **changes) -> None:
        problem = self.runner.update_live(**changes)
        if problem:
            self.ctx.error("Invalid parameter", problem)

    # -- running --------------------------------------------------------------------
    def run(self) -> None:
        model, image = self.ctx.model, self.classify.image
        if image is None:
            self.ctx.show_status("Drop an image first.", 4000)
            return
        if model is None:
            self.ctx.show_status("The model is still loading.", 4000)
            return
        if self.runner.is_running:
            return
        problem = commit_typed_values(self)
        if problem:
            self.summary.setText(problem)
            self.ctx.show_status(problem, 6000)
            self._update_buttons()
            return
        try:
            params = self.form.params()
        except ValueError as exc:
            self.ctx.error("Invalid parameter", str(exc))
            return
        target = self.picker.current_class()
        self.control = control = Control(params, emit_every=1)
        self.result = None
        self.after_list.clear()
        self.opinion.set_result(None)
        self._clear_curves()
        self.summary.setText(f"Fooling {model.name} towards “{model.labels[target]} ({target})”…")
        self.runner.start(lambda: fool(model, image, target, control=control), control)

    def stop(self) -> None:
        """Cancel at the next step.  Only the control is cancelled (the worker
        is not killed), so the job still rounds its image to 8 bits, reports
        a final frame and returns its result (``cancelled=True``)."""
        if self.control is not None and self.runner.is_running:
            self.control.cancel()

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

    def _on_done(self, result: FoolResult | None) -> None:
        if result is None:  # the worker was told to quit (closing the window)
            self.summary.setText("Stopped.")
            self._update_buttons()
            return
        self.result = result
        self.saved = not result.success
        before, after = result.original_prediction, result.final_prediction
        if result.success:
            head = f"{result.model}: fooled in {result.iterations} steps."
        elif result.cancelled:
            head = f"{result.model}: stopped after {result.iterations} steps."
        else:
            head = f"{result.model}: not fooled within {result.iterations} steps."
        self.summary.setText(
            f"{head} Before: {before.label} ({before.prob:.1%}). After (8-bit image): {after.label} "
            f"({after.prob:.1%}). Perturbation L2 {result.l2:.1f}, L∞ {result.linf:.0f} (0..255 pixel units).")
        self.after_list.set_predictions(self.after_list.predictions, highlight=result.target)
        self.opinion.set_result(result.image, result.target)  # does it fool another network too?
        self._update_buttons()

    def _on_failed(self, message: str) -> None:
        self.summary.setText("The run failed.")
        self.ctx.error("Fooling failed", message)

    def _update_buttons(self) -> None:
        running = self.runner.is_running or self.full_runner.is_running
        self.run_button.setEnabled(not running and self.picker.is_valid)
        self.stop_button.setEnabled(running)
        self.save_button.setEnabled(self.result is not None and not running)
        self.save_diff_button.setEnabled(self.result is not None and not running)
        self.save_full_button.setEnabled(self.result is not None and self.result.success and not running)
        self.picker.setEnabled(not running)

    # -- saving ----------------------------------------------------------------------
    def _png_params(self, kind: str) -> dict:
        params = self.control.params if self.control else FoolParams()
        return self.result.metadata(kind, source=self.classify.image_panel.path or "", lr=params.lr,
                                    max_iter=params.max_iter)

    def save_image(self, path: str) -> bool:
        """Write the 8-bit fooling image (parameters embedded)."""
        if self.result is None:
            return False
        image, params = self.result.image, self._png_params("fooling")
        if not self.write_file("the fooling image", path, lambda: save_png(path, image, params)):
            return False
        self.saved = True
        return True

    def save_difference(self, path: str) -> bool:
        if self.result is None:
            return False
        diff, params = self.result.difference()[0], self._png_params("fooling-difference")
        return self.write_file("the difference", path, lambda: save_png(path, diff, params))

    def save(self) -> None:
        """File ▸ Save: the fooling image."""
        if self.result is None:
            self.ctx.show_status("No fooling image to save yet.", 4000)
            return
        self.save_as("Save fooling image", f"fooled-{self.result.target_label}.png", self.save_image)

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
        if result is None or image is None or model is None or self.full_runner.is_running:
            return False
        if model.name != result.model:
            self.ctx.error("Not saved", f"the fooling image was made on {result.model}; run it again on {model.name}")
            return False
        self._full_path = path
        params = self.control.params if self.control else FoolParams()
        self.summary.setText(f"Carrying the perturbation onto the {image.shape[1]}×{image.shape[0]} photo…")
        control = Control(params)
        self.full_runner.start(lambda: fool_full_size(model, image, result, control=control), control)
        return True

    def _on_full_size_done(self, full: FullSizeResult | None) -> None:
        self._update_buttons()
        if full is None or self.result is None:
            return
        size = f"{full.image.shape[1]}×{full.image.shape[0]}"
        read = f"{full.read_back.label} ({full.read_back.prob:.1%})"
        if not full.success:
            self.summary.setText(f"Not saved: at its own size ({size}) the photo reads back as {read} after "
                                 f"{full.iterations} more steps. Raise Max iterations and try again.")
            return
        meta = full.metadata(self._png_params("fooling"))
        path = self._full_path
        if self.write_file("the fooling image", path, lambda: save_png(path, full.image, meta)):
            self.saved = True
            self.summary.setText(f"Saved the photo at its own size ({size}): it reads back as {read} "
                                 f"({full.iterations} more steps; L∞ {full.linf:.0f}).")

    # -- the window's API --------------------------------------------------------------
    def has_unsaved_results(self) -> bool:
        """A successful fooling image that was not saved yet."""
        return not self.saved

    def shutdown(self) -> None:
        self.runner.stop()
        self.full_runner.stop()
        self.classify.shutdown()
        self.opinion.shutdown()
        self.runner.wait(5000)
        self.full_runner.wait(5000)
