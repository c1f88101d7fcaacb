"""``ClassPicker``: a searchable chooser of a model's classes (the 1000 ImageNet
classes until :meth:`ClassPicker.relabel` gives another model's).

What is typed is resolved when the user presses Enter, leaves the field, or
picks a completion: an index (``76``), a whole name in any case
(``Tarantula``), or a part of a name that only one class has (``taran``).
The chosen item is then shown as ``tarantula (76)``.  Text that names several
classes or none is *not* accepted: the field is marked, :attr:`problem` says
why (listing a few matches), ``validity_changed(False)`` goes out, and
:meth:`commit` returns ``None`` until it is resolved, so a job never runs
with a class other than the one the field shows.  The rule itself is the
engine's :func:`engine.models.labels.class_matches`, shared with the CLI.
"""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QWidget
from superqt.utils import signals_blocked

from engine.models import imagenet_labels
from engine.models.labels import class_choice_text, class_index

from .wheel_guard import guard_wheel

__all__ = ["ClassPicker"]


class ClassPicker(QComboBox):
    """Signals ``class_changed(int)`` with a newly chosen class index,
    ``validity_changed(bool)`` when the typed text becomes (un)resolved and
    ``problem_changed(str)`` whenever :attr:`problem` changes (one unresolved
    text after another included; ``""``: resolved)."""

    class_changed = Signal(int)
    validity_changed = Signal(bool)
    problem_changed = Signal(str)

    def __init__(self, labels: Sequence[str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(20)
        guard_wheel(self)   # a wheel passing over it on the way down a panel leaves the class alone
        self.problem = ""
        self._labels: tuple[str, ...] = ()
        self.set_labels(labels or imagenet_labels())
        completer = QCompleter(self.model(), self)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompleter(completer)
        completer.activated.connect(lambda _text: self.commit())
        self.currentIndexChanged.connect(self._changed)
        self.lineEdit().editingFinished.connect(self.commit)
        self.lineEdit().setPlaceholderText("type a class name or index")

    def set_labels(self, labels: Sequence[str]) -> None:
        self._labels = tuple(labels)
        with signals_blocked(self):
            self.clear()
            for i, _label in enumerate(self._labels):
                self.addItem(class_choice_text(i, self._labels), i)
        self._set_problem("")

    def relabel(self, labels: Sequence[str]) -> bool:
        """Offer a new model's classes (each tab calls this on a model change),
        keeping the chosen index where the new model has it (else class 0),
        without signals (the tab decides what follows).  Whether the names changed."""
        labels = tuple(labels)
        if labels == self._labels:
            return False
        keep = self.current_class()
        with signals_blocked(self):
            self.set_labels(labels)
            self.set_class(keep if keep < len(labels) else 0)
        return True

    # -- reading -------------------------------------------------------------
    @property
    def labels(self) -> tuple[str, ...]:
        """The class names offered (the current model's: Model ▸ Open Model File… sets them)."""
        return self._labels

    @property
    def is_valid(self) -> bool:
        """The field shows a resolved class (what :meth:`current_class` returns)."""
        return not self.problem

    def current_class(self) -> int:
        """The class of the chosen item (call :meth:`commit` first to take typed text into account)."""
        data = self.currentData()
        return int(data) if data is not None else 0

    current_index = current_class

    def has_typed_text(self) -> bool:
        """The field holds text the user typed that is not the chosen item's (not resolved yet)."""
        row = self.currentIndex()
        return row < 0 or self.currentText() != self.itemText(row)

    def commit(self) -> int | None:
        """Resolve the typed text; the chosen class, or ``None`` (with :attr:`problem` set)."""
        text = self.currentText()
        if self.currentIndex() >= 0 and text == self.itemText(self.currentIndex()):
            self._set_problem("")
            return self.current_class()
        try:
            index = class_index(text, self._labels)
        except ValueError as exc:
            self._set_problem(str(exc))
            return None
        self._set_problem("")
        self.set_class(index)
        return index

    # -- writing -------------------------------------------------------------
    def set_class(self, index: int) -> None:
        row = self.findData(int(index))
        if row >= 0:
            self.setCurrentIndex(row)
            self.setEditText(self.itemText(row))  # also when the row was current but other text was typed
            self._set_problem("")

    def show_class(self, index: int) -> None:
        """Show ``index`` as the chosen class unless the user is typing another
        (a job that ends must not throw away what was typed meanwhile)."""
        if not self.has_typed_text():
            self.set_class(index)

    def _set_problem(self, text: str) -> None:
        was_valid, was = self.is_valid, self.problem
        self.problem = text
        self.setProperty("invalid", bool(text))
        self.setStyleSheet("QComboBox { border: 2px solid #d9534f; }" if text else "")
        self.setToolTip(text or "Type a class name, part of one, or an index; Enter chooses it")
        if was_valid != self.is_valid:
            self.validity_changed.emit(self.is_valid)
        if was != text:
            self.problem_changed.emit(text)

    def _changed(self, row: int) -> None:
        if row >= 0:
            self._set_problem("")
            self.class_changed.emit(int(self.itemData(row)))
