"""``scrollable(widget)``: a column of controls that scrolls instead of
forcing the window to stay tall (small screens, split views), the wheel
changing its choices and numbers only once clicked;
``controls_beside(page, controls, view, widths)``: the captioning pages'
layout, that column on the left of a view that takes the rest."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QVBoxLayout, QWidget

from ..widgets.wheel_guard import guard_wheels

__all__ = ["scrollable", "controls_beside"]


def scrollable(widget: QWidget, min_width: int = 320) -> QScrollArea:
    guard_wheels(widget)   # the wheel scrolls the column past its combo and spin boxes
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setMinimumWidth(min(widget.minimumSizeHint().width() + 16, min_width))
    return area


def controls_beside(page: QWidget, controls: QWidget, view: QWidget, widths: tuple[int, int]) -> QSplitter:
    """Lay ``page`` out as a splitter: the scrollable ``controls`` column,
    then ``view`` (which gets the extra space); ``widths`` are the starting
    widths in pixels."""
    split = QSplitter(Qt.Orientation.Horizontal)
    split.addWidget(scrollable(controls))
    split.addWidget(view)
    split.setStretchFactor(1, 1)
    split.setSizes(list(widths))
    outer = QVBoxLayout(page)
    outer.setContentsMargins(4, 4, 4, 4)
    outer.addWidget(split)
    return split
