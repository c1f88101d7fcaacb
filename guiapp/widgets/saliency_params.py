"""``SaliencyParamsForm``: the method and its parameters (live), plus the
display settings (colour map, overlay opacity) of the Saliency tab."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QSpinBox, QWidget
from superqt import QLabeledDoubleSlider

from engine.gradients import BASELINES, COLORMAPS, METHODS, REDUCTIONS, SaliencyParams

__all__ = ["SaliencyParamsForm"]

METHOD_TITLES = {
    "vanilla": "Vanilla gradient (Simonyan 2014)",
    "smoothgrad": "SmoothGrad (Smilkov 2017)",
    "integrated-gradients": "Integrated Gradients (Sundararajan 2017)",
    "gradcam": "Grad-CAM (Selvaraju 2017)",
}


class SaliencyParamsForm(QWidget):
    """Signals: ``params_changed(SaliencyParams)`` when a computation
    parameter changes, ``display_changed()`` for colour map / opacity."""

    params_changed = Signal(object)
    display_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        d = SaliencyParams()
        self.method = QComboBox()
        for name in METHODS:
            self.method.addItem(METHOD_TITLES[name], name)
        self.reduction = QComboBox()
        self.reduction.addItems(REDUCTIONS)
        self.reduction.setToolTip("max_c |grad| as in Simonyan et al. §3.1, or the sum over colour channels")
        self.samples = QSpinBox(minimum=1, maximum=200, value=d.samples)
        self.samples.setToolTip("SmoothGrad: number of noisy copies averaged")
        self.noise = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, decimals=2, value=d.noise)
        self.noise.setToolTip("SmoothGrad: noise sigma as a fraction of the input range")
        self.steps = QSpinBox(minimum=1, maximum=500, value=d.steps)
        self.steps.setToolTip("Integrated Gradients: points on the path from the baseline")
        self.baseline = QComboBox()
        self.baseline.addItems(BASELINES)
        self.layer = QComboBox()
        self.layer.setToolTip("Grad-CAM: the feature map whose gradients weight the channels")
        self.cmap = QComboBox()
        self.cmap.addItems(COLORMAPS)
        self.opacity = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0.0, 1.0)
        self.opacity.setValue(0.5)
        self.opacity.setSingleStep(0.05)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Method", self.method)
        self._rows: dict[str, list[QWidget]] = {}
        self._add(form, "reduction", "Channels", self.reduction)
        self._add(form, "samples", "Samples", self.samples)
        self._add(form, "noise", "Noise", self.noise)
        self._add(form, "steps", "Steps", self.steps)
        self._add(form, "baseline", "Baseline", self.baseline)
        self._add(form, "layer", "Layer", self.layer)
        form.addRow(QLabel("<b>Display</b>"))
        form.addRow("Colour map", self.cmap)
        form.addRow("Opacity", self.opacity)

        for combo in (self.method, self.reduction, self.baseline, self.layer):
            combo.currentIndexChanged.connect(self._changed)
        for spin in (self.samples, self.noise, self.steps):
            spin.valueChanged.connect(self._changed)
        self.cmap.currentIndexChanged.connect(lambda _i: self.display_changed.emit())
        self.opacity.valueChanged.connect(lambda _v: self.display_changed.emit())
        self._show_rows()

    def _add(self, form: QFormLayout, key: str, title: str, widget: QWidget) -> None:
        label = QLabel(title)
        form.addRow(label, widget)
        self._rows[key] = [label, widget]

    def _show_rows(self) -> None:
        method = self.method.currentData()
        used = {"vanilla": {"reduction"}, "smoothgrad": {"reduction", "samples", "noise"},
                "integrated-gradients": {"reduction", "steps", "baseline"}, "gradcam": {"layer"}}[method]
        for key, widgets in self._rows.items():
            for w in widgets:
                w.setVisible(key in used)

    def set_layers(self, names: Sequence[str]) -> None:
        """Offer a model's layers (the last one selected, Grad-CAM's usual choice)."""
        current = self.layer.currentText()
        self.layer.blockSignals(True)
        self.layer.clear()
        self.layer.addItems(list(names))
        self.layer.setCurrentIndex(self.layer.findText(current) if current in names else len(names) - 1)
        self.layer.blockSignals(False)

    def params(self) -> SaliencyParams:
        return SaliencyParams(
            method=self.method.currentData(), reduction=self.reduction.currentText(),
            samples=self.samples.value(), noise=round(self.noise.value(), 4), steps=self.steps.value(),
            baseline=self.baseline.currentText(), layer=self.layer.currentText() or None,
        )

    def set_method(self, name: str) -> None:
        self.method.setCurrentIndex(self.method.findData(name))

    def colormap(self) -> str:
        return self.cmap.currentText()

    def overlay_opacity(self) -> float:
        return float(self.opacity.value())

    def _changed(self, *_args) -> None:
        self._show_rows()
        self.params_changed.emit(self.params())
