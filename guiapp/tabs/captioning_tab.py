"""The Captioning tab: train a vanilla RNN or an LSTM to caption images,
watch it learn, caption dropped photos and look inside the cell.

Composition root only: the pages live in :mod:`guiapp.captioning` and share
one :class:`~guiapp.captioning.session.CaptioningSession`:

* **Data** — built-in scenes or an imported dataset, built in the background; a browser.
* **Train** — Start / Stop / Resume, live loss and BLEU, live learning rate, save / load, compare runs.
* **Caption** — greedy / temperature / beam search with per-word top-k bars and the beams.
* **Look inside** — LSTM gates and cell state over a caption; gradient norms through time.
* **Check the layers** — numerical gradient checks of every layer.
"""
from __future__ import annotations

import os

from PySide6.QtWidgets import QTabWidget, QVBoxLayout, QWidget

from engine.jobs import Frame

from ..captioning.caption_panel import CaptionPanel
from ..captioning.data_panel import DataPanel
from ..captioning.gradcheck_panel import GradCheckPanel
from ..captioning.inside_panel import InsidePanel
from ..captioning.session import CaptioningSession
from ..captioning.train_panel import TrainPanel
from ..context import AppContext
from ..workbench import Workbench

__all__ = ["CaptioningTab"]


class CaptioningTab(Workbench):
    title = "Captioning"
    PAGES = ("Data", "Train", "Caption", "Look inside", "Check the layers")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *,
                 autosave_path: str | os.PathLike | None = None) -> None:
        super().__init__(ctx, parent)
        self.session = CaptioningSession(ctx, autosave_path, parent=self)
        self.data_panel = DataPanel(self.session)
        self.train_panel = TrainPanel(self.session)
        self.caption_panel = CaptionPanel(self.session)
        self.inside_panel = InsidePanel()
        self.gradcheck_panel = GradCheckPanel(self.session)
        self.pages = QTabWidget()
        self.pages.setTabPosition(QTabWidget.TabPosition.West)
        for title, page in zip(self.PAGES, (self.data_panel, self.train_panel, self.caption_panel,
                                            self.inside_panel, self.gradcheck_panel)):
            self.pages.addTab(page, title)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)
        for page in (self.data_panel, self.train_panel, self.gradcheck_panel):   # Run ▸ Start / Stop reach them
            for job in page.jobs:
                self.register_job(job)

        self._epoch_seen = 0
        self._backprop_seen = 0
        self.data_panel.image_activated.connect(self._caption_dataset_image)
        self.caption_panel.caption_ready.connect(self.inside_panel.show_caption)
        self.train_panel.frame.connect(self._on_training_frame)
        self.train_panel.running_changed.connect(lambda _r: self._refresh_inside())
        self.train_panel.runs_list.itemChanged.connect(lambda _i: self._refresh_inside())
        self.session.data_changed.connect(self._on_data)

    # -- wiring ----------------------------------------------------------------------
    def show_page(self, title: str) -> None:
        self.pages.setCurrentIndex(self.PAGES.index(title))

    def _on_data(self, data) -> None:
        if data is not None and self.session.model is None:
            self.train_panel.status.setText("Data ready: choose the cell and press Start.")

    def _caption_dataset_image(self, split: str, index: int) -> None:
        if self.caption_panel.show_dataset_image(split, index):
            self.show_page("Caption")

    def _on_training_frame(self, frame: Frame) -> None:
        self.inside_panel.on_training_frame(frame)
        run = self.session.current_run
        if run is not None and len(run.backprop) != self._backprop_seen:
            self._refresh_inside()
        epoch = frame.info.epoch
        if epoch != self._epoch_seen:       # a new epoch: show how the caption changed
            self._epoch_seen = epoch
            self.caption_panel.caption()

    def _refresh_inside(self) -> None:
        run = self.session.current_run
        self._backprop_seen = len(run.backprop) if run is not None else 0
        self.inside_panel.show_runs(run, self.train_panel.compare_runs)

    # -- the window's API ------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        """Caption the photo at ``path`` (File ▸ Open)."""
        self.show_page("Caption")
        return self.caption_panel.open_file(path)

    def save(self) -> None:
        """Save the captioning model (File ▸ Save)."""
        self.train_panel.save_dialog()

    def uses_photo_now(self) -> bool:
        """Only with a captioner: without one a photo would wait for training."""
        return self.session.model is not None

    def has_unsaved_results(self) -> bool:
        return self.session.has_unsaved_model()

    def shutdown(self) -> None:
        """Stop every job and wait for it; a model trained since the last save
        is kept in the autosave file."""
        for panel in (self.data_panel, self.caption_panel, self.gradcheck_panel, self.train_panel):
            panel.shutdown()
