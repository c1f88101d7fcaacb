"""``ParamForm``: the form of an engine parameter dataclass, generated from its
declared specs (:mod:`engine.params`) as magicgui generates forms from
annotations, so a range, step, label or help text is written once, in the
engine.

Integers become spin boxes, floats double spin boxes (``strict_low``: the
lowest value shown is one step of the last decimal above ``low``), choices
combo boxes showing their titles.  Typed numbers apply on Enter or when the
field is left, not per keystroke.  Fields that apply at the next run are
marked with ``*``.  A live number with a declared ``slider`` range gets a
slider beside its spin box (superqt's float slider): dragging it changes the
value at once, throttled to about 20 changes a second, so a running job
follows the hand; the slider widens to take a value set beyond its range.

Signal ``value_changed(str, object)``: a field's name and its new value.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QSpinBox, QWidget
from superqt import QDoubleSlider
from superqt.utils import qthrottled, signals_blocked

from engine.params import Spec, specs

from .eliding_combo import ElidingComboBox
from .wheel_guard import guard_wheel

__all__ = ["ParamForm", "widget_range", "INT_LIMIT"]

#: Qt spin boxes hold 32-bit integers.
INT_LIMIT = 2**31 - 1
#: Slider changes reach the form's listeners at most this often (ms).
SLIDER_INTERVAL_MS = 50


def widget_range(spec: Spec) -> tuple[float, float]:
    """The (minimum, maximum) a spin box for ``spec`` offers."""
    if spec.kind == "int":
        return max(int(spec.low), -INT_LIMIT), min(int(spec.high), INT_LIMIT)
    low = spec.low + 10.0 ** -spec.decimals if spec.strict_low else spec.low
    return low, spec.high


def make_widget(spec: Spec) -> QWidget:
    """The input widget of one declared parameter."""
    if spec.kind == "choice":
        widget = ElidingComboBox()
        widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        widget.setMinimumContentsLength(10)
        for value, title in spec.choices:
            widget.addItem(title, value)
    elif spec.kind in ("int", "float"):
        lo, hi = widget_range(spec)
        if spec.kind == "int":
            widget = QSpinBox(minimum=int(lo), maximum=int(hi), singleStep=int(spec.step or 1))
        else:
            widget = QDoubleSpinBox(minimum=lo, maximum=hi, decimals=spec.decimals,
                                    singleStep=spec.step or 10.0 ** -spec.decimals)
        widget.setKeyboardTracking(False)  # typed numbers apply on Enter, not per keystroke
        if spec.special:
            widget.setSpecialValueText(spec.special)
    else:
        raise ValueError(f"no form widget for the {spec.kind} parameter {spec.name!r}")
    when = "takes effect at once" if spec.live else "applies to the next run"
    help_text = f"{spec.help} ({when})" if spec.help else when
    if isinstance(widget, ElidingComboBox):
        widget.set_help(help_text)  # after the whole title of the current choice
    else:
        widget.setToolTip(help_text)
    widget.setObjectName(f"param_{spec.name}")
    guard_wheel(widget)
    return widget


def field_label(spec: Spec) -> str:
    unit = f" ({spec.unit})" if spec.unit else ""
    return f"{spec.label}{unit}{'' if spec.live else ' *'}"


class ParamForm(QWidget):
    value_changed = Signal(str, object)

    def __init__(self, params: Any = None, *, only: Iterable[str] | None = None, parent: QWidget | None = None) -> None:
        """The form of ``params``' declared fields, or of those in ``only``, in that order."""
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._only = list(only) if only is not None else None
        self._cls: type | None = None
        self._fixed: dict[str, Any] = {}
        self.specs: dict[str, Spec] = {}
        self.widgets: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        self.sliders: dict[str, QDoubleSlider] = {}
        if params is not None:
            self.set_params(params)

    # -- building -------------------------------------------------------------
    def set_params(self, params: Any) -> None:
        """Show the declared fields of ``params`` (a :class:`engine.params.Params`) with its values."""
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self._cls = type(params)
        self.specs, self.widgets, self.labels, self.sliders = {}, {}, {}, {}
        declared = specs(params)
        for name in self._only if self._only is not None else declared:   # ``only`` also gives the order
            spec = declared[name]
            widget = make_widget(spec)
            if isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(lambda _i, n=name, w=widget: self.value_changed.emit(n, w.currentData()))
            else:
                widget.valueChanged.connect(lambda v, n=name: self.value_changed.emit(n, v))
            label = QLabel(field_label(spec))
            label.setToolTip(widget.toolTip())
            self.specs[name], self.widgets[name], self.labels[name] = spec, widget, label
            self._layout.addRow(label, self._with_slider(name, spec, widget))
        self._fixed = {k: v for k, v in params.as_dict().items() if k not in self.widgets}
        self.set_values(params)

    def _with_slider(self, name: str, spec: Spec, spin: QWidget) -> QWidget:
        """``spin`` alone, or beside a slider when the field is live and declares one."""
        if not (spec.live and spec.slider and spec.kind in ("int", "float")):
            return spin
        slider = QDoubleSlider(Qt.Orientation.Horizontal)
        slider.setRange(*spec.slider)
        slider.setToolTip(spin.toolTip())
        slider.setMinimumWidth(70)
        guard_wheel(slider)
        send = qthrottled(spin.setValue, timeout=SLIDER_INTERVAL_MS, leading=True, parent=slider)
        slider.valueChanged.connect(lambda v: send(int(round(v)) if spec.kind == "int" else v))
        slider.sliderReleased.connect(send.flush)
        spin.valueChanged.connect(lambda v, s=slider: self._follow(s, v))
        self.sliders[name] = slider
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(spin)
        lay.addWidget(slider, 1)
        self._follow(slider, spin.value())
        return row

    @staticmethod
    def _follow(slider: QDoubleSlider, value: float) -> None:
        """Move the slider to a value set elsewhere, widening it if needed (no echo)."""
        with signals_blocked(slider):
            if value > slider.maximum():
                slider.setMaximum(value * 2 if value > 0 else value)
            slider.setValue(value)

    def show_fields(self, names: Iterable[str]) -> None:
        """Show only the rows of ``names`` (the others keep their values)."""
        keep = set(names)
        for name, widget in self.widgets.items():
            self._layout.setRowVisible(widget.parentWidget() if name in self.sliders else widget, name in keep)

    # -- reading and writing --------------------------------------------------
    def value(self, name: str) -> Any:
        widget = self.widgets[name]
        if isinstance(widget, QComboBox):
            return widget.currentData()
        value = widget.value()
        return round(value, self.specs[name].decimals) if isinstance(value, float) else value

    def values(self) -> dict[str, Any]:
        return {name: self.value(name) for name in self.widgets}

    def params(self, **changes: Any) -> Any:
        """The parameters shown (plus ``changes``), as the dataclass (``ValueError`` for a bad combination)."""
        if self._cls is None:
            raise ValueError("no parameters")
        return self._cls(**{**self._fixed, **self.values(), **changes})

    def set_value(self, name: str, value: Any) -> None:
        """Show ``value`` without emitting ``value_changed`` (``None``, an
        optional field left unset, leaves the widget as it is)."""
        widget = self.widgets[name]
        if value is None:
            return
        with signals_blocked(widget):
            if isinstance(widget, QComboBox):
                widget.setCurrentIndex(widget.findData(value))
            else:
                widget.setValue(value)
                if name in self.sliders:
                    self._follow(self.sliders[name], widget.value())

    def set_values(self, params: Any) -> None:
        """Show the values of ``params`` without emitting signals."""
        for name, value in params.as_dict().items():
            if name in self.widgets:
                self.set_value(name, value)
            else:
                self._fixed[name] = value
