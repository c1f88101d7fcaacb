"""``int_spin(lo, hi, value, step)``: the integer spin box of the captioning pages."""
from __future__ import annotations

from PySide6.QtWidgets import QSpinBox

__all__ = ["int_spin"]


def int_spin(lo: int, hi: int, value: int, step: int = 1) -> QSpinBox:
    """A spin box for ``lo..hi`` showing ``value``, stepping by ``step``."""
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    s.setSingleStep(step)
    return s
