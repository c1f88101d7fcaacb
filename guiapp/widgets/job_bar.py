"""``JobBar``: a row with a job's start and stop buttons, its progress bar
and its status line (what :class:`~guiapp.tab_job.TabJob` drives)."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

__all__ = ["JobBar"]


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
