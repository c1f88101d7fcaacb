"""The Saliency tab's *Score a folder…*: the folder report of
``saliency-eval`` (:func:`engine.gradients.folder_evaluation`) from the
window, with a progress bar, time left and Stop; a stopped run is taken up
again when the same folders are chosen (the report's CSV says which photos
are done), and the HTML report is written either way."""
from __future__ import annotations

import os

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFileDialog

from engine.gradients import METHODS, folder_evaluation
from engine.gradients.evaluation import EVAL_PARAMS
from engine.gradients.report_html import REPORT_NAME

from ..tab_job import TabJob
from ..widgets.job_bar import JobBar

__all__ = ["FolderReport"]


class FolderReport(QObject):
    """Owns the *Score a folder…* bar and its job for ``tab`` (a Workbench)."""

    methods = METHODS
    fills = ("noisy-linear", "blur", "black")
    points = 11
    sanity = True

    def __init__(self, tab) -> None:
        super().__init__(tab)
        self.tab = tab
        self.bar = JobBar("Score a folder…", "Every method on every photo of a folder: a CSV and an HTML report "
                          "(the same as saliency-eval FOLDER); a stopped run goes on when started again",
                          "Score every photo of a folder and write a report.")
        self.job = TabJob(tab, "Folder report", status=self.bar.status, progress=self.bar.progress,
                          start_button=self.bar.start_button, stop_button=self.bar.stop_button)
        self.bar.start_button.clicked.connect(self.choose_and_start)
        self.bar.stop_button.clicked.connect(self.job.stop)
        self.job.running_changed.connect(self._buttons)
        self.job.frame.connect(lambda f: self.bar.status.setText(
            f"{f.info.done} of {f.info.total} photos scored (last: {f.info.photo})…"))
        self.job.ended.connect(self._ended)
        self.out = ""

    def _buttons(self, running: bool) -> None:
        self.bar.start_button.setEnabled(not running)
        self.bar.stop_button.setEnabled(running)

    def choose_and_start(self) -> bool:
        folder = QFileDialog.getExistingDirectory(self.tab, "Folder of photos to score")
        if not folder:
            return False
        out = QFileDialog.getExistingDirectory(self.tab, "Folder for the report (an earlier report there goes on)",
                                               os.path.dirname(folder))
        return bool(out) and self.start(folder, out)

    def start(self, folder: str, out: str) -> bool:
        self.out = out
        return self.job.launch(lambda p, c: folder_evaluation(self.tab.ctx.model, folder, out, methods=self.methods,
                                                              fills=self.fills, points=self.points,
                                                              sanity=self.sanity, control=c),
                               params=EVAL_PARAMS, check=lambda: None if os.path.isdir(folder) else
                               f"{folder} is not a folder")

    def _ended(self, end, _result) -> None:
        report = os.path.join(self.out, REPORT_NAME)
        if os.path.isfile(report):
            self.job.say(f"{self.bar.status.text()} Report: {report}")
