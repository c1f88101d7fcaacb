"""A mouse wheel turned over a form's spin box, choice or slider that the user
has not clicked scrolls the panel around it instead of changing the value (a
settings panel scrolled with the wheel must not change a parameter it passes
under the pointer).  Clicked (focused), the widget takes the wheel as usual."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QSlider, QWidget

__all__ = ["guard_wheel", "guard_wheels"]


class _WheelGuard(QObject):
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:   # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Wheel and isinstance(watched, QWidget) and not watched.hasFocus():
            event.ignore()   # not taken: Qt hands the wheel on to the parent (the scroll area)
            return True
        return False


_GUARD: _WheelGuard | None = None


def guard_wheel(widget: QWidget) -> None:
    """``widget`` takes the wheel only once focused (a click or Tab, not the wheel itself)."""
    global _GUARD
    if _GUARD is None:
        _GUARD = _WheelGuard()
    widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    widget.installEventFilter(_GUARD)


def guard_wheels(panel: QWidget) -> None:
    """Guard every combo box, spin box and slider inside ``panel`` (a settings panel that scrolls)."""
    for kind in (QComboBox, QAbstractSpinBox, QSlider):
        for widget in panel.findChildren(kind):
            guard_wheel(widget)
