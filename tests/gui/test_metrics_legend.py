"""The plots' legends sit beside the curves: inside the plot the "tv" name
covered the tv line of the regularisers plot."""
from __future__ import annotations

from guiapp.widgets.metrics_plot import MetricsPlot


def _settle(qtbot, plot):
    for _ in range(3):
        qtbot.wait(10)   # the plot's layout places the legend on the next pass


def test_the_legend_is_beside_the_curves_and_shows_every_name_whole(qtbot):
    plot = MetricsPlot()
    qtbot.addWidget(plot)
    plot.resize(1060, 180)
    plot.show()
    qtbot.waitExposed(plot)
    for step in range(1, 41):   # a class visualization's terms: tv rises towards the top right
        plot.add(step, {"objective": step * 0.5, "l2": 0.01 * step, "tv": 0.02 * step, "prob": min(1.0, step / 10)})
    _settle(qtbot, plot)
    for widget, names in ((plot.objective_plot, ["objective"]), (plot.terms_plot, ["l2", "tv", "prob"])):
        item = widget.plotItem
        legend, view = item.legend, item.vb.sceneBoundingRect()
        assert [label.text for _sample, label in legend.items] == names
        box = legend.sceneBoundingRect()
        assert box.width() > 0 and box.left() >= view.right() - 1, (box, view)   # beside, not over the curves
        assert box.right() <= widget.sceneRect().right() + 1   # not cut at the edge
        for _sample, label in legend.items:   # each name whole inside the legend
            assert box.contains(label.sceneBoundingRect().adjusted(1, 1, -1, -1))
    plot.clear()
    plot.add(1, {"objective": 1.0})
    _settle(qtbot, plot)
    assert [label.text for _sample, label in plot.objective_plot.plotItem.legend.items] == ["objective"]
