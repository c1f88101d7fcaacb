"""``PredictionList``: the top-k classes with probability bars; clicking a row
picks that class."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHeaderView, QProgressBar, QTreeWidget, QTreeWidgetItem, QWidget

from engine.models import Prediction

__all__ = ["PredictionList"]


class PredictionList(QTreeWidget):
    """Signal ``class_activated(int)`` when the user clicks a class."""

    class_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setColumnCount(3)
        self.setHeaderLabels(["Class", "Probability", ""])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        header = self.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(2, 90)
        header.setStretchLastSection(False)
        self.itemClicked.connect(self._clicked)
        self._predictions: list[Prediction] = []

    def height_for(self, rows: int) -> int:
        """Pixels that show the header and ``rows`` rows without a scroll bar
        (rows as tall as the text or a probability bar, whichever is taller)."""
        row = max(self.fontMetrics().height() + 4, QProgressBar().sizeHint().height())
        return self.header().sizeHint().height() + rows * row + 2 * self.frameWidth()

    @property
    def predictions(self) -> list[Prediction]:
        return list(self._predictions)

    def set_predictions(self, predictions: Sequence[Prediction], highlight: int | None = None) -> None:
        self.clear()
        self._predictions = list(predictions)
        for p in predictions:
            item = QTreeWidgetItem([f"{p.label}  ({p.index})", f"{p.prob:.1%}", ""])
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            item.setData(0, Qt.ItemDataRole.UserRole, p.index)
            item.setToolTip(0, f"class {p.index}: {p.label} — {p.prob:.2%}")
            self.addTopLevelItem(item)
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int(round(p.prob * 1000)))
            bar.setTextVisible(False)  # the number is in its own column: text over the bar is unreadable
            self.setItemWidget(item, 2, bar)
            if highlight is not None and p.index == highlight:
                self.setCurrentItem(item)
        self._fit_bar()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_bar()

    def _fit_bar(self) -> None:
        """The bar gives up width (down to 16 px) before the class names are cut."""
        names = max((self.fontMetrics().horizontalAdvance(self.topLevelItem(i).text(0))
                     for i in range(self.topLevelItemCount())), default=0)
        spare = self.viewport().width() - self.header().sectionSize(1) - names - 16
        self.header().resizeSection(2, max(16, min(90, spare)))

    def _clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        index = item.data(0, Qt.ItemDataRole.UserRole)
        if index is not None:
            self.class_activated.emit(int(index))
