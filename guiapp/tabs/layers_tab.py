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

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSlider, QSplitter, QVBoxLayout, QWidget
from superqt.utils import signals_blocked

from engine.channels import Analysis, analyze_job, mosaic_channel_at, outline_cell
from engine.imaging import save_png
from engine.jobs import Frame

from ..context import AppContext
from ..recipes import RunRecipe
from ..tab_job import Ending, TabJob
from ..widgets.image_panel import ImagePanel
from ..workbench import Workbench, splitter
from .layers_channel import ChannelDetail

__all__ = ["LayersTab"]

CELL, GAP = 32, 2


class LayersTab(Workbench):
    title = "Layers"

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.recipes = RunRecipe()   # the channel visualization's recipe (guiapp/recipes.py)
        self.image: np.ndarray | None = None
        self.view: np.ndarray | None = None      # the model's view of the photo
        self.acts: dict = {}
        self._shown_model = ""   # the model whose layers ``acts`` holds
        self.views: dict = {}
        self.channel: int | None = None
        self.photo_panel = ImagePanel("Photo", hint="Drop a photo here\n(or File ▸ Open Sample)")
        self.mosaic_panel = ImagePanel("Channels", hint="Every channel's activation map appears here", accept_drops=False)
        self.mosaic_panel.set_smooth(False)
        self.layer_slider = QSlider(Qt.Orientation.Horizontal)
        self.layer_slider.setEnabled(False)
        self.layer_label = QLabel("Layer: —")
        self.pointer = QLabel("")   # the channel under the mouse in the grid
        self.pointer.setObjectName("pointerReadout")
        self.sort = QComboBox()
        self.sort.addItem("mean activation", "mean")
        self.sort.addItem("max activation", "max")
        self.status = QLabel("Drop a photo, then scrub the layers and click a channel.")
        self.status.setWordWrap(True)
        self.analysis = TabJob(self, "Photo analysis", status=self.status)
        self.runner = self.analysis.runner  # the tab's main job (Workbench users look at ``runner``)
        self.detail = ChannelDetail(self)
        self.index = self.detail.index
        self.menu = self.index.menu   # Layers ▸ Index a Folder…, Open Index…, Close Index
        self._build_layout()

        self.photo_panel.image_loaded.connect(lambda image, _path: self.set_image(image))
        self.photo_panel.load_failed.connect(lambda m: self.ctx.error("Cannot open the image", m))
        self.layer_slider.valueChanged.connect(lambda _v: self._show_layer())
        self.sort.currentIndexChanged.connect(lambda _i: self._show_layer(resort=True))
        self.mosaic_panel.clicked.connect(self._on_mosaic_click)
        self.mosaic_panel.hovered.connect(self._on_mosaic_hover)
        self.analysis.connect_slots(frame=self._on_analysis, ended=self._on_analysis_ended)
        self.index.similar_action.triggered.connect(self.show_similar)
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
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.detail, 1)
        rl.addWidget(self.status)
        split = splitter(Qt.Orientation.Horizontal, left, right, sizes=(520, 600))
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
        self.detail.drop()
        image = self.image
        if self.analysis.is_running:
            self.analysis.discard()
            self.analysis.wait(2000)
        self.analysis.launch(lambda _p, _c: analyze_job(model, image, cell=CELL, gap=GAP),
                             running=f"Running the photo through {model.name}…")

    def _on_analysis(self, frame: Frame) -> None:
        model = self.ctx.model
        analysis: Analysis = frame.info
        if model is None or analysis.model != model.name:
            return
        same_model = self.acts and self._shown_model == analysis.model
        keep = self.current_layer if same_model else None   # a layer of the shown photo's analysis
        self.acts, self.views, self.view = analysis.acts, analysis.views, analysis.view
        self._shown_model = analysis.model
        names = list(self.acts)
        default = model.default_layer("layers")
        if keep is None and default is not None:
            keep = default.layer   # another model: the layer it recommends, the reason in the tooltip
        self.layer_slider.setRange(0, len(names) - 1)
        self.layer_slider.setEnabled(True)
        if keep in names:
            self.layer_slider.setValue(names.index(keep))
        self.layer_slider.setToolTip(f"Opens on {default.layer}: {default.reason}" if default is not None else "")
        self._show_layer()

    def _on_analysis_ended(self, end, _result) -> None:
        if end.kind is Ending.FINISHED and self.acts:
            self.analysis.say(f"{self.status.text()} Scrub the layers; click a channel to see what it responds to.")

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

    def show_similar(self) -> None:
        """Layers ▸ Indexed Photos Like This One: by the current layer's channels."""
        layer = self.current_layer
        if layer is None:
            self.ctx.show_status("Open a photo first: its channels are compared with the indexed photos'.", 6000)
            return
        self.detail.show_similar(layer, self.acts[layer].max)

    # -- one channel ------------------------------------------------------------
    def select_channel(self, channel: int) -> None:
        """Show ``channel`` of the current layer: its map over the photo, its
        saliency, its visualization and its top patches."""
        layer = self.current_layer
        if self.ctx.model is None or layer is None or self.view is None:
            return
        self.channel = int(channel)
        self._draw_mosaic()
        self.detail.show_channel(layer, self.channel, self.acts[layer], self.view, self.image)

    def show_channel_of_recipe(self, layer: str, channel: int) -> bool:
        """Open ``channel`` of ``layer`` over the analysed photo, keeping the visualization shown (one opened
        from its recipe); ``False`` when no photo has been analysed or it has no such channel."""
        names = list(self.acts)
        if layer not in names or channel >= self.acts[layer].channels:
            return False
        with signals_blocked(self.layer_slider):
            self.layer_slider.setValue(names.index(layer))
        self.channel = None
        self._show_layer()
        self.channel = channel
        self._draw_mosaic()
        self.detail.show_channel(layer, channel, self.acts[layer], self.view, self.image, visualize=False)
        return True

    # -- the channel visualization as a result (its recipe: File ▸ Save, Run Recipe Again) --------------
    @property
    def recipe_job(self):
        """The job whose picture carries a recipe here: the channel visualization."""
        return self.detail.viz_job

    @property
    def current(self):
        """The channel visualization shown (what Run again compares with)."""
        return self.detail.viz_panel.image

    def show_again(self, picture) -> None:
        self.detail.viz_panel.set_image(picture)

    def save_visualization(self, path: str) -> bool:
        """The channel visualization as a PNG with its recipe (once it has finished or been stopped)."""
        recipe, picture = self.recipes.recipe, self.current
        if self.detail.viz_job.is_running or recipe is None or picture is None:
            self.ctx.show_status("No finished channel visualization to save yet (Esc stops it).", 6000)
            return False
        meta = {"mode": "channel visualization", "model": recipe.model, "objective": recipe.inputs["objective"],
                **recipe.params.as_dict(), "recipe": recipe.as_dict()}
        return self.write_file("the channel visualization", path, lambda: save_png(path, picture, meta))

    def save(self) -> None:
        """File ▸ Save: the channel visualization."""
        recipe = self.recipes.recipe
        self.save_or_say(recipe is not None and not self.detail.viz_job.is_running,
                         "No finished channel visualization to save yet.", "Save channel visualization",
                         lambda: f"{recipe.inputs['objective'].replace(':', '-')}.png", self.save_visualization)
