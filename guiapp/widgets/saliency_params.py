"""``SaliencyParamsForm``: the method and its parameters (live), plus the
display settings (colour map, overlay opacity) of the Saliency tab."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget
from superqt import QLabeledDoubleSlider
from superqt.utils import signals_blocked

from engine.gradients import COLORMAPS, METHOD_TABLE, SaliencyParams
from engine.params import specs

from .param_form import ParamForm
from .wheel_guard import guard_wheels

__all__ = ["SaliencyParamsForm"]

#: the fields with a row in the form (the seed and batch size stay at their defaults; the layer has its own row)
ROWS = ("method", "reduction", "samples", "noise", "steps", "baseline")


class SaliencyParamsForm(QWidget):
    """Signals: ``params_changed(SaliencyParams)`` when a computation
    parameter changes, ``display_changed()`` for colour map / opacity.

    The method's fields are generated from :class:`SaliencyParams`' declared
    specs (:class:`ParamForm`); the layer list comes from the model."""

    params_changed = Signal(object)
    display_changed = Signal()
    #: the text of a number field was edited (typed, maybe not applied yet)
    typing = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields = ParamForm(SaliencyParams(), only=ROWS)
        self.method, self.reduction = self.fields.widgets["method"], self.fields.widgets["reduction"]
        self.samples, self.noise, self.steps = (self.fields.widgets[n] for n in ("samples", "noise", "steps"))
        self.baseline = self.fields.widgets["baseline"]
        self.layer = QComboBox()
        self.layer.setToolTip(specs(SaliencyParams)["layer"].help)
        self.layer_label = QLabel("Layer")
        self.fields.layout().addRow(self.layer_label, self.layer)
        self.cmap = QComboBox()
        self.cmap.addItems(COLORMAPS)
        self.opacity = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.opacity.setRange(0.0, 1.0)
        self.opacity.setValue(0.5)
        self.opacity.setSingleStep(0.05)

        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.fields)
        form.addRow(QLabel("<b>Display</b>"))
        form.addRow("Colour map", self.cmap)
        form.addRow("Opacity", self.opacity)

        for name in ("samples", "noise", "steps"):
            edit = self.fields.widgets[name].findChild(QLineEdit)  # textChanged waits for Enter (no keyboard tracking)
            edit.textChanged.connect(lambda _t: self.typing.emit())
        self.fields.value_changed.connect(lambda _name, _value: self._changed())
        self.layer.currentIndexChanged.connect(lambda _i: self._changed())
        self.cmap.currentIndexChanged.connect(lambda _i: self.display_changed.emit())
        self.opacity.valueChanged.connect(lambda _v: self.display_changed.emit())
        self._show_rows()
        guard_wheels(self)   # as in every settings panel: a choice changes on the wheel only once clicked

    def _show_rows(self) -> None:
        used = METHOD_TABLE[self.fields.value("method")].fields
        self.fields.show_fields(used)
        for w in (self.layer, self.layer_label):
            w.setVisible("layer" in used)

    def set_layers(self, names: Sequence[str], default=None) -> None:
        """Offer a model's layers, opening on ``default`` (the model's
        :class:`~engine.models.layer_choice.LayerDefault` for Grad-CAM, its reason
        in the tooltip) or else the last one, Grad-CAM's usual choice."""
        names = list(names)
        chosen = default.layer if default is not None and default.layer in names else (names[-1] if names else "")
        with signals_blocked(self.layer):
            self.layer.clear()
            self.layer.addItems(names)
            self.layer.setCurrentIndex(self.layer.findText(chosen))
        why = f"Opens on {chosen}: {default.reason}" if default is not None and chosen == default.layer else ""
        self.layer.setToolTip("\n".join(filter(None, (specs(SaliencyParams)["layer"].help, why))))

    def params(self) -> SaliencyParams:
        return self.fields.params(layer=self.layer.currentText() or None)

    def set_method(self, name: str) -> None:
        self.method.setCurrentIndex(self.method.findData(name))

    def describe(self, p: SaliencyParams) -> str:
        """What a map was made with, in words: "SmoothGrad, 25 samples, noise 0.15, max over channels"."""
        words = {"samples": f"{p.samples} samples", "noise": f"noise {p.noise:g}", "steps": f"{p.steps} steps",
                 "baseline": f"{p.baseline} baseline", "reduction": f"{p.reduction} over channels",
                 "layer": f"layer {p.layer or 'last'}"}
        row = METHOD_TABLE[p.method]
        return ", ".join([row.short] + [text for name, text in words.items() if name in row.uses])

    def typed_not_applied(self) -> list[str]:
        """Visible number fields whose typed text is not their value yet ("Samples 200")."""
        out = []
        for name in ("samples", "noise", "steps"):
            spin = self.fields.widgets[name]
            if not spin.isVisibleTo(self):
                continue
            text = spin.cleanText()
            if not spin.hasAcceptableInput() or spin.valueFromText(text) != spin.value():
                out.append(f"{self.fields.specs[name].label.lower()} {text or '(empty)'}")
        return out

    def map_title(self, result) -> str:
        """The map panel's title for ``result`` (a SaliencyResult or ``None``):
        what the map was made with, and the typed values not applied yet."""
        if result is None:
            return "Saliency map"
        text = f"Saliency map: {self.describe(result.params)} · {result.label} ({result.target})"
        typed = self.typed_not_applied()
        return text + (f" — typed {', '.join(typed)} not applied yet (Enter applies it)" if typed else "")

    def colormap(self) -> str:
        return self.cmap.currentText()

    def overlay_opacity(self) -> float:
        return float(self.opacity.value())

    def _changed(self) -> None:
        self._show_rows()
        self.params_changed.emit(self.params())
