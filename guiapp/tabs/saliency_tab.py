"""The Saliency tab: drop a photo, see its class saliency map (Simonyan et al.
2014, §3.1, and richer attributions) beside the photo and as an overlay, and
test whether it means anything: **removal curves** (MoRF, LeRF, random
order) under a chosen fill-in (switching it measures the curves of the map
already made, or redraws ones already measured); **boxes** dragged on the
overlay score the map live (pointing game, mass inside); the **sanity
strip** of maps as the layers are randomised; **all methods** scored on this
photo, sortable, with their ranks per metric side by side.

Every job starts, stops and reports through :class:`~guiapp.tab_job.TabJob`.
The map is recomputed after a short pause when a parameter changes
(debounced); a computation overtaken by a newer one is dropped, not waited for.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from superqt.utils import qdebounced, signals_blocked

from engine.gradients import (
    RemovalCurves,
    SaliencyResult,
    colorize,
    evaluate_methods,
    overlay,
    removal_job,
    saliency_removal_job,
    sanity_job,
)
from engine.gradients.evaluation import EVAL_PARAMS
from engine.imaging import save_npy, save_png

from ..context import AppContext
from ..tab_job import TabJob
from ..widgets import ClassPicker, ImagePanel
from ..widgets.box_editor import BoxEditor
from ..widgets.classify_panel import ClassifyPanel
from ..widgets.methods_table import MethodsTable
from ..widgets.removal_plot import RemovalPlot
from ..widgets.saliency_params import SaliencyParamsForm
from ..widgets.sanity_strip import SanityStrip
from ..workbench import Workbench, workbench_layout
from .saliency_folder import FolderReport
from .saliency_recipe import SaliencyRecipes
from .saliency_roar import RoarRun

__all__ = ["SaliencyTab"]

RECOMPUTE_DELAY_MS = 300


class SaliencyTab(Workbench):
    title = "Saliency"
    #: points on the removal curves (fewer: faster)
    curve_points = 21
    #: points on the curves of the all-methods table, and the methods' parameters there
    table_points = 11
    table_params = EVAL_PARAMS

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.target: int | None = None  # None: the predicted class
        self.result: SaliencyResult | None = None
        self.recipes = SaliencyRecipes(self)   # the map's recipe, saved with it
        self._pending = False
        self._after_typing = False  # a recompute waits for the class being typed

        self.classify = ClassifyPanel(ctx)
        self.map_panel = ImagePanel("Saliency map", hint="The map appears here", accept_drops=False)
        self.overlay_panel = ImagePanel("Overlay", hint="", accept_drops=False)
        self.form = SaliencyParamsForm()
        self.picker = ClassPicker()
        self.target_label = QLabel("Class: the predicted one")
        self.status = QLabel("Drop an image on the left.", wordWrap=True)
        self.progress = QProgressBar()
        self.save_map_button = QPushButton("Save map…")
        self.save_overlay_button = QPushButton("Save overlay…")
        self.boxes = BoxEditor(self.overlay_panel)
        self.removal = RemovalPlot()
        self.strip = SanityStrip()
        self.table = MethodsTable()
        self.menu, self.pages = QMenu("&Saliency", self), QTabWidget()
        self.folder, self.roar = FolderReport(self), RoarRun(self)   # their pages; their actions in the menu
        for page, title in ((self.removal, "Removal curves"), (self.strip, "Sanity check"), (self.table, "All methods"),
                            (self.folder.page, "Folder report"), (self.roar.page, "ROAR")):
            self.pages.addTab(page, title)
        self._build_layout()

        self.job = TabJob(self, "Saliency map", status=self.status, progress=self.progress, counts_steps=False)
        self.sanity = TabJob(self, "Sanity check", status=self.strip.status, progress=self.strip.progress,
                             start_button=self.strip.start_button, stop_button=self.strip.stop_button)
        self.scoring = TabJob(self, "Scoring all methods", status=self.table.status, progress=self.table.progress,
                              start_button=self.table.start_button, stop_button=self.table.stop_button)
        self._wire()
        if ctx.model is not None:
            self._follow(ctx.model)
        self._update_buttons()

    def _build_layout(self) -> None:
        images = QSplitter(Qt.Orientation.Horizontal)
        for w in (self.classify, self.map_panel, self.overlay_panel):
            images.addWidget(w)
        side = QVBoxLayout()
        for title, widgets in (("Class", (self.target_label, self.picker)), ("Method", (self.form,)),
                               ("Where is the object?", (self.boxes,))):
            box = QGroupBox(title)
            lay = QVBoxLayout(box)
            for w in widgets:
                lay.addWidget(w)
            side.addWidget(box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_map_button)
        buttons.addWidget(self.save_overlay_button)
        side.addLayout(buttons)
        side.addWidget(self.progress)
        side.addWidget(self.status)
        side.addStretch(1)
        panel = QWidget(maximumWidth=340)
        panel.setLayout(side)
        workbench_layout(self, images, self.pages, panel, sizes=(480, 260))

    def _wire(self) -> None:
        self.classify.image_changed.connect(self._on_image)
        self.classify.class_activated.connect(self.set_target)
        self.picker.class_changed.connect(self.set_target)
        self.picker.problem_changed.connect(self._on_picker_problem)
        self.picker.lineEdit().editingFinished.connect(self._typing_done)
        self.form.params_changed.connect(lambda _p: self.schedule())
        self.form.display_changed.connect(self._render)
        self.form.typing.connect(self._describe_map)
        self.save_map_button.clicked.connect(self._save_map_dialog)
        self.save_overlay_button.clicked.connect(self.save)
        self.boxes.boxes_changed.connect(lambda _b: self._score_boxes())
        self.removal.fill_changed.connect(self._on_fill)
        self.job.connect_slots(frame=self._on_frame, ended=self._on_ended)
        self.strip.start_button.clicked.connect(self.start_sanity)
        self.strip.stop_button.clicked.connect(self.sanity.stop)
        self.sanity.frame.connect(lambda f: self.strip.add_step(f.info, self.form.colormap()))
        self.table.start_button.clicked.connect(self.start_scoring)
        self.table.stop_button.clicked.connect(self.scoring.stop)
        self.scoring.frame.connect(lambda f: self.table.show_table(f.info))
        for job in (self.job, self.sanity, self.scoring):
            job.running_changed.connect(lambda _r: self._update_buttons())
        self.ctx.model_changed.connect(self._on_model)

    @property
    def runner(self):
        """The map's job runner (tests and the window wait on it)."""
        return self.job.runner

    @property
    def curves(self) -> RemovalCurves | None:
        """The removal curves drawn now (of the current map and fill-in)."""
        return self.removal.shown

    # -- inputs ------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        return self.classify.open_file(path)

    def set_image(self, image: np.ndarray, name: str = "") -> None:
        self.classify.set_image(image, name)

    def set_target(self, index: int | None) -> None:
        """Explain ``index`` (``None``: the predicted class) and recompute."""
        self.target = None if index is None else int(index)
        if index is not None:
            with signals_blocked(self.picker):
                self.picker.set_class(int(index))
        self.schedule()

    def _forget_result(self) -> None:
        self.result = None
        self.map_panel.clear()
        self.overlay_panel.clear()
        self.removal.forget()
        self._forget_checks()
        self._describe_map()
        self._score_boxes()
        self._update_buttons()

    def _forget_checks(self) -> None:
        """The sanity strip and the table were of another map: they go."""
        self.sanity.discard()
        self.scoring.discard()
        self.strip.clear()
        self.table.clear()

    def _on_image(self, _image: np.ndarray, _path: str) -> None:
        self.target = None
        self.boxes.clear()
        self._forget_result()
        self.compute()

    def _on_model(self, model) -> None:
        """Another network: what was shown explained the old one, so it goes at once."""
        self.job.discard()
        self._pending = False
        self._forget_result()
        self._follow(model)   # its classes in the picker, its layers (on its Grad-CAM default)
        self.schedule()

    def _follow(self, model) -> None:
        if self.picker.relabel(model.labels):
            self.target = None  # another model's classes: explain its predicted class
        self.form.set_layers(model.layer_names, model.default_layer("cam"))

    def _typing_done(self) -> None:
        if self._after_typing:
            self._after_typing = False
            self.schedule()

    def _on_picker_problem(self, problem: str) -> None:
        if problem:
            self.status.setText(f"Class not chosen: {problem}")

    # -- computing -----------------------------------------------------------------
    @qdebounced(timeout=RECOMPUTE_DELAY_MS)
    def schedule(self) -> None:
        """Recompute after the user paused changing things."""
        self.compute()

    def _check(self) -> str | None:
        if self.classify.image is None:
            return "drop a photo first"
        return None if self.picker.is_valid else f"Class: {self.picker.problem}"

    def compute(self) -> None:
        """(Re)compute the map and its removal curves under the chosen fill-in."""
        if self.classify.image is None or not self.picker.is_valid:
            return self._on_picker_problem(self.picker.problem)
        if self.picker.has_typed_text() and self.picker.lineEdit().hasFocus():
            self._after_typing = True   # starting now would take a half-typed class
            return self.status.setText("The map follows when the class being typed is chosen (Enter).")
        if self.job.is_running:  # overtaken: drop it, start again when it has stopped
            self._pending = True
            self.job.discard()
            return None
        self._pending = False
        try:
            params = self.form.params()
        except ValueError as exc:
            return self.job.refuse(str(exc))
        target, fill, points, image = self.target, self.removal.current_fill(), self.curve_points, self.classify.image
        if self.job.launch(lambda p, c: saliency_removal_job(self.ctx.model, image, target, c, fill=fill, points=points),
                           check=self._check, params=params, running=f"Computing the {params.method} map…"):
            self.recipes.begin(self.job.control, image, self.classify.image_panel.path)
        return None

    def _measure_curves(self) -> None:
        """The curves of the current map under the chosen fill-in, unless already measured."""
        fill, r = self.removal.current_fill(), self.result
        if r is None or self.removal.cached(fill) is not None or self.job.is_running:
            return
        p = r.params
        self.job.launch(lambda _p, c: removal_job(self.ctx.model, r.view, r.saliency, r.target, fill=fill,
                                                  points=self.curve_points, seed=p.seed, batch_size=p.batch_size,
                                                  control=c),
                        params=p, title=f"Removal curves ({fill})")

    def _on_fill(self, _fill: str) -> None:
        if self.job.is_running and self.result is not None:
            self.job.discard()  # curves of the other fill-in: not wanted any more (the map is kept)
        else:
            self._measure_curves()

    def _on_frame(self, frame) -> None:
        if self._pending:
            return  # a newer computation is waiting; do not show stale results
        info = frame.info
        if isinstance(info, RemovalCurves):
            self.removal.remember(info)
            return
        if self.result is None or info.saliency is not self.result.saliency:
            self._new_map(info)
        if info.removal is not None:
            self.result = info
            self.removal.remember(info.removal)

    def _new_map(self, result: SaliencyResult) -> None:
        same_question = self.result is not None and self.result.target == result.target
        self.result = result
        self.recipes.settle(1)
        self.removal.forget()
        if same_question:
            self.sanity.discard()
            self.strip.clear()
        else:
            self._forget_checks()
        self.target_label.setText(f"Class: {result.label} ({result.target})")
        with signals_blocked(self.picker):
            self.picker.show_class(result.target)  # not over a class being typed
        self._render()
        self._score_boxes()

    def _on_ended(self, _end, _result) -> None:
        if self._pending:
            self.compute()
        else:
            self._measure_curves()
        self._update_buttons()

    def start_sanity(self) -> bool:
        r = self.result
        if r is not None:
            self.strip.begin(r.saliency, self.form.colormap())
        return self.sanity.launch(lambda p, c: sanity_job(self.ctx.model, r.view, r.saliency, r.target, p, control=c),
                                  check=lambda: None if r is not None else "no map yet",
                                  params=r.params if r is not None else None)

    def start_scoring(self) -> bool:
        r, fill, boxes = self.result, self.removal.current_fill(), self.boxes.boxes()
        self.table.clear()
        return self.scoring.launch(lambda p, c: evaluate_methods(self.ctx.model, r.view, r.target, fills=(fill,),
                                                                 boxes=boxes, points=self.table_points, params=p,
                                                                 prepared=True, control=c),
                                   check=lambda: None if r is not None else "no map yet", params=self.table_params)

    # -- showing -------------------------------------------------------------------
    def overlay_image(self) -> np.ndarray | None:
        r = self.result
        return None if r is None else overlay(r.view, r.saliency, opacity=self.form.overlay_opacity(), cmap=self.form.colormap())

    def map_image(self) -> np.ndarray | None:
        return None if self.result is None else colorize(self.result.saliency, self.form.colormap())

    def _describe_map(self) -> None:
        """The map panel's title: what the map was made with, and typed values not applied yet."""
        self.map_panel.set_title(self.form.map_title(self.result))

    def _render(self) -> None:
        self._describe_map()
        if self.result is None:
            return
        self.map_panel.set_image(self.map_image())
        self.overlay_panel.set_image(self.overlay_image())
        self._update_buttons()

    def _score_boxes(self) -> None:
        self.boxes.score(None if self.result is None else self.result.saliency)

    def _update_buttons(self) -> None:
        ready = self.result is not None
        self.save_map_button.setEnabled(ready)
        self.save_overlay_button.setEnabled(ready)
        for job in (self.sanity, self.scoring):
            job.start_button.setEnabled(ready and not job.is_running)
            job.stop_button.setEnabled(job.is_running)

    # -- saving --------------------------------------------------------------------
    def _png_params(self, what: str) -> dict:
        return self.result.metadata(what, source=self.classify.image_panel.path or "", cmap=self.form.colormap(),
                                    opacity=self.form.overlay_opacity() if what == "overlay" else None) \
            | self.recipes.saved_as(what)

    def save_map(self, path: str) -> bool:
        """The map as a colour PNG (parameters embedded), or the raw HxW
        float32 map when ``path`` ends with .npy."""
        if self.result is None:
            return False
        if path.lower().endswith(".npy"):
            saliency = self.result.saliency
            return self.write_file("the map", path, lambda: save_npy(path, saliency))
        image, params = self.map_image(), self._png_params("map")
        return self.write_file("the map", path, lambda: save_png(path, image, params))

    def save_overlay(self, path: str) -> bool:
        if self.result is None:
            return False
        image, params = self.overlay_image(), self._png_params("overlay")
        return self.write_file("the overlay", path, lambda: save_png(path, image, params))

    def _save_map_dialog(self) -> None:
        if self.result is not None:
            self.save_as("Save saliency map", f"{self.result.label}-map.png", self.save_map,
                         "PNG image (*.png);;Raw map (*.npy)")

    def save(self) -> None:
        """File ▸ Save: the overlay."""
        self.save_or_say(self.result is not None, "No map to save yet.", "Save overlay",
                         lambda: f"{self.result.label}-overlay.png", self.save_overlay)

    # -- the window's API ------------------------------------------------------------
    def shutdown(self) -> None:
        self._pending = False
        self.schedule.cancel()
        self.classify.shutdown()
        super().shutdown()
