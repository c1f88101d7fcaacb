"""``SanityStrip``: the cascading randomisation check made visible (Adebayo
et al., "Sanity Checks for Saliency Maps", NeurIPS 2018): the map of the
trained network, then the map as the network's layers are re-initialised
from the top (logits) down, with the Spearman rank correlation to the
original map under each picture.  A map that still looks the same when the
weights are random explains the picture, not the model."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from engine.gradients import RandomizationStep, colorize

from .history_strip import thumbnail_pixmap
from .job_bar import JobPanel

__all__ = ["SanityStrip"]

SIDE = 96


class SanityStrip(JobPanel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Randomise the layers", "Re-initialise the network's layers from the top down and "
                         "recompute the map at each stage (on a copy of the model)",
                         "Compare the map with the maps of more and more randomised networks.", parent)
        self.steps: list[RandomizationStep] = []
        self.pictures: list[QLabel] = []
        self.captions: list[QLabel] = []
        self._grid = QGridLayout()
        self._grid.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.body.addLayout(self._grid)
        self.body.addStretch(1)

    def clear(self) -> None:
        self.steps = []
        for w in self.pictures + self.captions:
            self._grid.removeWidget(w)
            w.deleteLater()
        self.pictures, self.captions = [], []

    def _add(self, image: np.ndarray, caption: str, tip: str = "") -> None:
        col = len(self.pictures)
        picture, text = QLabel(), QLabel(caption)
        picture.setPixmap(thumbnail_pixmap(image, SIDE))
        picture.setToolTip(tip)
        text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        text.setWordWrap(True)
        text.setMaximumWidth(SIDE + 20)
        self._grid.addWidget(picture, 0, col)
        self._grid.addWidget(text, 1, col)
        self.pictures.append(picture)
        self.captions.append(text)

    def begin(self, saliency: np.ndarray, cmap: str) -> None:
        """A new check of ``saliency``: the strip starts with it."""
        self.clear()
        self._add(colorize(saliency, cmap), "trained\nρ = 1")

    def add_step(self, step: RandomizationStep, cmap: str) -> None:
        self.steps.append(step)
        self._add(colorize(step.map, cmap), f"top {step.top} random\nρ = {step.spearman:.2f}",
                  f"Re-initialised from the logits down to {step.deepest} ({step.top} layers)")
