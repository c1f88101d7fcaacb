"""``ClassPicker``: a searchable chooser of the 1000 ImageNet classes (type any
part of a name or an index)."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget

from engine.models import imagenet_labels

__all__ = ["ClassPicker"]


class ClassPicker(QComboBox):
    """Signal ``class_changed(int)`` with the chosen class index."""

    class_changed = Signal(int)

    def __init__(self, labels: Sequence[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(20)
        self.set_labels(labels or imagenet_labels())
        completer = QCompleter(self.model(), self)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(completer)
        self.currentIndexChanged.connect(self._changed)
        self.lineEdit().setPlaceholderText("type to search 1000 classes…")

    def set_labels(self, labels: Sequence[str]) -> None:
        self.blockSignals(True)
        self.clear()
        for i, label in enumerate(labels):
            self.addItem(f"{label} ({i})", i)
        self.blockSignals(False)

    def current_class(self) -> int:
        data = self.currentData()
        return int(data) if data is not None else 0

    current_index = current_class

    def set_class(self, index: int) -> None:
        row = self.findData(int(index))
        if row >= 0:
            self.setCurrentIndex(row)

    def _changed(self, row: int) -> None:
        if row >= 0:
            self.class_changed.emit(int(self.itemData(row)))
