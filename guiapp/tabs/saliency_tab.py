"""The Saliency tab: drop a photo, see its class saliency map (Simonyan et al.
2014, §3.1, and richer attributions) side by side with the photo and as an
overlay, with deletion/insertion curves that say whether the map points at
what the network uses.

All model work runs on a :class:`JobRunner`; a parameter change recomputes
after a short pause (debounced), and a computation that is overtaken by a
newer one is cancelled instead of waited for, so the window never blocks.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout, QWidget
from superqt.utils import qdebounced, signals_blocked

from engine.gradients import SaliencyResult, colorize, overlay, saliency_job
from engine.imaging import save_npy, save_png
from engine.jobs import Control

from ..context import AppContext
from ..jobrunner import JobRunner
from ..widgets import ClassPicker, ImagePanel
from ..widgets.classify_panel import ClassifyPanel
from ..widgets.saliency_params import SaliencyParamsForm
from ..workbench import Workbench, workbench_layout

__all__ = ["SaliencyTab"]

RECOMPUTE_DELAY_MS = 300


class SaliencyTab(Workbench):
    #: points on the deletion/insertion curves (fewer: faster)
    curve_points = 21

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.target: int | None = None  # None: the predicted class
        self.result: SaliencyResult | None = None
        self.curves: dict | None = None
        self._pending = False
        self.runner = JobRunner(self)

        self.classify = ClassifyPanel(ctx)
        self.map_panel = ImagePanel("Saliency map", hint="The map appears here", accept_drops=False)
        self.overlay_panel = ImagePanel("Overlay", hint="", accept_drops=False)
        self.form = SaliencyParamsForm()
        self.picker = ClassPicker()
        self.target_label = QLabel("Class: the predicted one")
        self.status = QLabel("Drop an image on the left.")
        self.status.setWordWrap(True)
        self.save_map_button = QPushButton("Save map…")
        self.save_overlay_button = QPushButton("Save overlay…")
        self.plot = pg.PlotWidget(background=None)
        self.plot.setLabel("bottom", "fraction of pixels removed / inserted")
        self.plot.setLabel("left", "target probability")
        self.plot.setYRange(0, 1)
        self.plot.addLegend(offset=(-10, 10))
        self.deletion_curve = self.plot.plot([], [], pen=pg.mkPen("#d9534f", width=2), name="deletion (map order)")
        self.random_curve = self.plot.plot([], [], pen=pg.mkPen("#999999", width=2, style=Qt.PenStyle.DashLine),
                                           name="deletion (random order)")
        self.insertion_curve = self.plot.plot([], [], pen=pg.mkPen("#5cb85c", width=2), name="insertion (map order)")
        self.auc_label = QLabel("")
        self._build_layout()

        self.classify.image_changed.connect(self._on_image)
        self.classify.class_activated.connect(self.set_target)
        self.picker.class_changed.connect(self.set_target)
        self.picker.problem_changed.connect(self._on_picker_problem)
        self.form.params_changed.connect(lambda _p: self.schedule())
        self.form.display_changed.connect(self._render)
        self.form.typing.connect(self._describe_map)
        self.save_map_button.clicked.connect(self._save_map_dialog)
        self.save_overlay_button.clicked.connect(self.save)
        self.runner.connect_slots(frame=self._on_frame, done=self._on_done, failed=self._on_failed,
                                  running=self._on_running)
        ctx.model_changed.connect(self._on_model)
        if ctx.model is not None:
            self.form.set_layers(ctx.model.layer_names)
        self._update_buttons()

    def _build_layout(self) -> None:
        images = QSplitter(Qt.Orientation.Horizontal)
        images.addWidget(self.classify)
        images.addWidget(self.map_panel)
        images.addWidget(self.overlay_panel)
        side = QVBoxLayout()
        box = QGroupBox("Class")
        lay = QVBoxLayout(box)
        lay.addWidget(self.target_label)
        lay.addWidget(self.picker)
        side.addWidget(box)
        box = QGroupBox("Method")
        QVBoxLayout(box).addWidget(self.form)
        side.addWidget(box)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_map_button)
        buttons.addWidget(self.save_overlay_button)
        side.addLayout(buttons)
        side.addWidget(self.status)
        side.addStretch(1)
        panel = QWidget()
        panel.setLayout(side)
        panel.setMaximumWidth(340)
        bottom = QWidget()
        blay = QVBoxLayout(bottom)
        blay.setContentsMargins(0, 0, 0, 0)
        blay.addWidget(self.plot, 1)
        blay.addWidget(self.auc_label)
        workbench_layout(self, images, bottom, panel, sizes=(520, 220))

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
        self.result = self.curves = None
        self.map_panel.clear()
        self.overlay_panel.clear()
        self._describe_map()
        self._clear_curves()
        self._update_buttons()

    def _on_image(self, _image: np.ndarray, _path: str) -> None:
        self.target = None
        self._forget_result()
        self.compute()

    def _on_model(self, model) -> None:
        """Another network: what was shown explained the old one, so it goes at once."""
        self.runner.discard()
        self._pending = False
        self._forget_result()
        self.form.set_layers(model.layer_names)
        self.schedule()

    def _on_picker_problem(self, problem: str) -> None:
        if problem:
            self.status.setText(f"Class not chosen: {problem}")

    # -- computing -----------------------------------------------------------------
    @qdebounced(timeout=RECOMPUTE_DELAY_MS)
    def schedule(self) -> None:
        """Recompute after the user paused changing things."""
        self.compute()

    def compute(self) -> None:
        model, image = self.ctx.model, self.classify.image
        if image is None:
            return
        if model is None:
            self.status.setText("The model is still loading; the map follows when it is ready.")
            return
        if not self.picker.is_valid:
            self.status.setText(f"Class not chosen: {self.picker.problem}")
            return
        if self.runner.is_running:  # overtaken: cancel, start again when it has stopped
            self._pending = True
            self.runner.discard()
            return
        try:
            params = self.form.params()  # batch size "auto": the device's (engine.device.device_tuning)
        except ValueError as exc:
            self.ctx.error("Saliency parameters", str(exc))
            return
        self._pending = False
        target, points = self.target, self.curve_points
        control = Control(params)
        self.status.setText(f"Computing {params.method}…")
        self.runner.start(lambda: saliency_job(model, image, target, control=control, points=points), control)

    def _on_running(self, running: bool) -> None:
        self._update_buttons()
        if not running and self._pending:
            self.compute()

    def _on_frame(self, frame) -> None:
        if self._pending:
            return  # a newer computation is waiting; do not show stale results
        result: SaliencyResult = frame.info
        self.result = replace(result, deletion=None, insertion=None, random_deletion=None)
        self.target_label.setText(f"Class: {result.label} ({result.target})")
        with signals_blocked(self.picker):
            self.picker.show_class(result.target)  # not over a class being typed
        self._render()
        if result.deletion is not None:
            self.curves = {k: getattr(result, k) for k in ("deletion", "insertion", "random_deletion")}
            self._plot_curves()
        else:
            self._clear_curves()
            self.status.setText("Map ready; measuring deletion and insertion curves…")

    def _on_done(self, result) -> None:
        if result is not None and not self._pending:
            self.status.setText(f"{result.params.method} map for “{result.label}”.")
        self._update_buttons()

    def _on_failed(self, message: str) -> None:
        self.status.setText("The map could not be computed.")
        self.ctx.error("Saliency failed", message)

    # -- showing -------------------------------------------------------------------
    def overlay_image(self) -> np.ndarray | None:
        if self.result is None:
            return None
        return overlay(self.result.view, self.result.saliency, opacity=self.form.overlay_opacity(),
                       cmap=self.form.colormap())

    def map_image(self) -> np.ndarray | None:
        return None if self.result is None else colorize(self.result.saliency, self.form.colormap())

    def map_panel_title(self) -> str:
        return self.map_panel.findChild(QLabel, "panelTitle").text()

    def _describe_map(self) -> None:
        """The map panel's title says what the map was made with, and names
        typed values that are not applied yet (the map is not from them)."""
        if self.result is None:
            self.map_panel.set_title("Saliency map")
            return
        r = self.result
        text = f"Saliency map: {self.form.describe(r.params)} · {r.label} ({r.target})"
        typed = self.form.typed_not_applied()
        if typed:
            text += f" — typed {', '.join(typed)} not applied yet (Enter applies it)"
        self.map_panel.set_title(text)

    def _render(self) -> None:
        self._describe_map()
        if self.result is None:
            return
        self.map_panel.set_image(self.map_image())
        self.overlay_panel.set_image(self.overlay_image())
        self._update_buttons()

    def _clear_curves(self) -> None:
        for curve in (self.deletion_curve, self.random_curve, self.insertion_curve):
            curve.setData([], [])
        self.auc_label.setText("")

    def _plot_curves(self) -> None:
        c = self.curves
        self.deletion_curve.setData(c["deletion"].fractions, c["deletion"].probs)
        self.random_curve.setData(c["random_deletion"].fractions, c["random_deletion"].probs)
        self.insertion_curve.setData(c["insertion"].fractions, c["insertion"].probs)
        self.auc_label.setText(
            f"Deletion AUC {c['deletion'].auc:.3f} (random order {c['random_deletion'].auc:.3f}; lower is better) · "
            f"insertion AUC {c['insertion'].auc:.3f} (higher is better)")

    def _update_buttons(self) -> None:
        ready = self.result is not None
        self.save_map_button.setEnabled(ready)
        self.save_overlay_button.setEnabled(ready)

    # -- saving --------------------------------------------------------------------
    def _png_params(self, what: str) -> dict:
        result = self.result
        if self.curves:
            result = replace(result, **self.curves)
        return result.metadata(what, source=self.classify.image_panel.path or "", cmap=self.form.colormap(),
                               opacity=self.form.overlay_opacity() if what == "overlay" else None)

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
        if self.result is None:
            self.ctx.show_status("No map to save yet.", 4000)
            return
        self.save_as("Save overlay", f"{self.result.label}-overlay.png", self.save_overlay)

    # -- the window's API ------------------------------------------------------------
    def shutdown(self) -> None:
        self._pending = False
        self.schedule.cancel()
        self.runner.stop()
        self.classify.shutdown()
        self.runner.wait(5000)
