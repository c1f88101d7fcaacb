"""The Layers tab: what every channel of a layer sees in your photo, and what
excites one channel most (the view the Deep Visualization Toolbox made loved;
Yosinski et al. 2015).

A photo goes through the network once (all layers in one pass, on a
background thread); scrubbing the layer slider then only swaps precomputed
mosaics.  Clicking a channel in the mosaic shows it large over the photo, its
saliency (the gradient of its mean activation), its channel visualization
(class visualization with a channel objective, streamed live) and the nine
patches of the sample photos (and any folder you add) that excite it most.

A tab of its own rather than a mode of Dreaming: it is about one photo and
one layer at a time, and its main view (the grid of channels) has no place
in a generation workbench.
"""
from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.channels import (
    Analysis,
    ChannelMap,
    analyze_job,
    channel_overlay,
    mosaic_channel_at,
    outline_cell,
    patch_grid,
    photos_in,
    saliency_job,
    top_patches_job,
)
from engine.generation import ClassVizParams, class_visualization
from engine.generation.diversity import DiversityParams, diverse_visualizations
from engine.generation.unit_objectives import Unit, UnitObjective
from engine.gradients import overlay
from engine.imaging import IMAGE_SUFFIXES, load_image
from engine.index.patches import IndexPatches, index_patches_job
from engine.jobs import Control, Frame

from ..context import AppContext
from ..jobrunner import JobRunner
from ..samples import sample_photos
from ..widgets.image_panel import ImagePanel
from ..workbench import Workbench
from .layers_index import LayersIndex

__all__ = ["LayersTab"]

CELL, GAP = 32, 2
PATCH_CELL, PATCH_GAP = 96, 4
#: an added folder with more photos than this gets the advice to index it
LARGE_FOLDER = 200
#: the channel visualization's recipe (a quick, recognisable render)
VIZ_PARAMS = ClassVizParams(size=128, steps=128)


class LayersTab(Workbench):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.image: np.ndarray | None = None
        self.view: np.ndarray | None = None      # the model's view of the photo
        self.acts: dict = {}
        self.views: dict = {}
        self.channel: int | None = None
        self.folders: list[str] = []
        self.analyzer, self.saliency_runner = JobRunner(self), JobRunner(self)
        self.viz_runner, self.patch_runner = JobRunner(self), JobRunner(self)
        self.runner = self.analyzer  # the tab's main job (Workbench users look at ``runner``)

        self.photo_panel = ImagePanel("Photo", hint="Drop a photo here\n(or File ▸ Open Sample)")
        self.mosaic_panel = ImagePanel("Channels", hint="Every channel's activation map appears here", accept_drops=False)
        self.mosaic_panel.set_smooth(False)
        self.channel_panel = ImagePanel("Channel", hint="Click a channel in the grid", accept_drops=False)
        self.saliency_panel = ImagePanel("Its saliency", hint="", accept_drops=False)
        self.viz_panel = ImagePanel("What excites it most", hint="", accept_drops=False)
        self.patches_panel = ImagePanel("Top-9 patches", hint="", accept_drops=False)
        self.layer_slider = QSlider(Qt.Orientation.Horizontal)
        self.layer_slider.setEnabled(False)
        self.layer_label = QLabel("Layer: —")
        self.pointer = QLabel("")   # the channel under the mouse in the grid
        self.pointer.setObjectName("pointerReadout")
        self.sort = QComboBox()
        self.sort.addItem("mean activation", "mean")
        self.sort.addItem("max activation", "max")
        self.diverse = QCheckBox("4 diverse visualizations")
        self.diverse.setToolTip("Visualize the channel four times at once, pushed apart (Olah et al. 2017)")
        self.folder_button = QPushButton("Add a folder of photos…")
        self.folder_button.setToolTip("Also search the photos of a folder for the top patches")
        self.index = LayersIndex(ctx, self)
        self.index_button = QToolButton()
        self.index_button.setText("Index")
        self.index_button.setMenu(self.index.menu)
        self.index_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.index_button.setToolTip("Index a folder once: every channel's top photos, answered at each click")
        self.menu = self.index.menu   # the window puts it in the menu bar
        self._patch_paths: list[str] = []
        self._shown_patches: list = []
        self._index_refused_for = None
        self.status = QLabel("Drop a photo, then scrub the layers and click a channel.")
        self.status.setWordWrap(True)
        self._build_layout()

        self.photo_panel.image_loaded.connect(lambda image, _path: self.set_image(image))
        self.photo_panel.load_failed.connect(lambda m: self.ctx.error("Cannot open the image", m))
        self.layer_slider.valueChanged.connect(lambda _v: self._show_layer())
        self.sort.currentIndexChanged.connect(lambda _i: self._show_layer(resort=True))
        self.mosaic_panel.clicked.connect(self._on_mosaic_click)
        self.mosaic_panel.hovered.connect(self._on_mosaic_hover)
        self.folder_button.clicked.connect(self._add_folder_dialog)
        self.diverse.toggled.connect(self._on_diverse_toggled)
        self.index.changed.connect(self._on_index_changed)
        self.patches_panel.clicked.connect(self._on_patch_click)
        self.analyzer.connect_slots(frame=self._on_analysis, failed=lambda m: self.ctx.error("Layers", m))
        self.saliency_runner.connect_slots(frame=self._on_saliency, failed=lambda m: self.ctx.error("Layers", m))
        self.viz_runner.connect_slots(frame=self._on_viz, failed=lambda m: self.ctx.error("Channel visualization", m))
        self.patch_runner.connect_slots(frame=self._on_patches, failed=self._on_patches_failed)
        ctx.model_changed.connect(lambda _m: self._analyze())
        self.index.reopen_last()

    def _build_layout(self) -> None:
        controls = QHBoxLayout()
        controls.addWidget(self.layer_label)
        controls.addWidget(self.layer_slider, 1)
        controls.addWidget(QLabel("Sort by"))
        controls.addWidget(self.sort)
        left = QSplitter(Qt.Orientation.Vertical)
        left.addWidget(self.photo_panel)
        grid_box = QWidget()
        gl = QVBoxLayout(grid_box)
        gl.setContentsMargins(0, 0, 0, 0)
        gl.addWidget(self.mosaic_panel, 1)
        gl.addWidget(self.pointer)
        left.addWidget(grid_box)
        left.setSizes([250, 450])
        detail = QWidget()
        grid = QGridLayout(detail)
        grid.setContentsMargins(0, 0, 0, 0)
        for k, panel in enumerate((self.channel_panel, self.saliency_panel, self.viz_panel, self.patches_panel)):
            panel.setMinimumSize(120, 120)
            grid.addWidget(panel, k // 2, k % 2)
        for k in range(2):
            grid.setColumnStretch(k, 1)
            grid.setRowStretch(k, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(detail, 1)
        rl.addWidget(self.status)
        rl.addWidget(self.index)
        buttons = QHBoxLayout()
        buttons.addWidget(self.diverse)
        buttons.addWidget(self.folder_button)
        buttons.addWidget(self.index_button)
        rl.addLayout(buttons)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([520, 600])
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(split, 1)

    # -- inputs ------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        return self.photo_panel.load_file(path)

    def set_image(self, image: np.ndarray) -> None:
        if self.photo_panel.image is not image:
            self.photo_panel.set_image(image)
        self.image = image
        self._analyze()

    def _analyze(self) -> None:
        model = self.ctx.model
        if self.image is None or model is None:
            return
        for runner in (self.saliency_runner, self.viz_runner, self.patch_runner):
            runner.discard()
        self.status.setText(f"Running the photo through {model.name}…")
        image = self.image
        self.analyzer.start(lambda: analyze_job(model, image, cell=CELL, gap=GAP), Control())

    def _on_analysis(self, frame: Frame) -> None:
        model = self.ctx.model
        analysis: Analysis = frame.info
        if model is None or analysis.model != model.name:
            return
        self.acts, self.views, self.view = analysis.acts, analysis.views, analysis.view
        names = list(self.acts)
        keep = self.current_layer
        self.layer_slider.setRange(0, len(names) - 1)
        self.layer_slider.setEnabled(True)
        if keep in names:
            self.layer_slider.setValue(names.index(keep))
        self._show_layer()
        self.status.setText("Scrub the layers; click a channel to see what it responds to.")

    # -- the layer -------------------------------------------------------------
    @property
    def current_layer(self) -> str | None:
        names = list(self.acts)
        return names[self.layer_slider.value()] if names else None

    def _show_layer(self, resort: bool = False) -> None:
        layer = self.current_layer
        if layer is None:
            return
        a = self.acts[layer]
        self.layer_label.setText(f"Layer: {layer}")
        self.mosaic_panel.set_title(f"{layer}: {a.channels} channels, {a.maps.shape[2]}×{a.maps.shape[1]} "
                                    f"positions, sorted by {self.sort.currentData()} activation (orange +, blue −)")
        self._order = self.views[layer, self.sort.currentData()][1]
        if not resort and self.channel is not None and self.channel < a.channels:
            self.select_channel(self.channel)  # draws the grid too
        else:  # no channel, or the same one re-sorted: its running visualization carries on
            self._draw_mosaic()
        self.pointer.setText("Point at a channel for its index and activity; click it to open it.")

    def _draw_mosaic(self) -> None:
        """The current layer's grid, with the open channel framed."""
        picture, order = self.views[self.current_layer, self.sort.currentData()]
        if self.channel is not None and self.channel < len(order):
            rank = int(np.flatnonzero(order == self.channel)[0])
            picture = outline_cell(picture, rank, len(order), CELL, GAP)
        self.mosaic_panel.set_image(picture)

    def _on_mosaic_hover(self, x: float, y: float) -> None:
        layer = self.current_layer
        channel = mosaic_channel_at(x, y, self._order, CELL, GAP) if layer is not None and x >= 0 else None
        if channel is None:
            return
        a = self.acts[layer]
        rank = int(np.flatnonzero(self._order == channel)[0]) + 1
        self.pointer.setText(f"{layer}:{channel} — rank {rank} of {a.channels} by {self.sort.currentData()} · "
                             f"mean {a.mean[channel]:.3g}, max {a.max[channel]:.3g}")

    def _on_mosaic_click(self, x: float, y: float) -> None:
        channel = mosaic_channel_at(x, y, self._order, CELL, GAP)
        if channel is not None:
            self.select_channel(channel)

    # -- one channel ------------------------------------------------------------
    def select_channel(self, channel: int) -> None:
        """Show ``channel`` of the current layer: its map over the photo, its
        saliency, its visualization and its top patches."""
        model, layer = self.ctx.model, self.current_layer
        if model is None or layer is None or self.view is None:
            return
        a = self.acts[layer]
        self.channel = int(channel)
        self._draw_mosaic()
        self.channel_panel.set_image(channel_overlay(self.view, a, self.channel))
        self.channel_panel.set_title(f"{layer}:{self.channel} — mean {a.mean[self.channel]:.3g}, "
                                     f"max {a.max[self.channel]:.3g}")
        image, channel = self.image, self.channel
        self.saliency_runner.start(lambda: saliency_job(model, image, layer, channel), Control())
        self._visualize(layer, channel)
        self._find_patches(layer, channel)

    def _visualize(self, layer: str, channel: int) -> None:
        """The channel's visualization, live: one picture, or four pushed apart (the checkbox)."""
        model = self.ctx.model
        objective = UnitObjective((Unit(layer, channel),))
        four = self.diverse.isChecked()
        kind = "4 diverse visualizations" if four else "visualization"
        self.viz_panel.set_title(f"What excites {layer}:{channel} most ({kind})")
        if four:
            control = Control(DiversityParams(count=4, size=VIZ_PARAMS.size, steps=VIZ_PARAMS.steps), emit_interval=0.1)
            self.viz_runner.start(lambda: diverse_visualizations(model, objective, control=control), control)
        else:
            control = Control(VIZ_PARAMS, emit_interval=0.1)
            self.viz_runner.start(lambda: class_visualization(model, objective, control=control), control)

    def _on_diverse_toggled(self, _checked: bool) -> None:
        """The open channel's visualization is made again the way the checkbox now says."""
        if self.channel is not None and self.current_layer is not None and self.ctx.model is not None:
            self._visualize(self.current_layer, self.channel)

    def _find_patches(self, layer: str, channel: int) -> None:
        """The channel's top patches: from the open index when it has the layer (only the top photos are read),
        else by running the samples and the added folders through the network."""
        model = self.ctx.model
        if self.index.path and layer in self.index.layers and self._index_refused_for is not model:
            path = self.index.path
            self.patches_panel.set_title(f"Top-9 of {self.index.photos:,} indexed photos")
            self.patch_runner.start(lambda: index_patches_job(path, model, layer, channel), Control())
            return
        items = [str(p) for _t, p in sample_photos()]
        for folder in list(self.folders):
            try:
                items += photos_in(folder)
            except OSError as exc:  # moved or deleted since it was added: searched no more, and said so
                self.folders.remove(folder)
                self.ctx.show_status(f"Top patches: {folder} can no longer be read ({exc.strerror or exc}).", 8000)
        control = Control(emit_interval=0.25)
        self.patches_panel.set_title(f"Top-9 patches of {len(items)} photos")
        self._patch_paths = items
        self.patch_runner.start(lambda: top_patches_job(model, items, layer, channel, load=load_image, control=control),
                                control)

    def _on_patches_failed(self, message: str) -> None:
        if self.index.path and self._index_refused_for is not self.ctx.model:  # e.g. made with another model
            self._index_refused_for = self.ctx.model
            self.ctx.show_status(f"{message}; top patches come from the sample photos for this model.", 10000)
            if self.channel is not None and self.current_layer is not None:
                self._find_patches(self.current_layer, self.channel)
        else:
            self.ctx.error("Top patches", message)

    def _on_index_changed(self) -> None:
        self._index_refused_for = None
        if self.channel is not None and self.current_layer is not None and self.ctx.model is not None:
            self._find_patches(self.current_layer, self.channel)

    def _on_patch_click(self, x: float, y: float) -> None:
        """A click on a top patch opens its photo."""
        q, r = int(x - PATCH_GAP) // (PATCH_CELL + PATCH_GAP), int(y - PATCH_GAP) // (PATCH_CELL + PATCH_GAP)
        k = r * 3 + q
        if 0 <= q < 3 and 0 <= k < len(self._shown_patches):
            self.open_file(self._patch_paths[self._shown_patches[k].source])

    def _on_saliency(self, frame: Frame) -> None:
        found: ChannelMap = frame.info
        if found.channel == self.channel:
            self.saliency_panel.set_image(overlay(self.view, found.saliency, opacity=0.7))

    def _on_viz(self, frame: Frame) -> None:
        if frame.image is not None:
            self.viz_panel.set_image(frame.image)

    def _on_patches(self, frame: Frame) -> None:
        patches = frame.info
        if isinstance(patches, IndexPatches):
            if (patches.layer, patches.channel) != (self.current_layer, self.channel):
                return
            self._patch_paths, patches = patches.paths, patches.patches
        if patches:
            self._shown_patches = list(patches[:9])
            self.patches_panel.set_image(patch_grid([p.image for p in patches[:9]], PATCH_CELL, PATCH_GAP))

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
        self.status.setText(f"Top patches also come from the {len(photos)} photos of {os.path.basename(folder) or folder}."
                            + (" Indexing it once (Layers ▸ Index a Folder…) makes every channel click instant."
                               if len(photos) > LARGE_FOLDER else ""))
        if self.channel is not None and self.current_layer is not None:
            self._find_patches(self.current_layer, self.channel)
        return True

    def _add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Photos to search for top patches", self.ctx.last_folder)
        if folder:
            self.add_folder(folder)

    def shutdown(self) -> None:
        self.index.shutdown()
        for runner in (self.analyzer, self.saliency_runner, self.viz_runner, self.patch_runner):
            runner.stop()
        for runner in (self.analyzer, self.saliency_runner, self.viz_runner, self.patch_runner):
            runner.wait(5000)

