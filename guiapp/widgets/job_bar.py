"""``JobBar``: a row with a job's start and stop buttons, its progress bar
and its status line (what :class:`~guiapp.tab_job.TabJob` drives)."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

__all__ = ["JobBar", "JobPanel"]


class JobBar(QWidget):
    def __init__(self, start: str, tip: str, status: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.start_button = QPushButton(start)
        self.start_button.setToolTip(tip)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(160)
        self.status = QLabel(status)
        self.status.setWordWrap(True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.start_button, self.stop_button, self.progress):
            lay.addWidget(w)
        lay.addWidget(self.status, 1)


class JobPanel(QWidget):
    """A panel with a :class:`JobBar` on top (its buttons, progress and status
    as attributes, for a :class:`~guiapp.tab_job.TabJob`) and ``self.body``,
    the layout below it for what the job shows."""

    def __init__(self, start: str, tip: str, status: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = JobBar(start, tip, status)
        self.start_button, self.stop_button = self.bar.start_button, self.bar.stop_button
        self.progress, self.status = self.bar.progress, self.bar.status
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(0, 0, 0, 0)
        self.body.addWidget(self.bar)
