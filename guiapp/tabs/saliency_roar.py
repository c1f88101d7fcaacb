"""The Saliency tab's **ROAR** page (*Saliency ▸ ROAR on the Shape
Classifier…*): remove each scene's top pixels by each method's ranking,
retrain the shape classifier, test it (Hooker et al. 2019;
:func:`engine.gradients.shapes_roar.shapes_roar_job`), with the scenes,
epochs and training noise of a generated form, the methods to rank by, a
progress bar (the maps, then one step per retraining), Stop (the
retrainings finished are kept) and the table of test accuracies filling in
as each retraining ends.  It needs the shape classifier as the window's
model (*Model ▸ Open Model File…* ``tools/data/shapes_cnn/shapes_cnn.safetensors``)."""
from __future__ import annotations

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QHeaderView, QTableWidget, QTableWidgetItem

from engine.gradients import METHOD_TABLE, METHODS
from engine.gradients.roar import UNMODIFIED
from engine.gradients.shapes_roar import FRACTIONS, RANKING_TITLES, REFERENCES, RoarParams, knows_shapes, shapes_roar_job

from ..tab_job import TabJob
from ..widgets.methods_table import cell
from ..widgets.param_form import ParamForm
from .saliency_job_page import SaliencyJobPage

__all__ = ["RoarRun"]


class RoarRun(SaliencyJobPage):
    """ROAR for ``tab`` (the Saliency tab): ``page``, and its action in ``tab.menu``."""

    def __init__(self, tab) -> None:
        super().__init__(tab, "Run ROAR", "Rank each scene's pixels by each method, remove the top 10/30/50 %, "
                         "retrain the shape classifier and test it (about 20 minutes at the default sizes)",
                         "Remove and retrain: which method's ranking takes the most of what the class needs?")
        self.form = ParamForm(RoarParams())
        self.method_boxes = {m: QCheckBox(METHOD_TABLE[m].short, checked=True) for m in METHODS}
        grid = QGridLayout()
        for i, box in enumerate(self.method_boxes.values()):
            grid.addWidget(box, i // 2, i % 2)
        row = QHBoxLayout()
        row.addWidget(self.form)
        row.addLayout(grid)
        row.addStretch(1)
        self.table = QTableWidget(0, len(FRACTIONS) + 1)
        self.table.setHorizontalHeaderLabels(["ranking"] + [f"{t:.0%} removed" for t in FRACTIONS])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)   # compact rows
        self.table.setToolTip("Test accuracy of the classifier retrained without each ranking's top pixels: lower "
                              "means the ranking found more of what the class needs; random is the reference")
        self.page.body.addLayout(row)
        self.page.body.addWidget(self.table, 1)
        self.action = QAction("&ROAR on the Shape Classifier…", self)
        tab.menu.addSeparator()
        tab.menu.addAction(self.action)
        self.job = TabJob(tab, "ROAR", form=self.form, **self.job_widgets())
        self.action.triggered.connect(self.show_page)
        self.page.start_button.clicked.connect(self.start)
        self.page.stop_button.clicked.connect(self.job.stop)
        self.job.connect_slots(frame=self._on_frame, ended=self._ended, running=self._buttons)
        self.unmodified: float | None = None

    def _buttons(self, running: bool) -> None:
        self.page.start_button.setEnabled(not running)
        self.page.stop_button.setEnabled(running)

    def methods(self) -> list[str]:
        return [m for m, box in self.method_boxes.items() if box.isChecked()]

    def start(self) -> bool:
        methods, model = self.methods(), self.tab.ctx.model
        rankings = [*methods, *REFERENCES]
        self.unmodified = None
        self.table.setRowCount(len(rankings))
        for i, name in enumerate(rankings):
            self.table.setItem(i, 0, QTableWidgetItem(METHOD_TABLE[name].short if name in METHOD_TABLE
                                                      else RANKING_TITLES[name]))
            for j in range(len(FRACTIONS)):
                self.table.setItem(i, 1 + j, QTableWidgetItem(""))
        self._rows = {name: i for i, name in enumerate(rankings)}
        return self.job.launch(lambda p, c: shapes_roar_job(model, p, methods=methods, control=c),
                               check=lambda: None if knows_shapes(model) else
                               "ROAR here retrains the shape classifier: open it first (Model ▸ Open Model File… "
                               "tools/data/shapes_cnn/shapes_cnn.safetensors)",
                               running="ROAR: the maps of every training and test scene…")

    def _on_frame(self, frame) -> None:
        progress = frame.info
        if progress.stage == "maps":
            self.job.say(f"ROAR: the maps of every training and test scene ({frame.step} batches of 100 done)…")
        for s in progress.scores:
            if s.ranking == UNMODIFIED:
                self.unmodified = s.accuracy
            else:
                self.table.setItem(self._rows[s.ranking], 1 + FRACTIONS.index(s.fraction), cell(s.accuracy))
        if progress.scores:
            last = progress.scores[-1]
            self.job.say(f"ROAR: retrained {len(progress.scores)} times; last: {self._what(last)} "
                         f"(test accuracy {last.accuracy:.3f}, {last.seconds:.0f} s)…")

    def _what(self, score) -> str:
        if score.ranking == UNMODIFIED:
            return "nothing removed"
        row = self.table.item(self._rows[score.ranking], 0).text()
        return f"{row}, {score.fraction:.0%} removed"

    def _ended(self, _end, _scores) -> None:
        if self.unmodified is not None:
            self.job.say(f"{self.page.status.text()} Nothing removed: test accuracy {self.unmodified:.3f}.")
        elif self.job.last_end is not None and self.job.last_end.stopped_early:
            self.job.say(f"{self.page.status.text()} No retraining had finished (the maps come first).")
