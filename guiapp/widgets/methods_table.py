"""``MethodsTable``: every saliency method scored on this photo, one row
each (vanilla, SmoothGrad, SmoothGrad², VarGrad, Integrated Gradients,
Grad-CAM, and a random map as the reference), sortable by any column: the
scores, then each method's rank per metric side by side (1 = best), so
that where the metrics disagree is visible at a glance."""
from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QWidget

from engine.gradients import METHOD_TABLE, REFERENCE, MethodTable, ranks

from .job_bar import JobPanel

__all__ = ["MethodsTable", "SHORT", "cell", "method_name"]

#: column headings of the metrics (↓ lower is better, ↑ higher is better)
SHORT = {"morf": "MoRF ↓", "lerf": "LeRF ↑", "gap": "LeRF−MoRF ↑", "pointing": "pointing ↑", "mass": "mass ↑",
         "sanity": "|ρ| random model ↓", "seconds": "seconds ↓"}


def _heading(metric: str) -> str:
    return SHORT[metric.partition(":")[0]]


def method_name(method: str) -> str:
    """A row's heading: the method's short title, or the random map's."""
    return "random map (reference)" if method == REFERENCE else METHOD_TABLE[method].short


def cell(value: float, decimals: int = 3) -> QTableWidgetItem:
    item = QTableWidgetItem()
    if math.isfinite(value):
        item.setData(Qt.ItemDataRole.DisplayRole, round(float(value), decimals))  # numbers sort as numbers
    else:
        item.setData(Qt.ItemDataRole.DisplayRole, "–")
    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    return item


class MethodsTable(JobPanel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Score all methods", "Compute every method's map on this photo and score it with the "
                         "chosen fill-in, the boxes (if any) and the randomised model",
                         "Score every method on this photo at once.", parent)
        self.table = QTableWidget(0, 0)
        self.table.setSortingEnabled(True)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.shown: MethodTable | None = None
        self.body.addWidget(self.table, 1)

    def clear(self) -> None:
        self.shown = None
        self.table.setRowCount(0)

    def show_table(self, table: MethodTable) -> None:
        """Show ``table``'s rows (as far as it goes), with the ranks over those rows."""
        self.shown = table
        columns = table.columns()
        headings = ["method"] + [_heading(c) for c, _ in columns] + [f"#{_heading(c)}" for c, _ in columns]
        sorting = self.table.horizontalHeader().sortIndicatorSection(), self.table.horizontalHeader().sortIndicatorOrder()
        self.table.setSortingEnabled(False)
        self.table.setColumnCount(len(headings))
        self.table.setHorizontalHeaderLabels(headings)
        self.table.setRowCount(len(table.rows))
        metrics = [r.metrics() for r in table.rows]
        rank_columns = [ranks([m[c] for m in metrics], higher) for c, higher in columns]
        for i, row in enumerate(table.rows):
            self.table.setItem(i, 0, QTableWidgetItem(method_name(row.method)))
            for j, (c, _) in enumerate(columns):
                self.table.setItem(i, 1 + j, cell(metrics[i][c], 2 if c == "seconds" else 3))
                self.table.setItem(i, 1 + len(columns) + j, cell(rank_columns[j][i], 1))
        self.table.setSortingEnabled(True)
        if 0 <= sorting[0] < len(headings):
            self.table.sortItems(*sorting)

    def column(self, heading: str) -> int:
        """The index of the column with ``heading``."""
        for j in range(self.table.columnCount()):
            if self.table.horizontalHeaderItem(j).text() == heading:
                return j
        raise KeyError(heading)

    def column_values(self, heading: str) -> dict[str, object]:
        """Method name -> the cell's value in the column ``heading`` (as shown, after sorting)."""
        j = self.column(heading)
        return {self.table.item(i, 0).text(): self.table.item(i, j).data(Qt.ItemDataRole.DisplayRole)
                for i in range(self.table.rowCount())}

    def method_order(self) -> list[str]:
        return [self.table.item(i, 0).text() for i in range(self.table.rowCount())]


