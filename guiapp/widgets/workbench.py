"""The shape the image workbenches share: images over plots on the left, the
controls on the right (the Saliency and Fooling tabs)."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QWidget

__all__ = ["workbench_layout"]


def workbench_layout(tab: QWidget, images: QWidget, plots: QWidget, controls: QWidget,
                     sizes: Sequence[int] = (520, 220)) -> QSplitter:
    """Lay ``tab`` out; returns the left splitter (images above plots)."""
    left = QSplitter(Qt.Orientation.Vertical)
    left.addWidget(images)
    left.addWidget(plots)
    left.setSizes(list(sizes))
    layout = QHBoxLayout(tab)
    layout.addWidget(left, 1)
    layout.addWidget(controls)
    return left
