"""``GradCheckPanel``: run the numerical gradient check of every layer (and
of the whole model with each cell) in the background and list each
gradient's relative error against its tolerance, pass or fail."""
from __future__ import annotations

from collections.abc import Iterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.captioning.gradcheck import GradCheckResult
from engine.captioning.jobs import GradCheckProgress, gradcheck_job
from engine.jobs import Control, Frame

from .page import SessionJob, SessionPage
from .session import CaptioningSession

__all__ = ["GradCheckPanel"]

PASS, FAIL = QColor("#1b7f3b"), QColor("#c0392b")


class GradCheckPanel(SessionPage):
    """Signal ``finished(list)`` with every :class:`GradCheckResult`."""

    finished = Signal(list)

    def __init__(self, session: CaptioningSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.results: list[GradCheckResult] = []
        intro = QLabel(
            "Every backward pass of the captioning layers is written out by hand. Here each analytic gradient is "
            "compared with a numerical one (a five-point central difference, [−f(x+2h) + 8f(x+h) − 8f(x−h) + f(x−2h)] / 12h, "
            "in float64 on small random inputs); the relative "
            "error |a − n| / (|a| + |n|) must stay below the tolerance (1e-7 for single steps, 1e-5 for sequences "
            "and the whole model). The soft-attention layers (Xu et al. 2015) are checked the same way.")
        intro.setWordWrap(True)
        self.run_button = QPushButton("Run the gradient checks")
        self.progress = QProgressBar(alignment=Qt.AlignmentFlag.AlignCenter)  # style.qss says why
        self.progress.setValue(0)
        self.summary = QLabel("")
        self.table = QTreeWidget()
        self.table.setHeaderLabels(["Gradient", "Relative error", "Tolerance", "Result"])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2, 3):
            self.table.header().setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        row = QHBoxLayout()
        row.addWidget(self.run_button)
        row.addWidget(self.progress, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.job = SessionJob(self, "The gradient check", status=self.summary, progress=self.progress,
                              start_button=self.run_button)
        self.runner = self.job.runner
        self.run_button.clicked.connect(self.run)
        self.job.connect_slots(frame=self._on_frame, ended=self._on_ended, running=lambda r: self.run_button.setEnabled(not r))

    def run(self) -> bool:
        return self.job.launch(self._check, needs_model=False, running="Checking the layers…")

    def _check(self, _params, control: Control) -> Iterator[Frame]:
        self.table.clear()
        self.results = []
        return gradcheck_job(control)

    def _show(self, results: list[GradCheckResult]) -> None:
        for r in results[len(self.results):]:
            item = QTreeWidgetItem([r.name, f"{r.rel_error:.2e}", f"{r.tolerance:.0e}", "pass" if r.passed else "FAIL"])
            item.setForeground(3, QBrush(PASS if r.passed else FAIL))
            self.table.addTopLevelItem(item)
        self.results = list(results)
        failed = sum(not r.passed for r in self.results)
        self.summary.setText(f"{len(self.results)} gradients checked: "
                             + ("all pass." if not failed else f"{failed} FAIL."))

    def _on_frame(self, frame: Frame) -> None:
        progress: GradCheckProgress = frame.info
        self._show(progress.results)
        if not frame.final:
            self.summary.setText(self.summary.text() + f" ({progress.group} done; still checking…)")

    def _on_ended(self, _end, results) -> None:
        """The summary says how the check ended (the lifecycle's words), then what it found."""
        said = self.summary.text()
        if results is not None:
            self._show(list(results))
            self.summary.setText(f"{said} {self.summary.text()}")
            self.finished.emit(list(results))
        elif self.results:
            self.summary.setText(f"{said} {len(self.results)} gradients checked before it ended.")

    def shutdown(self, msecs: int = 5000) -> None:
        if self.job.is_running:
            self.job.discard()
            self.job.wait(msecs)

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def row_texts(self) -> list[tuple[str, str]]:
        """``(gradient, result)`` of every row (for tests and screenshots)."""
        return [(self.table.topLevelItem(i).text(0), self.table.topLevelItem(i).text(3))
                for i in range(self.table.topLevelItemCount())]
