"""``TrainingPlots``: the live loss curve (raw and smoothed, epoch markers),
validation BLEU-4 per epoch, and other runs overlaid for comparison."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from engine.captioning.jobs import Run

__all__ = ["TrainingPlots", "smooth", "COMPARE_COLORS"]

COMPARE_COLORS = ["#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d"]
RAW_COLOR, SMOOTH_COLOR = (70, 130, 200, 110), "#3d7bd9"  # mid-tones: readable on light and dark


def smooth(values: Sequence[float], half_window: int | None = None) -> np.ndarray:
    """Centred moving average ``s_i = mean(x_{i-h} .. x_{i+h})`` (the window
    shrinks at both ends; non-finite losses are skipped).  Centred, so the
    smoothed curve does not lag behind a falling loss as a trailing average
    would.  ``h`` defaults to ``len(values) // 50`` (at least 1)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return x
    h = max(1, n // 50) if half_window is None else max(0, int(half_window))
    ok = np.isfinite(x)
    csum = np.concatenate([[0.0], np.cumsum(np.where(ok, x, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(ok)])
    lo = np.clip(np.arange(n) - h, 0, n)
    hi = np.clip(np.arange(n) + h + 1, 0, n)
    count = ccount[hi] - ccount[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (csum[hi] - csum[lo]) / np.maximum(count, 1), np.nan)


def labelled_plot(title: str, left: str, bottom: str, legend_offset: tuple[int, int] = (-10, 10)) -> pg.PlotWidget:
    """A plot with a title, axis labels, a light grid and a legend."""
    w = pg.PlotWidget(background=None)
    item = w.getPlotItem()
    item.setTitle(title)
    item.setLabel("left", left)
    item.setLabel("bottom", bottom)
    item.showGrid(x=True, y=True, alpha=0.2)
    item.addLegend(offset=legend_offset)
    return w


class TrainingPlots(QWidget):
    """Loss above, BLEU below.  ``show_run(run)`` makes ``run`` the live one,
    ``refresh()`` draws the points it gained, ``set_compare(runs)`` overlays
    other runs' smoothed losses and BLEU."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss_plot = labelled_plot("Training loss", "loss per caption", "iteration", (-10, 70))  # below the epoch labels
        self.bleu_plot = labelled_plot("Validation BLEU-4", "BLEU-4", "epoch")
        self.bleu_plot.getPlotItem().setYRange(0, 1, padding=0.02)
        self.raw_curve = self.loss_plot.plot([], [], pen=pg.mkPen(RAW_COLOR, width=1), name="loss")
        self.smooth_curve = self.loss_plot.plot([], [], pen=pg.mkPen(SMOOTH_COLOR, width=2.5), name="smoothed")
        self.bleu_curve = self.bleu_plot.plot([], [], pen=pg.mkPen(SMOOTH_COLOR, width=2), symbol="o",
                                              symbolSize=7, symbolBrush=SMOOTH_COLOR, name="this run")
        self.epoch_lines: list[pg.InfiniteLine] = []
        self._compare_items: list = []
        self.run: Run | None = None
        self._smoothed = np.zeros(0)
        self._drawn = 0
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.loss_plot)
        split.addWidget(self.bleu_plot)
        split.setSizes([320, 160])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

    # -- the live run -------------------------------------------------------------
    def show_run(self, run: Run | None) -> None:
        self.run = run
        self._smoothed = np.zeros(0)
        self._drawn = 0
        for line in self.epoch_lines:
            self.loss_plot.removeItem(line)
        self.epoch_lines = []
        self.raw_curve.setData([], [])
        self.smooth_curve.setData([], [])
        self.bleu_curve.setData([], [])
        self.refresh()

    def refresh(self) -> None:
        """Draw the points the live run gained since the last call."""
        run = self.run
        if run is None:
            return
        n = len(run.loss)
        if n < self._drawn:          # the history was replaced (a loaded run): start over
            self.show_run(run)
            return
        if n > self._drawn:
            raw = np.asarray(run.loss[:n], dtype=float)
            self._smoothed = smooth(raw)
            x = np.arange(1, n + 1)
            self.raw_curve.setData(x, raw)
            self.smooth_curve.setData(x, self._smoothed)
            self._drawn = n
        self._add_epoch_lines(n, run.iterations_per_epoch)
        if run.val_bleu:
            e, b = zip(*run.val_bleu)
            self.bleu_curve.setData(np.asarray(e, float), np.asarray(b, float))
            step = max(1, int(np.ceil(max(e) / 10)))
            self.bleu_plot.getAxis("bottom").setTickSpacing(major=step, minor=step)   # whole epochs

    def _add_epoch_lines(self, n: int, per_epoch: int) -> None:
        if per_epoch <= 0:
            return
        while (len(self.epoch_lines) + 1) * per_epoch <= n:
            k = len(self.epoch_lines) + 1
            line = pg.InfiniteLine(pos=k * per_epoch, angle=90,
                                   pen=pg.mkPen((128, 128, 128, 150), width=1, style=Qt.PenStyle.DashLine),
                                   label=f"epoch {k}" if k <= 30 else None,
                                   labelOpts={"position": 0.95, "color": (110, 110, 110), "rotateAxis": (1, 0)})
            self.loss_plot.addItem(line)
            self.epoch_lines.append(line)

    @property
    def smoothed(self) -> list[float]:
        return list(self._smoothed)

    # -- comparison ------------------------------------------------------------
    def set_compare(self, runs: Sequence[Run]) -> None:
        """Overlay ``runs`` (smoothed loss, BLEU per epoch), each in its own colour."""
        for plot, item in self._compare_items:
            plot.removeItem(item)
            legend = plot.getPlotItem().legend
            if legend is not None:
                legend.removeItem(item)
        self._compare_items = []
        for k, run in enumerate(runs):
            color = COMPARE_COLORS[k % len(COMPARE_COLORS)]
            if run.loss:
                ys = smooth(run.loss)
                curve = self.loss_plot.plot(np.arange(1, len(ys) + 1), ys, pen=pg.mkPen(color, width=2),
                                            name=run.label)
                self._compare_items.append((self.loss_plot, curve))
            if run.val_bleu:
                e, b = zip(*run.val_bleu)
                curve = self.bleu_plot.plot(np.asarray(e, float), np.asarray(b, float), pen=pg.mkPen(color, width=2),
                                            symbol="t", symbolSize=7, symbolBrush=color, name=run.label)
                self._compare_items.append((self.bleu_plot, curve))

    @property
    def compare_count(self) -> int:
        return sum(1 for plot, _ in self._compare_items if plot is self.loss_plot)
