"""``ElidingComboBox``: a combo box whose closed face ends a title too long for
it with "…" (Qt cuts it mid-letter: "Vanilla gradient (Simonyai"), its
tooltip holding the whole title; the open list shows every title in full."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QStyle, QStyleOptionComboBox, QStylePainter

__all__ = ["ElidingComboBox"]


class ElidingComboBox(QComboBox):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.currentTextChanged.connect(self._follow)
        self._help = ""

    def set_help(self, text: str) -> None:
        """The tooltip's second part (the parameter's help), after the current title."""
        self._help = text
        self._follow(self.currentText())

    def _follow(self, title: str) -> None:
        self.setToolTip("\n".join(t for t in (title, self._help) if t))

    def shown_text(self) -> str:
        """The text on the closed box at its present width."""
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        field = self.style().subControlRect(QStyle.ComplexControl.CC_ComboBox, option,
                                            QStyle.SubControl.SC_ComboBoxEditField, self)
        return self.fontMetrics().elidedText(option.currentText, Qt.TextElideMode.ElideRight, field.width())

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt's name
        painter = QStylePainter(self)
        option = QStyleOptionComboBox()
        self.initStyleOption(option)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ComboBox, option)
        option.currentText = self.shown_text()
        painter.drawControl(QStyle.ControlElement.CE_ComboBoxLabel, option)
