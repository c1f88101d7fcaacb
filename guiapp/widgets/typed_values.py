"""Take what the user typed but has not confirmed yet before a job starts.

A spin box with keyboard tracking off keeps its old value until Enter or
focus-out, and a :class:`~guiapp.widgets.class_picker.ClassPicker` resolves
its text at the same moments.  A Run button that does not take the focus
(macOS buttons, a keyboard shortcut, a menu action) would otherwise start the
job with values other than the ones on screen.  :func:`commit_typed_values`
confirms every visible field under a widget, or says which one cannot be read.
"""
from __future__ import annotations

from PySide6.QtWidgets import QAbstractSpinBox, QFormLayout, QLabel, QWidget

from .class_picker import ClassPicker

__all__ = ["commit_typed_values"]


def _field_name(widget: QWidget) -> str:
    parent = widget.parentWidget()
    layout = parent.layout() if parent is not None else None
    if isinstance(layout, QFormLayout):
        label = layout.labelForField(widget)
        if isinstance(label, QLabel) and label.text():
            return label.text().rstrip(" *:")
    return widget.toolTip().split(" (")[0] or widget.objectName() or "a field"


def commit_typed_values(root: QWidget) -> str | None:
    """Commit every visible spin box and class picker under ``root``.

    Returns ``None`` when all of them now hold what they show, else a message
    naming the first field whose text is not a value it accepts."""
    for spin in root.findChildren(QAbstractSpinBox):
        if not spin.isVisibleTo(root) or not spin.isEnabled():
            continue
        if not spin.hasAcceptableInput():
            return f"{_field_name(spin)}: “{spin.text()}” is not a value it accepts; correct it or press Esc"
        spin.interpretText()
    for picker in root.findChildren(ClassPicker):
        if picker.isVisibleTo(root) and picker.commit() is None:
            return f"Class: {picker.problem}"
    return None
