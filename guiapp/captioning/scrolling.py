"""``scrollable(widget)``: a column of controls that scrolls instead of
forcing the window to stay tall (small screens, split views)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget

__all__ = ["scrollable"]


def scrollable(widget: QWidget, min_width: int = 320) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setMinimumWidth(min(widget.minimumSizeHint().width() + 16, min_width))
    return area
