"""The Layers tab's view of one channel: its map over the photo, its saliency,
its visualization (live) and the patches of photos that excite it most (from
the open dataset index, else from the sample photos and added folders).  Each
of its jobs starts, stops and reports through :class:`~guiapp.tab_job.TabJob`."""
from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from engine.channels import ChannelMap, channel_overlay, patch_grid, photos_in, saliency_job, top_patches_job
from engine.generation import AccentParams, ClassVizParams, accentuate, class_visualization
from engine.generation.diversity import DiversityParams, diverse_visualizations
from engine.generation.unit_objectives import Unit, UnitObjective
from engine.gradients import overlay
from engine.imaging import IMAGE_SUFFIXES, load_image
from engine.index.patches import IndexPatches, index_patches_job, similar_photos_job
from engine.jobs import Frame

from ..recipes import recipe_maker
from ..samples import sample_photos
from ..tab_job import Ending, TabJob
from ..widgets.image_panel import ImagePanel
from .layers_index import LayersIndex

__all__ = ["ChannelDetail", "VIZ_PARAMS", "ACCENT_PARAMS", "PATCH_CELL", "PATCH_GAP"]

PATCH_CELL, PATCH_GAP = 96, 4
#: an added folder with more photos than this gets the advice to index it
LARGE_FOLDER = 200
#: the channel visualization's recipe (a quick, recognisable render)
VIZ_PARAMS = ClassVizParams(size=128, steps=128)
#: the channel's accentuation in the open photo (feature accentuation, Hamblin et al. 2024)
ACCENT_PARAMS = AccentParams.defaults(steps=64)


class ChannelDetail(QWidget):
    """The four panels of one channel and their jobs; ``show(layer, channel, acts, view, image)`` opens one."""

    def __init__(self, tab) -> None:
        super().__init__(tab)
        self.tab, self.ctx = tab, tab.ctx
        self.folders: list[str] = []
        self.opened: tuple[str, int] | None = None       # (layer, channel) shown
        self._expected: tuple[str, int] | None = None    # what the patches panel waits for (channel -1: similar photos)
        self._image: np.ndarray | None = None
        self._view: np.ndarray | None = None
        self._patch_paths: list[str] = []
        self.shown_patches: list = []
        self.channel_panel = ImagePanel("Channel", hint="Click a channel in the grid", accept_drops=False)
        self.saliency_panel = ImagePanel("Its saliency", hint="", accept_drops=False)
        self.viz_panel = ImagePanel("What excites it most", hint="", accept_drops=False)
        self.patches_panel = ImagePanel("Top-9 patches", hint="", accept_drops=False)
        self.viz_status, self.patches_status = QLabel(""), QLabel("")
        for label in (self.viz_status, self.patches_status):  # a narrow pane wraps them instead of cutting them
            label.setWordWrap(True)
        self.viz_progress = QProgressBar(alignment=Qt.AlignmentFlag.AlignCenter)  # style.qss says why
        self.diverse = QCheckBox("4 diverse visualizations")
        self.diverse.setToolTip("Visualize the channel four times at once, pushed apart (Olah et al. 2017)")
        self.accent = QCheckBox("Accentuate in this photo")
        self.accent.setToolTip("Instead of a picture from noise: the photo itself pushed towards the channel while "
                               "staying close to it (feature accentuation, Hamblin et al. 2024) -- what in this "
                               "photo drives the channel")
        self.whole = QCheckBox("Whole photos")
        self.whole.setToolTip("With an index open: the top photos whole, with the channel's map over them and "
                              "the peak framed, instead of patches")
        self.folder_button = QPushButton("Add a folder of photos…")
        self.folder_button.setToolTip("Also search the photos of a folder for the top patches")
        self.index = LayersIndex(tab)
        self.index_button = QPushButton("Index")   # (its menu's arrow beside the word, not over it as a tool button's)
        self.index_button.setMenu(self.index.menu)
        self.index_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)   # its word and arrow
        self.index_button.setToolTip("Index a folder once: every channel's top photos, answered at each click")
        self.saliency_job = TabJob(tab, "Channel saliency")
        self.viz_job = TabJob(tab, "Channel visualization", status=self.viz_status, progress=self.viz_progress,
                              emit_interval=0.1)
        self.patches_job = TabJob(tab, "Top patches", status=self.patches_status, emit_interval=0.25)
        self._build_layout()
        for job, draw in ((self.saliency_job, self._on_saliency), (self.viz_job, self._on_viz),
                          (self.patches_job, self._on_patches)):
            job.connect_slots(frame=draw)
        self.viz_job.connect_slots(ended=self._on_viz_ended)
        self.folder_button.clicked.connect(self._add_folder_dialog)
        self.diverse.toggled.connect(lambda on: self._on_viz_kind(on, self.accent))
        self.accent.toggled.connect(lambda on: self._on_viz_kind(on, self.diverse))
        self.whole.toggled.connect(lambda _on: self._on_index_changed())
        self.index.changed.connect(self._on_index_changed)
        self.patches_panel.clicked.connect(self._on_patch_click)

    def _build_layout(self) -> None:
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        viz_row = QHBoxLayout()
        viz_row.addWidget(self.viz_status, 1)
        viz_row.addWidget(self.viz_progress)
        cells = ((self.channel_panel, None), (self.saliency_panel, None), (self.viz_panel, viz_row),
                 (self.patches_panel, self.patches_status))
        for k, (panel, under) in enumerate(cells):
            panel.setMinimumSize(120, 120)
            box = QVBoxLayout()
            box.addWidget(panel, 1)
            if isinstance(under, QWidget):
                box.addWidget(under)
            elif under is not None:
                box.addLayout(under)
            grid.addLayout(box, k // 2, k % 2)
        for k in range(2):
            grid.setColumnStretch(k, 1)
            grid.setRowStretch(k, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(grid, 1)
        layout.addWidget(self.index)
        buttons = QHBoxLayout()
        for w in (self.diverse, self.accent, self.whole, self.folder_button, self.index_button):
            buttons.addWidget(w)
        layout.addLayout(buttons)

    # -- one channel --------------------------------------------------------------------
    def show_channel(self, layer: str, channel: int, acts, view: np.ndarray, image: np.ndarray,
                     visualize: bool = True) -> None:
        """Open ``channel`` of ``layer`` (``acts``: its activations of the photo whose model view is ``view``;
        ``visualize=False`` keeps the visualization shown: one opened from its recipe)."""
        self.opened, self._image, self._view = (layer, channel), image, view
        self.channel_panel.set_image(channel_overlay(view, acts, channel))
        self.channel_panel.set_title(f"{layer}:{channel} — mean {acts.mean[channel]:.3g}, max {acts.max[channel]:.3g}")
        model = self.ctx.model
        self.saliency_job.restart(lambda _p, _c: saliency_job(model, image, layer, channel))
        if visualize:
            self._visualize()
        self._find_patches()

    def drop(self) -> None:
        """The photo or model changed: the open channel's jobs are dropped."""
        for job in (self.saliency_job, self.viz_job, self.patches_job):
            job.discard()

    def _visualize(self) -> None:
        """The channel's visualization, live: one picture, or four pushed apart (the checkbox)."""
        layer, channel = self.opened
        model = self.ctx.model
        objective = UnitObjective((Unit(layer, channel),))
        if self.accent.isChecked():
            image = self._image
            self.viz_panel.set_title(f"{layer}:{channel} accentuated in this photo")
            self.viz_job.restart(lambda _p, control: accentuate(model, image, objective, control=control),
                                 params=ACCENT_PARAMS, title="Accentuation in this photo")
            return
        four = self.diverse.isChecked()
        kind = "4 diverse visualizations" if four else "visualization"
        self.viz_panel.set_title(f"What excites {layer}:{channel} most ({kind})")
        if four:
            params = DiversityParams(count=4, size=VIZ_PARAMS.size, steps=VIZ_PARAMS.steps)
            started = self.viz_job.restart(lambda _p, control: diverse_visualizations(model, objective,
                                                                                      control=control),
                                           params=params, title="4 diverse visualizations")
        else:
            started = self.viz_job.restart(lambda _p, control: class_visualization(model, objective, control=control),
                                           params=VIZ_PARAMS)
        if started:   # its recipe (File ▸ Save writes it with the picture)
            self.tab.recipes.start(recipe_maker("diverse" if four else "classviz", self.viz_job.control, model=model,
                                                seed=0, objective=f"{layer}:{channel}"))

    def _on_viz_kind(self, checked: bool, other: QCheckBox) -> None:
        """The open channel's visualization is made again the way the checkboxes now say (diverse and
        accentuated exclude each other)."""
        if checked and other.isChecked():
            other.setChecked(False)  # its toggle remakes the visualization, as both now say
            return
        self._remake()

    def _remake(self) -> None:
        if self.opened is not None and self.ctx.model is not None:
            self._visualize()

    def _on_viz_ended(self, end, _result) -> None:
        if not self.viz_job.is_running:   # (the end of a run a newer one replaced is not this recipe's)
            self.tab.recipes.settle(end.steps, failed=end.kind is Ending.FAILED)

    def _on_viz(self, frame: Frame) -> None:
        if frame.image is not None:
            self.viz_panel.set_image(frame.image)

    def _on_saliency(self, frame: Frame) -> None:
        found: ChannelMap = frame.info
        if (found.layer, found.channel) == self.opened:
            self.saliency_panel.set_image(overlay(self._view, found.saliency, opacity=0.7))

    # -- top patches -----------------------------------------------------------------------
    def _find_patches(self) -> None:
        """The channel's top patches: from the open index when it has the layer (only the top photos are read),
        else by running the samples and the added folders through the network."""
        layer, channel = self.opened
        model = self.ctx.model
        self._expected = self.opened
        if self.index.answers(model, layer):
            path, whole = self.index.path, self.whole.isChecked()
            self.patches_panel.set_title(f"Top-9 of {self.index.photos:,} indexed photos"
                                         + (" (whole: the channel's map, its peak framed)" if whole else ""))
            self.patches_job.restart(lambda _p, _c: index_patches_job(path, model, layer, channel, whole=whole),
                    title="Top photos from the index" if whole else "Top patches from the index")
            return
        if self.index.path and layer in self.index.layers:
            self.ctx.show_status(f"The open index was made with the model {self.index.meta.get('model')}: top patches "
                                 f"for {model.name} come from the sample photos.", 10000)
        items = [str(p) for _t, p in sample_photos()]
        for folder in list(self.folders):
            try:
                items += photos_in(folder)
            except OSError as exc:  # moved or deleted since it was added: searched no more, and said so
                self.folders.remove(folder)
                self.ctx.show_status(f"Top patches: {folder} can no longer be read ({exc.strerror or exc}).", 8000)
        self.patches_panel.set_title(f"Top-9 patches of {len(items)} photos")
        self._patch_paths = items
        self.patches_job.restart(lambda _p, control: top_patches_job(model, items, layer, channel, load=load_image,
                                                                       control=control))

    def _on_patches(self, frame: Frame) -> None:
        patches = frame.info
        if isinstance(patches, IndexPatches):
            if (patches.layer, patches.channel) != self._expected:
                return
            self._patch_paths, patches = patches.paths, patches.patches
        if patches:
            self.shown_patches = list(patches[:9])
            self.patches_panel.set_image(patch_grid([p.image for p in self.shown_patches], PATCH_CELL, PATCH_GAP))

    def show_similar(self, layer: str, maxima: np.ndarray) -> None:
        """The patches panel shows the indexed photos whose channels of ``layer`` respond most like ``maxima``
        (the photo's per-channel maxima); click one to open it."""
        model = self.ctx.model
        if not self.index.answers(model, layer):
            self.ctx.show_status(f"The open index cannot answer for {layer} of this model.", 8000)
            return
        path, self._expected = self.index.path, (layer, -1)
        self.patches_panel.set_title(f"Indexed photos most like this one ({layer} channels)")
        self.patches_job.restart(lambda _p, _c: similar_photos_job(path, model, maxima, layer),
                title="Photos like this one")

    def _on_index_changed(self) -> None:
        if self.opened is not None and self.ctx.model is not None:
            self._find_patches()

    def _on_patch_click(self, x: float, y: float) -> None:
        """A click on a top patch opens its photo."""
        q, r = int(x - PATCH_GAP) // (PATCH_CELL + PATCH_GAP), int(y - PATCH_GAP) // (PATCH_CELL + PATCH_GAP)
        k = r * 3 + q
        if 0 <= q < 3 and 0 <= k < len(self.shown_patches):
            self.tab.open_file(self._patch_paths[self.shown_patches[k].source])

    def add_folder(self, folder: str) -> bool:
        """Also look for top patches among the photos of ``folder`` (a folder that cannot be read or has
        no photos gets a message and is not added)."""
        try:
            photos = photos_in(folder)
        except OSError as exc:
            self.ctx.error("Cannot use this folder", f"{folder}: {exc.strerror or exc}")
            return False
        if not photos:
            self.ctx.error("No photos in this folder",
                           f"{folder} has no {', '.join(sorted(IMAGE_SUFFIXES))} files (sub-folders are not searched).")
            return False
        if folder not in self.folders:
            self.folders.append(folder)
        self.tab.status.setText(f"Top patches also come from the {len(photos)} photos of {os.path.basename(folder) or folder}."
                                + (" Indexing it once (Layers ▸ Index a Folder…) makes every channel click instant."
                                   if len(photos) > LARGE_FOLDER else ""))
        if self.opened is not None:
            self._find_patches()
        return True

    def _add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Photos to search for top patches", self.ctx.last_folder)
        if folder:
            self.add_folder(folder)
