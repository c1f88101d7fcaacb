"""``RemovalPlot``: the Saliency tab's removal curves (ROAD: MoRF, LeRF and
the random order as the reference) with the choice of fill-in and the AUCs.

Changing the fill-in emits ``fill_changed(str)``; the tab then measures the
curves of the map it already has (the map is not recomputed).  Curves
already measured for a fill-in are kept per map (:meth:`remember`), so
going back to one redraws at once."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from engine.gradients import FILL_INS, FILL_TITLES, RemovalCurves

__all__ = ["RemovalPlot"]


class RemovalPlot(QWidget):
    fill_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fill = QComboBox()
        for name in FILL_INS:
            self.fill.addItem(FILL_TITLES[name], name)
        self.fill.setCurrentIndex(FILL_INS.index("blur"))
        self.fill.setToolTip("What removed pixels are replaced with. Noisy linear imputation (ROAD, Rong et al. "
                             "2022) fills them from their neighbours, so the shape of what was removed does not "
                             "give the class away; black, blur and mean colour are the classic substrates.")
        self.plot = pg.PlotWidget(background=None)
        self.plot.setLabel("bottom", "fraction of pixels removed")
        self.plot.setLabel("left", "target probability")
        self.plot.setYRange(0, 1)
        self.plot.addLegend(offset=(-10, 10))
        self.morf = self.plot.plot([], [], pen=pg.mkPen("#d9534f", width=2), name="most relevant first (MoRF)")
        self.lerf = self.plot.plot([], [], pen=pg.mkPen("#5cb85c", width=2), name="least relevant first (LeRF)")
        self.random = self.plot.plot([], [], pen=pg.mkPen("#999999", width=2, style=Qt.PenStyle.DashLine),
                                     name="random order")
        self.auc_label = QLabel("")
        self.auc_label.setWordWrap(True)
        self.shown: RemovalCurves | None = None
        self._cache: dict[str, RemovalCurves] = {}

        top = QHBoxLayout()
        top.addWidget(QLabel("Fill-in"))
        top.addWidget(self.fill)
        top.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(top)
        lay.addWidget(self.plot, 1)
        lay.addWidget(self.auc_label)
        self.fill.currentIndexChanged.connect(lambda _i: self._fill_chosen())

    def current_fill(self) -> str:
        return self.fill.currentData()

    def set_fill(self, name: str) -> None:
        self.fill.setCurrentIndex(FILL_INS.index(name))

    # -- curves of the current map --------------------------------------------
    def forget(self) -> None:
        """A new map: no curves yet for any fill-in."""
        self._cache.clear()
        self.show_curves(None)

    def remember(self, curves: RemovalCurves) -> None:
        """Keep ``curves`` for this map; drawn if their fill-in is the one chosen."""
        self._cache[curves.fill] = curves
        if curves.fill == self.current_fill():
            self.show_curves(curves)

    def cached(self, fill: str) -> RemovalCurves | None:
        return self._cache.get(fill)

    def _fill_chosen(self) -> None:
        curves = self._cache.get(self.current_fill())
        self.show_curves(curves)
        if curves is None:
            self.auc_label.setText(f"Measuring the curves with the {FILL_TITLES[self.current_fill()]} fill-in…")
        self.fill_changed.emit(self.current_fill())

    def show_curves(self, curves: RemovalCurves | None) -> None:
        self.shown = curves
        if curves is None:
            for item in (self.morf, self.lerf, self.random):
                item.setData([], [])
            self.auc_label.setText("")
            return
        for item, c in ((self.morf, curves.morf), (self.lerf, curves.lerf), (self.random, curves.random)):
            item.setData(c.fractions, c.probs)
        self.auc_label.setText(
            f"{FILL_TITLES[curves.fill]}: MoRF AUC {curves.morf.auc:.3f} (lower is better) · "
            f"LeRF AUC {curves.lerf.auc:.3f} (higher is better) · LeRF − MoRF {curves.gap:+.3f} · "
            f"random order {curves.random.auc:.3f}")
