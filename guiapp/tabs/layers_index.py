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
from engine.index.patches import same_model
from engine.jobs import Frame

from ..tab_job import Ending, TabJob

__all__ = ["LayersIndex"]

#: photos kept per channel by an index made in the window
TOP_K = 16
#: photos per shard (the unit of saving, and of progress)
SHARD = 32
SETTING = "layers/index"


class LayersIndex(QWidget):
    """The index row of the Layers tab (hidden until an index job runs) and its menu (``menu``).

    ``path``: the open index (``None``: top patches come from the sample photos and added folders);
    ``photos``: how many photos it holds.  ``changed`` is emitted when an index opens or closes.  The
    indexing job reports on the tab's status line (``tab.status``) through :class:`TabJob`."""

    changed = Signal()

    def __init__(self, tab) -> None:
        super().__init__(tab)
        self.tab, self.ctx = tab, tab.ctx
        self.path: str | None = None
        self.photos = 0
        self.layers: list[str] = []
        self.meta: dict = {}
        self.menu = QMenu("&Layers", self)
        self.index_action = QAction("&Index a Folder…", self)
        self.open_action = QAction("&Open Index…", self)
        self.close_action = QAction("&Close Index", self, enabled=False)
        self.stop_action = QAction("&Stop Indexing", self, enabled=False)
        self.similar_action = QAction("Indexed Photos &Like This One", self, enabled=False)
        self.similar_action.setToolTip("The indexed photos whose channels of the current layer respond most like "
                                       "this photo's")
        for action in (self.index_action, self.open_action, self.close_action, self.stop_action, self.similar_action):
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
        self.job = TabJob(tab, "Indexing", status=tab.status, progress=self.progress, stop_button=self.stop_button,
                          emit_interval=0.2)
        self.index_action.triggered.connect(self._index_dialog)
        self.open_action.triggered.connect(self._open_dialog)
        self.close_action.triggered.connect(self.close_index)
        self.stop_action.triggered.connect(self.job.stop)
        self.stop_button.clicked.connect(self.job.stop)
        self.job.connect_slots(frame=self._on_frame, ended=self._on_ended, running=self._on_running)
        self._last: IndexProgress | None = None
        self._summary: IndexSummary | None = None
        self._out = ""

    # -- indexing -----------------------------------------------------------------------
    def index_folder(self, folder: str, out: str) -> None:
        """Index ``folder`` (sub-folders too) into ``out`` for every layer of the current model; an existing
        index of the same folder and model is brought up to date (only new or changed photos are read)."""
        model = self.ctx.model
        self.eta.setText("reading the folder…")
        self._last, self._summary, self._out = None, None, out
        self.job.launch(lambda _p, control: index_job(model, folder, out, k=TOP_K, shard_size=SHARD, control=control),
                        running=f"Indexing {folder} into {os.path.basename(out)}…")

    def _on_running(self, running: bool) -> None:
        self.setVisible(running)
        self.stop_action.setEnabled(running)
        self.index_action.setEnabled(not running)

    def _on_frame(self, frame: Frame) -> None:
        info = frame.info
        if isinstance(info, IndexProgress):
            self._last = info
            bad = f" · {info.unreadable} unreadable" if info.unreadable else ""
            self.eta.setText(f"{info.done:,}/{info.todo:,} photos · {info.photos_per_s:.1f}/s{bad}")
        elif isinstance(info, IndexSummary):
            self._summary = info

    def _on_ended(self, end, _result) -> None:
        """The status line says how the job ended (TabJob); what the index now holds is added to it."""
        if end.kind is Ending.FAILED or not os.path.isfile(self._out):   # the status line and a dialog said why
            return
        self.open_index(self._out)
        s = self._summary
        name = os.path.basename(self._out)
        if s is None or s.stopped:
            text = f"What was read is kept: {name} holds {self.photos:,} photos (Index the folder again to carry on)."
        else:
            text = (f"{name} is up to date: {s.photos:,} photos; {s.indexed:,} read now, {s.kept:,} unchanged, "
                    f"{s.removed:,} removed.")
        if s is not None and s.unreadable:
            text += f" {len(s.unreadable)} could not be read: " + ", ".join(p for p, _ in s.unreadable[:5])
            text += "…" if len(s.unreadable) > 5 else ""
            self.tab.status.setToolTip("\n".join(f"{p}: {why}" for p, why in s.unreadable[:50]))
        self.job.say(f"{self.tab.status.text()} {text}")
        self.ctx.show_status(self.tab.status.text(), 15000)

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
            self.photos, self.layers, self.meta = store.count(), list(store.layers), dict(store.meta)
        finally:
            store.close()
        self.path = path
        self.close_action.setEnabled(True)
        self.similar_action.setEnabled(True)
        self.ctx.settings.setValue(SETTING, path)
        self.changed.emit()
        return True

    def close_index(self) -> None:
        self.path, self.photos, self.layers, self.meta = None, 0, [], {}
        self.close_action.setEnabled(False)
        self.similar_action.setEnabled(False)
        self.ctx.settings.remove(SETTING)
        self.changed.emit()

    def answers(self, model, layer: str) -> bool:
        """Whether the open index can answer for ``layer`` of ``model`` (made with its weights)."""
        return bool(self.path) and model is not None and layer in self.layers and same_model(self.meta, model)

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

