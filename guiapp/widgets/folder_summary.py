"""``FolderSummary``: the table of a folder report in the window, one row
per method (and the random map, the reference): each metric's mean over the
photos, or each method's mean rank (1 = best, ranked per photo), sortable,
the best of each column in bold; the same figures as the top table of the
HTML report (:func:`engine.gradients.ranking.summarize`).  Metrics that no
photo has (the pointing game without boxes) are left out."""
from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from engine.gradients.report_html import metric_title

from .methods_table import cell, method_name

__all__ = ["FolderSummary"]

MEAN, RANK = "mean", "rank"


class FolderSummary(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.show_choice = QComboBox()
        self.show_choice.addItem("mean score", MEAN)
        self.show_choice.addItem("mean rank (1 = best)", RANK)
        self.show_choice.setToolTip("Each metric's mean over the photos, or each method's rank for the metric "
                                    "on each photo, averaged")
        self.table = QTableWidget(0, 0)
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)   # compact rows
        self.top = QHBoxLayout()   # the caption, the choice of figures (and the owner's buttons after them)
        self.top.addWidget(self.caption, 1)
        self.top.addWidget(QLabel("Show:"))
        self.top.addWidget(self.show_choice)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self.top)
        lay.addWidget(self.table, 1)
        self.summary: dict | None = None
        self._methods: Sequence[str] = ()
        self._columns: Sequence[tuple[str, bool]] = ()
        self.show_choice.currentIndexChanged.connect(lambda _i: self._fill())

    def clear(self) -> None:
        self.summary = None
        self.caption.setText("")
        self.table.setRowCount(0)
        self.table.setColumnCount(0)

    def show_summary(self, summary: dict, methods: Sequence[str], columns: Sequence[tuple[str, bool]]) -> None:
        """Show ``summary`` (from ``summarize``) for ``methods`` over the metric ``columns``."""
        self.summary, self._methods = summary, list(methods)
        self._columns = [(c, higher) for c, higher in columns
                         if any(math.isfinite(summary["mean"][m].get(c, math.nan)) for m in methods)]
        n = summary["photos"]
        self.caption.setText(f"{n} photo{'s' if n != 1 else ''} scored; ↓ lower is better, ↑ higher is better")
        self._fill()

    def _fill(self) -> None:
        if self.summary is None:
            return
        key = self.show_choice.currentData()
        headings = ["method"] + [metric_title(c) for c, _ in self._columns]
        self.table.setSortingEnabled(False)
        self.table.setColumnCount(len(headings))
        self.table.setHorizontalHeaderLabels(headings)
        self.table.setRowCount(len(self._methods))
        for i, m in enumerate(self._methods):
            self.table.setItem(i, 0, QTableWidgetItem(method_name(m)))
        for j, (c, higher) in enumerate(self._columns, start=1):
            values = [self.summary[key][m].get(c, math.nan) for m in self._methods]
            best = _best(values, higher if key == MEAN else False)
            for i, v in enumerate(values):
                item = cell(v, 2 if c == "seconds" and key == MEAN else 3)
                if best is not None and v == best:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(i, j, item)
        self.table.setSortingEnabled(True)

    def column_values(self, heading: str) -> dict[str, object]:
        """Method name -> the value shown in the column ``heading``."""
        j = next(j for j in range(self.table.columnCount()) if self.table.horizontalHeaderItem(j).text() == heading)
        return {self.table.item(i, 0).text(): self.table.item(i, j).data(Qt.ItemDataRole.DisplayRole)
                for i in range(self.table.rowCount())}


def _best(values: Sequence[float], higher: bool) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    return max(finite) if higher else min(finite)
