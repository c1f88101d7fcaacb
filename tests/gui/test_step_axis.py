"""Live plots against the step: the x range grows in powers of two (redrawn a
handful of times per run, not at every frame) and keeps every point in view."""
from __future__ import annotations

import pyqtgraph as pg

from guiapp.widgets.metrics_plot import MetricsPlot
from guiapp.widgets.step_axis import LEFT_AXIS_WIDTH, StepAxis


def test_the_range_doubles_only_when_a_step_leaves_it(qtbot):
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    axis = StepAxis(plot)
    moves = []
    plot.getViewBox().sigXRangeChanged.connect(lambda *_: moves.append(plot.viewRange()[0][1]))
    for step in range(1, 101):
        axis.show(step)
        assert plot.viewRange()[0][1] >= step
    assert axis.upper == 128 and len(moves) == 5          # 8, 16, 32, 64, 128
    assert plot.getAxis("left").minimumWidth() == plot.getAxis("left").maximumWidth() == LEFT_AXIS_WIDTH
    axis.reset()
    axis.show(1)
    assert axis.upper == 8


def test_metrics_plot_keeps_every_step_in_view_and_starts_again_after_clear(qtbot):
    view = MetricsPlot()
    qtbot.addWidget(view)
    for step in range(1, 41):
        view.add(step, {"objective": float(step), "l2": 1.0 / step})
    for plot in (view.objective_plot, view.terms_plot):
        (x0, x1), _ = plot.viewRange()
        assert x0 <= 1 and 40 <= x1 <= 64 * 1.05
    view.clear()
    view.add(1, {"objective": 1.0})
    assert view.objective_plot.viewRange()[0][1] <= 8 * 1.05
