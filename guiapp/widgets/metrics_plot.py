"""``MetricsPlot``: live curves of a job's metrics against the step — the
objective on the left plot, regularisation terms and probabilities on the
right (their scales differ by orders of magnitude).  Curves are created once
per metric and updated with ``setData``; each plot's legend stands beside its
curves (:func:`legend_beside`)."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QWidget

from .step_axis import StepAxis

__all__ = ["MetricsPlot", "PRIMARY"]

#: Metrics drawn on the left ("objective") plot.
PRIMARY = ("objective", "distance")
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#139eb0")  # read on light and dark
MAX_POINTS = 20000


class _SideLegend(pg.LegendItem):
    """A legend in a column of the plot's own layout, right of the curves."""

    def updateSize(self) -> None:   # noqa: N802 - pyqtgraph's name
        size = self.layout.preferredSize()   # the samples, the names and the spacing between them
        self.setFixedWidth(size.width())
        self.setFixedHeight(size.height())


def legend_beside(plot: pg.PlotWidget) -> pg.LegendItem:
    """The plot's legend (its curves' names, as ``addLegend`` gives) beside
    the curves, not over them (inside the plot it hid the line it named)."""
    item = plot.plotItem
    item.legend = _SideLegend()
    item.layout.addItem(item.legend, 2, 3)
    item.layout.setAlignment(item.legend, Qt.AlignmentFlag.AlignTop)
    return item.legend


class MetricsPlot(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.objective_plot = pg.PlotWidget(background=None)
        self.objective_plot.setTitle("objective", size="9pt")   # titles: a rotated label is cut by a short plot
        self.objective_plot.setLabel("bottom", "step")
        self.terms_plot = pg.PlotWidget(background=None)
        self.terms_plot.setTitle("regularisers / probability", size="9pt")
        self.terms_plot.setLabel("bottom", "step")
        for plot in (self.objective_plot, self.terms_plot):
            legend_beside(plot)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.objective_plot, 1)
        layout.addWidget(self.terms_plot, 1)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.data: dict[str, tuple[list[float], list[float]]] = {}
        self.terms_plot.setVisible(False)  # shown when a mode reports regulariser terms
        self.axes = {self.objective_plot: StepAxis(self.objective_plot), self.terms_plot: StepAxis(self.terms_plot)}

    def add(self, step: float, metrics: Mapping[str, float]) -> None:
        """Append one point per metric (non-finite values are skipped)."""
        for name, value in metrics.items():
            if name == "octave" or not np.isfinite(value):
                continue
            if name not in self.curves:
                plot = self.objective_plot if name in PRIMARY else self.terms_plot
                plot.setVisible(True)
                pen = pg.mkPen(COLORS[len(self.curves) % len(COLORS)], width=2)
                self.curves[name] = plot.plot([], [], pen=pen, name=name)
                self.data[name] = ([], [])
            xs, ys = self.data[name]
            xs.append(float(step))
            ys.append(float(value))
            if len(xs) > MAX_POINTS:
                del xs[: len(xs) // 2 : 2], ys[: len(ys) // 2 : 2]  # thin the oldest half
            self.curves[name].setData(xs, ys)
            self.axes[self.objective_plot if name in PRIMARY else self.terms_plot].show(step)

    def clear(self) -> None:
        self.objective_plot.clear()
        self.terms_plot.clear()
        for plot in (self.objective_plot, self.terms_plot):
            if plot.plotItem.legend is not None:
                plot.plotItem.legend.clear()
        self.curves.clear()
        self.data.clear()
        self.terms_plot.setVisible(False)
        for plot in (self.objective_plot, self.terms_plot):
            plot.enableAutoRange(axis="y")
            self.axes[plot].reset()
