"""``InsidePanel``: look inside the recurrent cell.

* Heat maps over the words of a caption: for the LSTM the input, forget and
  output gates and the cell state per hidden unit (for the vanilla RNN its
  hidden state), from :func:`engine.captioning.internals.caption_internals`;
  for the LSTM with attention also its weights over the grid cells and their
  entropy per word (0: one cell; ``log L``: all cells alike).
* The gradient per time step while training (both cells): the norm of
  ``dL/dh_t`` of the latest minibatch, and the gradient of the last word's
  loss ``k`` steps back (:func:`~engine.captioning.internals.gradient_through_time`),
  measured at every epoch end: the vanishing-gradient picture.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from engine.captioning.internals import caption_internals
from engine.captioning.jobs import CaptionResult, Run
from engine.captioning.model import CELLS
from engine.jobs import Frame

from ..widgets.step_axis import LEFT_AXIS_WIDTH
from ..workbench import splitter
from .loss_plot import COMPARE_COLORS, SMOOTH_COLOR, labelled_plot

__all__ = ["InsidePanel", "GATE_ROWS", "ATTENTION_ROWS"]

#: (key, title, levels) of the heat-map rows for the LSTM
GATE_ROWS = (("i", "input gate i", (0.0, 1.0)), ("f", "forget gate f", (0.0, 1.0)),
             ("o", "output gate o", (0.0, 1.0)), ("c", "cell state c", None))
RNN_ROWS = (("h", "hidden state h", (-1.0, 1.0)),)
ATTENTION_ROWS = GATE_ROWS + (("alpha", "attention weights α (one row per grid cell, row by row)", (0.0, 1.0)),)
#: fixed widths (px) of the colour bar and its scale; with the left axis at LEFT_AXIS_WIDTH every row's
#: words line up, the entropy bars' too
BAR_AXIS, BAR = 36, 12
#: the least height of one heat map (title, map, word axis) in pixels: on a short screen the maps scroll
#: instead of being squeezed into unreadable strips
ROW_HEIGHT = 120


class InsidePanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.internals: dict | None = None
        self._pending: CaptionResult | None = None  # a caption to draw when the page is shown
        self.heat_items: dict[str, pg.ImageItem] = {}
        self.entropy_item: pg.BarGraphItem | None = None
        self._entropy_plot: pg.PlotItem | None = None
        self._heat_bars: dict[str, tuple[pg.PlotItem, pg.ColorBarItem]] = {}
        self._layout: tuple[str, int | None] | None = None  # (cell type, attention cells) the plots are built for
        self.title = QLabel("Caption an image on the Caption page to see the cell's gates over its words.")
        self.title.setWordWrap(True)
        self.heat = pg.GraphicsLayoutWidget()
        self.heat.setBackground(None)

        self.norm_plot = labelled_plot("Gradient norm per time step (latest minibatch)", "‖dL/dh_t‖", "time step t")
        self.back_plot = labelled_plot("Gradient of the last word's loss, k steps back", "‖dL_last/dh‖ (log)",
                                    "steps back k")
        self.back_plot.getPlotItem().setLogMode(y=True)
        self.norm_curve = self.norm_plot.plot([], [], pen=pg.mkPen(SMOOTH_COLOR, width=2), symbol="o",
                                              symbolSize=5, symbolBrush=SMOOTH_COLOR, name="this run")
        self.back_curve = self.back_plot.plot([], [], pen=pg.mkPen(SMOOTH_COLOR, width=2), symbol="o",
                                              symbolSize=5, symbolBrush=SMOOTH_COLOR, name="this run")
        self.back_first = self.back_plot.plot([], [], pen=pg.mkPen(SMOOTH_COLOR, width=1, style=Qt.PenStyle.DashLine),
                                              name="this run, before training")
        self._compare: list = []
        self.grad_label = QLabel("Train a model (Train page) to see how the gradient travels back in time: "
                                 "a vanilla RNN's shrinks quickly with every step, an LSTM's much less.")
        self.grad_label.setWordWrap(True)
        self.grad_label.setObjectName("muted")

        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addWidget(self.title)
        self.heat_scroll = QScrollArea()
        self.heat_scroll.setWidgetResizable(True)
        self.heat_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.heat_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.heat_scroll.setWidget(self.heat)
        tl.addWidget(self.heat_scroll, 1)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        plots = QHBoxLayout()
        plots.addWidget(self.norm_plot)
        plots.addWidget(self.back_plot)
        bl.addLayout(plots, 1)
        bl.addWidget(self.grad_label)
        split = splitter(Qt.Orientation.Vertical, top, bottom, sizes=(480, 300))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)

    # -- heat maps ------------------------------------------------------------------
    def show_caption(self, result: CaptionResult) -> bool:
        """Heat maps of the cell over the words of ``result``'s caption.  Drawn
        when this page is on screen: building the plots takes ~0.1 s of the
        GUI thread, and training re-captions every epoch; a caption made
        while another page is shown is drawn when this one is shown."""
        if not self.isVisible():
            self._pending = result
            return True
        self._pending = None
        return self._draw_caption(result)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._pending is not None:
            result, self._pending = self._pending, None
            self._draw_caption(result)

    def _draw_caption(self, result: CaptionResult) -> bool:
        model = result.model
        if model is None or not result.ids:
            return False
        try:
            self.internals = caption_internals(model, result.features, result.ids)
        except ValueError as exc:
            self.title.setText(f"Nothing to show: {exc}")
            return False
        self.title.setText(f"<b>{CELLS[model.cell_type].title}</b> while it says “{result.caption}” ({result.source}): "
                           f"one column per word it emits, one row per hidden unit ({model.hidden_dim}).")
        rows = {"lstm": GATE_ROWS, "rnn": RNN_ROWS, "attention": ATTENTION_ROWS}[model.cell_type]
        regions = model.regions if "entropy" in self.internals else None
        if (model.cell_type, regions) != self._layout:  # the plots are built once per cell type and grid,
            self.heat.clear()                            # then only given new values (a rebuild took ~0.1 s
            self.heat_items, self._heat_bars = {}, {}    # of the GUI thread, and training re-captions every epoch)
            self.entropy_item = self._entropy_plot = None
            self._layout = (model.cell_type, regions)
            self.heat.setMinimumHeight(ROW_HEIGHT * (len(rows) + (regions is not None)))
        self._draw_heat(rows)
        if regions is not None:
            self._draw_entropy(len(rows), regions)
        return True

    def _draw_entropy(self, row: int, regions: int) -> None:
        """Bars: the entropy of the attention weights before every word, against its maximum ``log L``."""
        entropy = np.asarray(self.internals["entropy"], dtype=float)
        words = self.internals["outputs"]
        x = np.arange(len(entropy)) + 0.5
        if self.entropy_item is None:
            plot = self._new_plot(row, f"attention entropy per word (nats; dashed: log {regions}, all cells alike)")
            plot.getAxis("left").setLabel("nats")
            room = pg.GraphicsWidget()             # where the maps above have their colour bar: the words line up
            room.setFixedWidth(BAR + BAR_AXIS + 2)  # + the colour bar's own margin
            plot.layout.addItem(room, 2, 5)
            plot.layout.setColumnFixedWidth(4, 5)
            self.entropy_item = pg.BarGraphItem(x=x, height=entropy, width=0.7, brush=SMOOTH_COLOR)
            plot.addItem(self.entropy_item)
            plot.addLine(y=float(np.log(regions)), pen=pg.mkPen("#888888", style=Qt.PenStyle.DashLine))
            plot.setYRange(0, float(np.log(regions)) * 1.05, padding=0)
            self._entropy_plot = plot
        else:
            self.entropy_item.setOpts(x=x, height=entropy)
        self._entropy_plot.getAxis("bottom").setTicks([[(k + 0.5, w) for k, w in enumerate(words)]])
        self._entropy_plot.setXRange(0, len(entropy), padding=0)

    def _new_plot(self, row: int, title: str) -> pg.PlotItem:
        plot = self.heat.addPlot(row=row, col=0)
        plot.setTitle(title, size="9pt")
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.getAxis("left").setWidth(LEFT_AXIS_WIDTH)
        return plot

    def _draw_heat(self, rows: Sequence[tuple[str, str, tuple[float, float] | None]]) -> None:
        """One heat map per row (made on the first call after a layout change, then updated)."""
        words = self.internals["outputs"]
        ticks = [[(k + 0.5, w) for k, w in enumerate(words)]]
        for r, (key, title, levels) in enumerate(rows):
            values = self.internals[key]                       # (T, H)
            if levels is None:
                bound = float(np.percentile(np.abs(values), 99)) or 1.0   # a few large cells do not wash it out
                levels, cmap = (-bound, bound), pg.colormap.get("CET-D1")
            else:
                cmap = pg.colormap.get("viridis") if levels[0] >= 0 else pg.colormap.get("CET-D1")
            img = self.heat_items.get(key)
            if img is None:
                plot = self._new_plot(r, title)
                plot.getAxis("left").setLabel("cell" if key == "alpha" else "unit")
                img = pg.ImageItem(axisOrder="col-major")       # x = time step, y = unit
                img.setLookupTable(cmap.getLookupTable(nPts=256))
                plot.addItem(img)
                bar = pg.ColorBarItem(values=levels, colorMap=cmap, interactive=False, width=BAR)
                bar.setImageItem(img, insert_in=plot)
                bar.getAxis("right").setWidth(BAR_AXIS)
                self.heat_items[key], self._heat_bars[key] = img, (plot, bar)
            plot, bar = self._heat_bars[key]
            img.setImage(values, autoLevels=False, levels=levels)
            bar.setLevels(levels)
            plot.getAxis("bottom").setTicks(ticks)
            plot.setXRange(0, values.shape[0], padding=0)
            plot.setYRange(0, values.shape[1], padding=0)

    # -- gradients ---------------------------------------------------------------------
    def on_training_frame(self, frame: Frame) -> None:
        norms = frame.info.hidden_grad_norms
        if norms:
            self.norm_curve.setData(np.arange(1, len(norms) + 1), np.asarray(norms, dtype=float))

    def show_runs(self, current: Run | None, compare: Sequence[Run] = ()) -> None:
        """Draw the gradient curves of the live run and of the runs to compare."""
        for plot, item in self._compare:
            plot.removeItem(item)
            if plot.getPlotItem().legend is not None:
                plot.getPlotItem().legend.removeItem(item)
        self._compare = []
        if current is not None:
            if current.grad_norms:
                self.norm_curve.setData(np.arange(1, len(current.grad_norms) + 1), np.asarray(current.grad_norms))
            self._set_back(self.back_curve, current.backprop[-1][1] if current.backprop else None)
            self._set_back(self.back_first, current.backprop[0][1] if len(current.backprop) > 1 else None)
            self.grad_label.setText(self._describe(current))
        for k, run in enumerate(compare):
            color = COMPARE_COLORS[k % len(COMPARE_COLORS)]
            if run.grad_norms:
                item = self.norm_plot.plot(np.arange(1, len(run.grad_norms) + 1), np.asarray(run.grad_norms),
                                           pen=pg.mkPen(color, width=2), name=run.label)
                self._compare.append((self.norm_plot, item))
            if run.backprop:
                item = self.back_plot.plot([], [], pen=pg.mkPen(color, width=2), name=run.label)
                self._set_back(item, run.backprop[-1][1])
                self._compare.append((self.back_plot, item))

    @staticmethod
    def _set_back(curve, values: np.ndarray | None) -> None:
        if values is None or len(values) == 0:
            curve.setData([], [])
            return
        v = np.maximum(np.asarray(values, dtype=float), 1e-12)   # log axis
        curve.setData(np.arange(len(v)), v)

    @staticmethod
    def _describe(run: Run) -> str:
        if not run.backprop:
            return ""
        it, g = run.backprop[-1]
        if len(g) < 2 or g[0] <= 0:
            return ""
        k = min(len(g) - 1, 5)
        return (f"{run.label} at iteration {it}: {k} steps back the last word's gradient is "
                f"{g[k] / g[0]:.2%} of its size at that word ({g[k]:.2g} vs {g[0]:.2g}).")
