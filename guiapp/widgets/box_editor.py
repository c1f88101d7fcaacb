"""``BoxEditor``: object boxes drawn over an :class:`ImagePanel` (the
Saliency tab's "where is the object?").  *Add box* puts a box in the middle
of the picture; drag it to move it, drag its corner handle to resize it,
right-click it to remove it; *Clear boxes* removes them all.  Every change
emits ``boxes_changed(list)`` with the boxes as ``(x0, y0, x1, y1)`` in the
picture's pixels, while the box is being dragged too (live)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.gradients import localization

from .image_panel import ImagePanel

__all__ = ["BoxEditor"]

PEN = pg.mkPen("#00e676", width=2)


class BoxEditor(QWidget):
    boxes_changed = Signal(list)

    def __init__(self, panel: ImagePanel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.panel = panel
        self.rois: list[pg.RectROI] = []
        self.add_button = QPushButton("Add box")
        self.add_button.setToolTip("Mark where the object is: a box on the overlay to drag and resize "
                                   "(right-click a box to remove it)")
        self.clear_button = QPushButton("Clear boxes")
        self.result = QLabel("Add a box around the object to score the map against it.")
        self.result.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.clear_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(buttons)
        lay.addWidget(self.result)
        self.add_button.clicked.connect(lambda: self.add_box())
        self.clear_button.clicked.connect(self.clear)
        self._update_buttons()

    def boxes(self) -> list[tuple[float, float, float, float]]:
        out = []
        for roi in self.rois:
            (x, y), (w, h) = roi.pos(), roi.size()
            out.append((float(x), float(y), float(x + w), float(y + h)))
        return out

    def add_box(self, box: tuple[float, float, float, float] | None = None) -> pg.RectROI:
        """Add a box (default: the middle half of the picture)."""
        image = self.panel.image
        h, w = image.shape[:2] if image is not None else (224, 224)
        x0, y0, x1, y1 = box if box is not None else (w / 4, h / 4, 3 * w / 4, 3 * h / 4)
        roi = pg.RectROI((x0, y0), (x1 - x0, y1 - y0), pen=PEN, removable=True, snapSize=1.0,
                         maxBounds=pg.QtCore.QRectF(0, 0, w, h))
        roi.sigRegionChanged.connect(lambda _r: self._changed())
        roi.sigRemoveRequested.connect(self._remove)
        self.panel.add_item(roi)
        self.rois.append(roi)
        self._changed()
        return roi

    def _remove(self, roi: pg.RectROI) -> None:
        self.panel.remove_item(roi)
        self.rois.remove(roi)
        self._changed()

    def clear(self) -> None:
        for roi in list(self.rois):
            self.panel.remove_item(roi)
        self.rois.clear()
        self._changed()

    def _update_buttons(self) -> None:
        self.clear_button.setEnabled(bool(self.rois))

    def _changed(self) -> None:
        self._update_buttons()
        self.boxes_changed.emit(self.boxes())

    def score(self, saliency: np.ndarray | None) -> None:
        """Say how ``saliency`` (the map shown; ``None``: none yet) scores against the boxes drawn now."""
        boxes = self.boxes()
        if not boxes:
            self.result.setText("Add a box around the object to score the map against it.")
        elif saliency is None:
            self.result.setText("The score follows when the map is ready.")
        else:
            loc = localization(saliency, boxes)
            where, plural = ("in" if loc.hit else "outside"), ("es" if len(boxes) > 1 else "")
            self.result.setText(
                f"Pointing game: {'hit' if loc.hit else 'miss'} (the map's peak is {where} the box{plural}) · "
                f"{100 * loc.mass:.0f} % of the map's mass inside, on {100 * loc.area:.0f} % of the picture "
                f"(what a random map scores)")
