"""``ClassifyPanel``: drop a photo, see it with the model's top-5 predictions
(computed on a background thread)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from engine.classification import classify_job
from engine.jobs import Control

from ..context import AppContext
from ..jobrunner import JobRunner
from .image_panel import ImagePanel
from .predictions import PredictionList

__all__ = ["ClassifyPanel"]


class ClassifyPanel(QWidget):
    """Image on top, predictions below.  Signals ``image_changed(ndarray, str)``
    and ``predictions_ready(list)``; ``class_activated(int)`` is forwarded
    from the prediction list."""

    image_changed = Signal(object, str)
    predictions_ready = Signal(list)
    class_activated = Signal(int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.image: np.ndarray | None = None
        self.predictions: list = []
        self.image_panel = ImagePanel("Image")
        self.prediction_list = PredictionList()
        self.prediction_list.setMinimumHeight(self.prediction_list.height_for(5))  # all five, no scroll bar
        self.info = QLabel("")
        self.info.setObjectName("muted")
        self.runner = JobRunner(self)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.image_panel)
        below = QWidget()
        lay = QVBoxLayout(below)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("Top-5 predictions"))
        lay.addWidget(self.prediction_list)
        lay.addWidget(self.info)
        split.addWidget(below)
        split.setSizes([400, 200])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        self.image_panel.image_loaded.connect(self._on_image)
        self.image_panel.load_failed.connect(lambda msg: ctx.error("Cannot open image", msg))
        self.prediction_list.class_activated.connect(self.class_activated)
        self.runner.connect_slots(frame=self._on_frame, failed=lambda msg: ctx.error("Classification failed", msg))
        ctx.model_changed.connect(self._on_model)

    def open_file(self, path: str) -> bool:
        return self.image_panel.load_file(path)

    def set_image(self, image: np.ndarray, name: str = "") -> None:
        self.image_panel.set_image(image)
        self._on_image(image, name)

    def _on_image(self, image: np.ndarray, path: str) -> None:
        self.image = image
        h, w = image.shape[:2]
        self.info.setText(f"{path.rsplit('/', 1)[-1] if path else 'image'} — {w}×{h} px")
        self.image_changed.emit(image, path)
        self.classify()

    def _on_model(self, _model) -> None:
        """Another network: the old one's top-5 goes at once, the new one's follows."""
        self.predictions = []
        self.prediction_list.clear()
        self.classify()

    def classify(self) -> None:
        model, image = self.ctx.model, self.image
        if image is None:
            return
        if model is None:
            self.prediction_list.clear()
            self.ctx.show_status("The model is still loading; predictions follow when it is ready.", 4000)
            return
        control = Control()
        self.runner.start(lambda: classify_job(model, image, control), control)

    def _on_frame(self, frame) -> None:
        model = self.ctx.model
        classified = frame.info
        if model is not None and classified.model != model.name:
            return  # the job of a network that is no longer the current one
        self.predictions = classified.predictions
        self.prediction_list.set_predictions(self.predictions)
        self.predictions_ready.emit(self.predictions)

    def shutdown(self) -> None:
        self.runner.stop()
        self.runner.wait(1000)
