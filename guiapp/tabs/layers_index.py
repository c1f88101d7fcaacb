"""The Layers tab's dataset index (issue #25): *Layers ▸ Index a folder…* runs
:func:`engine.index.index_job` with a progress bar, the time left and Stop;
*Open index…* / *Close index* choose the index whose top photos answer channel
clicks (no pass over the photos per click).  The index file is a SQLite
database (README, "The dataset index file")."""
from __future__ import annotations

import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QMenu, QProgressBar, QPushButton, QWidget

from engine.index import IndexFileError, IndexProgress, IndexStore, IndexSummary, index_job
from engine.jobs import Control, Frame

from ..context import AppContext
from ..jobrunner import JobRunner

__all__ = ["LayersIndex", "time_left"]

#: photos kept per channel by an index made in the window
TOP_K = 16
#: photos per shard (the unit of saving, and of progress)
SHARD = 32
SETTING = "layers/index"


def time_left(seconds: float | None) -> str:
    """'about 2 h 05 min left', '3 min 20 s left', '12 s left'; '' while unknown."""
    if seconds is None:
        return ""
    s = int(round(seconds))
    if s >= 3600:
        return f"about {s // 3600} h {s % 3600 // 60:02d} min left"
    return f"{s // 60} min {s % 60:02d} s left" if s >= 60 else f"{s} s left"


class LayersIndex(QWidget):
    """The index row of the Layers tab (hidden until an index job runs) and its menu (``menu``).

    ``path``: the open index (``None``: top patches come from the sample photos and added folders);
    ``photos``: how many photos it holds.  ``changed`` is emitted when an index opens or closes."""

    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.path: str | None = None
        self.photos = 0
        self.layers: list[str] = []
        self.runner = JobRunner(self)
        self.menu = QMenu("&Layers", self)
        self.index_action = QAction("&Index a Folder…", self)
        self.open_action = QAction("&Open Index…", self)
        self.close_action = QAction("&Close Index", self, enabled=False)
        self.stop_action = QAction("&Stop Indexing", self, enabled=False)
        for action in (self.index_action, self.open_action, self.close_action, self.stop_action):
            self.menu.addAction(action)
        self.progress = QProgressBar(alignment=Qt.AlignmentFlag.AlignCenter)  # style.qss says why
        self.eta = QLabel("")
        self.stop_button = QPushButton("Stop")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Indexing"))
        row.addWidget(self.progress, 1)
        row.addWidget(self.eta)
        row.addWidget(self.stop_button)
        self.setVisible(False)
        self.index_action.triggered.connect(self._index_dialog)
        self.open_action.triggered.connect(self._open_dialog)
        self.close_action.triggered.connect(self.close_index)
        self.stop_action.triggered.connect(self.runner.stop)
        self.stop_button.clicked.connect(self.runner.stop)
        self.runner.connect_slots(frame=self._on_frame, done=self._on_done, running=self._on_running,
                                  failed=lambda m: self._ended(f"Indexing failed: {m}"))
        self._last: IndexProgress | None = None
        self._summary: IndexSummary | None = None
        self._out = ""

    # -- indexing -----------------------------------------------------------------------
    def index_folder(self, folder: str, out: str) -> None:
        """Index ``folder`` (sub-folders too) into ``out`` for every layer of the current model; an existing
        index of the same folder and model is brought up to date (only new or changed photos are read)."""
        model = self.ctx.model
        if model is None:
            self.ctx.show_status("No model loaded yet: indexing waits for one.", 5000)
            return
        control = Control(emit_interval=0.2)
        self.progress.setRange(0, 0)
        self.eta.setText("reading the folder…")
        self._last, self._summary = None, None
        self.runner.start(lambda: index_job(model, folder, out, k=TOP_K, shard_size=SHARD, control=control), control)
        self._out = out

    def _on_running(self, running: bool) -> None:
        self.setVisible(running)
        self.stop_action.setEnabled(running)
        self.index_action.setEnabled(not running)

    def _on_frame(self, frame: Frame) -> None:
        info = frame.info
        if isinstance(info, IndexProgress):
            self._last = info
            self.progress.setRange(0, max(info.todo, 1))
            self.progress.setValue(info.done)
            bad = f" · {info.unreadable} unreadable" if info.unreadable else ""
            self.eta.setText(f"{info.done:,}/{info.todo:,} photos · {info.photos_per_s:.1f}/s{bad} · "
                             f"{time_left(info.seconds_left)}".rstrip(" ·"))
        elif isinstance(info, IndexSummary):
            self._summary = info
            self._finished(info)

    def _on_done(self, _result) -> None:
        """A job stopped before its summary: what it wrote is kept; say how far it got."""
        if self._summary is None and os.path.isfile(self._out):
            done = self._last.done if self._last is not None else 0
            self.open_index(self._out)
            self._ended(f"Indexing stopped after {done:,} photos; what was read is kept "
                        "(Index the folder again to carry on).")

    def _finished(self, s: IndexSummary) -> None:
        name = os.path.basename(s.path)
        if s.stopped:
            text = (f"Indexing stopped after {s.indexed:,} photos; what was read is kept (Index the folder again to "
                    f"carry on). {name}: {s.photos:,} photos.")
        else:
            text = (f"Index {name} is up to date: {s.photos:,} photos; {s.indexed:,} read now, {s.kept:,} unchanged, "
                    f"{s.removed:,} removed.")
        if s.unreadable:
            text += f" {len(s.unreadable)} could not be read: " + ", ".join(p for p, _ in s.unreadable[:5])
            text += "…" if len(s.unreadable) > 5 else ""
            self.setToolTip("\n".join(f"{p}: {why}" for p, why in s.unreadable[:50]))
        self.open_index(s.path)
        self._ended(text)

    def _ended(self, text: str) -> None:
        self.ctx.show_status(text, 15000)
        self.last_message = text

    def _index_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of photos to index", self.ctx.last_folder)
        if not folder:
            return
        out, _ = QFileDialog.getSaveFileName(self, "Save the index as", os.path.normpath(folder) + ".nlindex",
                                             "Neural Lens index (*.nlindex)")
        if out:
            self.ctx.last_folder = os.path.dirname(out)
            self.index_folder(folder, out if os.path.splitext(out)[1] else out + ".nlindex")

    # -- the open index -------------------------------------------------------------------
    def open_index(self, path: str) -> bool:
        """Answer channel clicks from the index at ``path`` (a file that is not an index gets a message)."""
        try:
            store = IndexStore(path, readonly=True)
        except IndexFileError as exc:
            self.ctx.error("Cannot open the index", str(exc))
            return False
        try:
            self.photos, self.layers = store.count(), list(store.layers)
        finally:
            store.close()
        self.path = path
        self.close_action.setEnabled(True)
        self.ctx.settings.setValue(SETTING, path)
        self.changed.emit()
        return True

    def close_index(self) -> None:
        self.path, self.photos, self.layers = None, 0, []
        self.close_action.setEnabled(False)
        self.ctx.settings.remove(SETTING)
        self.changed.emit()

    def reopen_last(self) -> None:
        """The index open when the window last closed, if it is still there."""
        path = self.ctx.settings.value(SETTING, "", type=str)
        if path and os.path.isfile(path):
            self.open_index(path)

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an index", self.ctx.last_folder,
                                              "Neural Lens index (*.nlindex);;All files (*)")
        if path:
            self.open_index(path)

    def shutdown(self) -> None:
        self.runner.stop()
        self.runner.wait(5000)
