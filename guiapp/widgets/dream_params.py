"""``DreamParamsForm``: labelled spin boxes for every numeric parameter of a
generation mode (``ClassVizParams``, ``InversionParams``, ``DreamParams``),
built from the dataclass, so a running job can take each change at once.

Signals: ``value_changed(str, object)`` with the field name and its new value
(the tab forwards it to ``control.update``); ``kind_changed(str)`` when the
image parameterisation (fourier / pixels) is switched, which loads that
parameterisation's recommended defaults.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox, QWidget

__all__ = ["DreamParamsForm", "FIELD_SPECS", "START_ONLY"]

#: name -> (label, minimum, maximum, step, decimals (None: integer), tooltip)
FIELD_SPECS: dict[str, tuple] = {
    "size": ("Image size (px)", 16, 2048, 16, None, "Side of the generated square image"),
    "decay": ("Spectrum decay", 0.0, 3.0, 0.05, 2, "Fourier frequency scaling exponent: higher = smoother, larger shapes"),
    "steps": ("Steps", 0, 100000, 10, None, "Optimisation steps (per octave for DeepDream); change it to run longer or stop earlier"),
    "lr": ("Learning rate", 0.0, 1000.0, 0.01, 3, "Adam step (fourier, inversion) or mean pixel change per step (pixels, DeepDream)"),
    "l2": ("L2 weight", 0.0, 1e6, 0.01, 3, "Weight of the mean squared image value (Simonyan et al. 2014)"),
    "tv": ("TV weight", 0.0, 1e6, 0.05, 3, "Weight of the total variation prior (Mahendran & Vedaldi 2015)"),
    "blur_every": ("Blur every (steps)", 0, 100000, 1, None, "Gaussian blur of the pixels every N steps; 0 = never"),
    "blur_sigma": ("Blur sigma (px)", 0.0, 10.0, 0.1, 2, "Standard deviation of the periodic blur"),
    "jitter": ("Jitter (px)", 0, 512, 1, None, "Largest random shift of the image each step"),
    "pad": ("Pad (px)", 0, 256, 1, None, "Grey border added before the random view"),
    "scale": ("Random scale ±", 0.0, 0.5, 0.01, 2, "Largest relative random zoom of the view"),
    "rotate": ("Random rotation ± (°)", 0.0, 180.0, 1.0, 1, "Largest random rotation of the view"),
    "octaves": ("Octaves", 1, 12, 1, None, "Number of scales, dreamed from the smallest up"),
    "octave_scale": ("Octave scale", 1.01, 4.0, 0.05, 2, "Size ratio between octaves"),
    "tile": ("Tile (px)", 0, 8192, 64, None, "Process large images in tiles of this size; 0 = whole image"),
    "overlap": ("Tile context (px)", -1, 1024, 32, None, "Context margin around each tile; -1 = measured for the layer"),
}

#: Fields read once when a run starts (changing them applies to the next run).
START_ONLY = {"parameterization", "size", "decay"}


class DreamParamsForm(QWidget):
    value_changed = Signal(str, object)
    kind_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._cls: type | None = None
        self.widgets: dict[str, QWidget] = {}

    # -- building -------------------------------------------------------------
    def set_params(self, params: Any) -> None:
        """Show the fields of ``params`` (a frozen parameter dataclass) with its values."""
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self.widgets = {}
        self._cls = type(params)
        for f in dataclasses.fields(params):
            value = getattr(params, f.name)
            if f.name == "parameterization":
                widget = QComboBox()
                widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                widget.setMinimumContentsLength(10)
                widget.addItem("Fourier, decorrelated (Lucid)", "fourier")
                widget.addItem("Plain pixels (classic)", "pixels")
                widget.setCurrentIndex(widget.findData(value))
                widget.setToolTip("How the image is represented while it is optimised (applies to the next run)")
                widget.currentIndexChanged.connect(lambda _i, w=widget: self.kind_changed.emit(w.currentData()))
                label = "Parameterisation"
            else:
                label, lo, hi, step, decimals, tip = FIELD_SPECS[f.name]
                if decimals is None:
                    widget = QSpinBox(minimum=int(lo), maximum=int(hi), singleStep=int(step))
                else:
                    widget = QDoubleSpinBox(minimum=lo, maximum=hi, singleStep=step, decimals=decimals)
                widget.setValue(value)
                widget.setKeyboardTracking(False)  # typed numbers apply on Enter, not per keystroke
                if f.name == "overlap":
                    widget.setSpecialValueText("auto")
                widget.setToolTip(tip + (" (applies to the next run)" if f.name in START_ONLY else " (takes effect at once)"))
                widget.valueChanged.connect(lambda v, name=f.name: self.value_changed.emit(name, v))
            widget.setObjectName(f"param_{f.name}")
            self.widgets[f.name] = widget
            self._layout.addRow(QLabel(label + (" *" if f.name in START_ONLY else "")), widget)

    # -- reading and writing --------------------------------------------------
    def values(self) -> dict[str, Any]:
        out = {}
        for name, widget in self.widgets.items():
            out[name] = widget.currentData() if isinstance(widget, QComboBox) else widget.value()
        return out

    def params(self) -> Any:
        """The parameters shown, as the dataclass (``ValueError`` for a bad combination)."""
        if self._cls is None:
            raise ValueError("no parameters")
        return self._cls(**self.values())

    def set_value(self, name: str, value: Any) -> None:
        widget = self.widgets[name]
        widget.blockSignals(True)
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(widget.findData(value))
        else:
            widget.setValue(value)
        widget.blockSignals(False)

    def set_values(self, params: Any) -> None:
        """Show the values of ``params`` without emitting signals."""
        for f in dataclasses.fields(params):
            if f.name in self.widgets:
                self.set_value(f.name, getattr(params, f.name))
