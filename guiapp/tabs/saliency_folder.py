"""The Saliency tab's folder report (*Saliency ▸ Evaluate a Folder…*, and the
*Folder report* page's button): ``saliency-eval`` from the window
(:func:`engine.gradients.folder_evaluation`).  A dialog
(:mod:`.saliency_folder_dialog`) chooses the photos, boxes, methods,
fill-ins and report folder; the job runs through :class:`TabJob` with a
progress bar fed by the photos scored (a resumed run starts where the
earlier one stopped, its time left counting only what is left), Stop, and
the summary table filling in after each photo.  A stopped run goes on when
evaluated again into the same report folder (the CSV says which photos are
done); the HTML report is written either way, and *Open Report* shows it in
the browser."""
from __future__ import annotations

import json
import os

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import QDialog, QPushButton

from engine.gradients import folder_evaluation, metric_columns
from engine.gradients.evaluation import EVAL_PARAMS, REFERENCE
from engine.gradients.folder_eval import CSV_NAME, FolderProgress, read_scores
from engine.gradients.ranking import summarize
from engine.gradients.report_html import REPORT_NAME
from engine.shape_scenes import SHAPES

from ..tab_job import Ending, TabJob
from ..widgets.folder_summary import FolderSummary
from .saliency_folder_dialog import FolderChoice, FolderEvalDialog
from .saliency_job_page import SaliencyJobPage

__all__ = ["FolderReport"]

SETTING = "saliency/folder_report"


class FolderReport(SaliencyJobPage):
    """The folder report of ``tab`` (the Saliency tab): ``page`` (the bar, the summary, Open Report) and its
    actions in ``tab.menu``."""

    def __init__(self, tab) -> None:
        super().__init__(tab, "Evaluate a Folder…", "Every method on every photo of a folder: a CSV and an HTML "
                         "report (as saliency-eval FOLDER); a stopped run goes on when started again",
                         "Score every method on every photo of a folder and write a report.")
        self.summary = FolderSummary()
        self.open_button = QPushButton("Open Report", enabled=False)
        self.folder_button = QPushButton("Open Report Folder", enabled=False)
        self.summary.top.addWidget(self.open_button)
        self.summary.top.addWidget(self.folder_button)
        self.page.progress.setMaximumWidth(220)   # room for "50% · 1:36 left"
        self.page.body.addWidget(self.summary, 1)
        self.evaluate_action = QAction("&Evaluate a Folder…", self)
        self.stop_action = QAction("&Stop Evaluating", self, enabled=False)
        tab.menu.addActions([self.evaluate_action, self.stop_action])
        self.job = TabJob(tab, "Evaluating the folder", counts_steps=False, **self.job_widgets())
        self.page.start_button.clicked.connect(self.choose_and_start)
        self.evaluate_action.triggered.connect(self.choose_and_start)
        self.page.stop_button.clicked.connect(self.job.stop)
        self.stop_action.triggered.connect(self.job.stop)
        self.open_button.clicked.connect(lambda: self._open(os.path.join(self.choice.out, REPORT_NAME)))
        self.folder_button.clicked.connect(lambda: self._open(self.choice.out))
        self.job.connect_slots(frame=self._on_frame, ended=self._ended, running=self._buttons)
        self.choice = self._remembered()
        self.last: FolderProgress | None = None

    def _remembered(self) -> FolderChoice:
        try:
            return FolderChoice(**json.loads(self.tab.ctx.settings.value(SETTING, "{}", type=str)))
        except (TypeError, ValueError):
            return FolderChoice("", "")

    def _buttons(self, running: bool) -> None:
        self.page.start_button.setEnabled(not running)
        self.page.stop_button.setEnabled(running)
        self.evaluate_action.setEnabled(not running)
        self.stop_action.setEnabled(running)

    def choose_and_start(self) -> bool:
        """Ask what to evaluate (:class:`FolderEvalDialog`) and start; False when cancelled or refused."""
        if self.job.is_running:
            return False
        model = self.tab.ctx.model
        dialog = FolderEvalDialog(self.choice, getattr(model, "name", ""), self.tab,
                                  knows_shapes=list(getattr(model, "labels", ())) == list(SHAPES),
                                  start_folder=self.tab.ctx.last_folder)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        return self.start(dialog.choice(), dialog.run)

    def start(self, choice: FolderChoice, run) -> bool:
        """Evaluate ``choice`` (``run``: its :class:`~engine.gradients.folder_check.FolderRun`)."""
        self.choice, self.last = choice, None
        self.tab.ctx.settings.setValue(SETTING, json.dumps(choice.__dict__))
        self.show_page()          # started from the menu on another tab
        self._show_summary()
        done, total = len(run.done), len(run.photos)
        c = choice
        return self.job.launch(
            lambda _p, control: folder_evaluation(self.tab.ctx.model, c.folder, c.out, methods=c.methods,
                                                  fills=c.fills, points=c.points, sanity=c.sanity, boxes=run.boxes,
                                                  control=control),
            params=EVAL_PARAMS, resumed=(done, total) if done else None,   # else busy until the first photo
            running=f"Evaluating {total} photos of {os.path.basename(c.folder)}"
                    + (f" ({done} scored before, going on)…" if done else "…"))

    def _on_frame(self, frame) -> None:
        p = self.last = frame.info
        self.job.say(f"{p.done} of {p.total} photos scored (last: {p.photo})…")
        self._show_summary()

    def _show_summary(self) -> None:
        """The table of what the report folder holds now."""
        rows = read_scores(os.path.join(self.choice.out, CSV_NAME)) if self.choice.out else []
        methods = [*self.choice.methods, REFERENCE]
        if not rows:
            return self.summary.clear()
        self.summary.show_summary(summarize(rows, methods, metric_columns(self.choice.fills)), methods,
                                  metric_columns(self.choice.fills))
        return None

    def _ended(self, end, result) -> None:
        progress = result if isinstance(result, FolderProgress) else self.last
        self._show_summary()
        report = os.path.join(self.choice.out, REPORT_NAME)
        has_report = end.kind is not Ending.FAILED and os.path.isfile(report)
        self.open_button.setEnabled(has_report)
        self.folder_button.setEnabled(os.path.isdir(self.choice.out))
        if end.kind is Ending.FAILED or progress is None:
            return
        text = f"{self.page.status.text()} {progress.done} of {progress.total} photos scored."
        prefix = os.path.join(os.path.normpath(self.choice.folder), "")   # "folder/x.png: why" -> "x.png: why"
        bad = [p.removeprefix(prefix) for p in progress.problems]
        if bad:
            names = ", ".join(b.split(": ", 1)[0] for b in bad[:3]) + ("…" if len(bad) > 3 else "")
            text += f" {len(bad)} not read ({names}; problems.txt says why)."
        if end.stopped_early:
            text += " Evaluate again into the same report folder to go on."
        self.job.say(text)
        self.page.status.setToolTip("\n".join([text, *bad[:20], *([f"Report: {report}"] if has_report else [])]))
        self.open_button.setToolTip(f"{report}: the table, the rankings per metric, whether the metrics agree, "
                                    "every map (in the browser)")
        self.tab.ctx.show_status(f"{text} Report: {report}" if has_report else text, 15000)

    def _open(self, path: str) -> None:
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(path)):
            self.tab.ctx.show_status(f"No program to open {path}", 10000)
