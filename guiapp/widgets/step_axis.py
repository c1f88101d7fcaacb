"""``StepAxis``: the x range of a live plot against the step, grown in powers of
two.

Moving the range at every step made pyqtgraph redraw the axes and the grid
of every live plot at every frame (about 40 ms of the GUI thread per frame
for the Fooling tab's two plots); growing it to 8, 16, 32, … steps redraws
them a handful of times per run and still uses at least half of the width."""
from __future__ import annotations

import pyqtgraph as pg

__all__ = ["StepAxis", "LEFT_AXIS_WIDTH"]

#: a fixed width for the left axis of live plots (tick labels that change width do not re-lay the plot out)
#: and of plots stacked to line up (Look inside)
LEFT_AXIS_WIDTH = 56


class StepAxis:
    def __init__(self, plot: pg.PlotWidget, minimum: int = 8) -> None:
        self.plot, self.minimum, self.upper = plot, minimum, 0
        plot.disableAutoRange(axis="x")
        plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)

    def show(self, step: float) -> None:
        """Make sure ``step`` is in view (the range doubles when it is not)."""
        upper = max(self.minimum, 1 << int(step).bit_length())
        if upper != self.upper:
            self.upper = upper
            self.plot.setXRange(0, upper, padding=0.02)

    def reset(self) -> None:
        """A new run: the range starts again at ``minimum`` with its next point."""
        self.upper = 0
        self.plot.disableAutoRange(axis="x")
