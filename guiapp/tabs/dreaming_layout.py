"""The Dreaming tab's layout: the photos, the result and the compare panel
over the plots and the history strip, the settings on the right in a scroll
area."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from ..widgets.wheel_guard import guard_wheels

__all__ = ["build_layout"]


def build_layout(tab) -> None:
    """Lay out the widgets the :class:`~guiapp.tabs.dreaming_tab.DreamingTab` made."""
    guide = QWidget()
    guide_box = QVBoxLayout(guide)
    guide_box.setContentsMargins(0, 0, 0, 0)
    guide_box.addWidget(tab.guide_panel, 1)
    guide_box.addWidget(tab.guide_button)
    tab.guide_widget = guide
    inputs = QSplitter(Qt.Orientation.Vertical)
    inputs.addWidget(tab.source_panel)
    inputs.addWidget(guide)
    images = QSplitter(Qt.Orientation.Horizontal)
    images.addWidget(inputs)
    images.addWidget(tab.result_panel)
    side_images = QSplitter(Qt.Orientation.Vertical)  # the importance mask under the compared picture
    side_images.addWidget(tab.compare_panel)
    side_images.addWidget(tab.mask_panel)
    images.addWidget(side_images)
    images.setSizes([220, 480, 360])
    center = QSplitter(Qt.Orientation.Vertical)
    center.addWidget(images)
    center.addWidget(tab.plot)
    center.addWidget(tab.history)
    center.setSizes([520, 180, 140])

    controls = QWidget()
    side = QVBoxLayout(controls)
    top = QFormLayout()
    top.addRow("Mode", tab.mode)
    tab.layer_label, tab.class_label = QLabel("Layer"), QLabel("Class")
    top.addRow(tab.layer_label, tab.layer)
    top.addRow(tab.class_label, tab.picker)
    top.addRow("Seed", tab.seed)
    side.addLayout(top)
    box = QGroupBox("Parameters (* = next run)")
    QVBoxLayout(box).addWidget(tab.form)
    side.addWidget(box)
    for row in ((tab.start_button, tab.stop_button, tab.continue_button), (tab.save_button, tab.export_button, tab.again_button)):
        line = QHBoxLayout()
        for button in row:
            line.addWidget(button)
        side.addLayout(line)
    side.addWidget(tab.progress)
    side.addWidget(tab.status)
    side.addWidget(tab.opinion)
    side.addStretch(1)
    guard_wheels(controls)   # the wheel scrolls the panel; Mode, Layer, Seed… change only once clicked
    scroll = QScrollArea()
    scroll.setWidget(controls)
    scroll.setWidgetResizable(True)
    scroll.setMinimumWidth(250)
    scroll.setMaximumWidth(470)
    layout = QHBoxLayout(tab)
    layout.addWidget(center, 1)
    layout.addWidget(scroll)
