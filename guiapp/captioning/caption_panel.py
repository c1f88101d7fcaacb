"""``CaptionPanel``: drop a photo (or pick a dataset image) and see the
current model's caption by greedy decoding, temperature sampling or beam
search, with the top-k word probabilities at every step and, for beam
search, the beams kept and dropped; for a model with attention, where it
looked before every word (:class:`~.attention_view.AttentionView`)."""
from __future__ import annotations

import os

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QGroupBox, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSplitter, QVBoxLayout, QWidget

from engine.captioning.jobs import CaptionResult, DecodeOptions, caption_job
from engine.jobs import Control

from ..jobrunner import JobRunner
from ..widgets.image_panel import ImagePanel
from ..widgets.param_form import ParamForm
from .attention_view import AttentionView
from .dataset_browser import SplitIndex
from .page import SessionPage
from .session import CaptioningSession
from .word_charts import BeamTree, TopKChart

__all__ = ["CaptionPanel"]


class CaptionPanel(SessionPage):
    """Signal ``caption_ready(object)`` with a :class:`CaptionResult`."""

    caption_ready = Signal(object)

    def __init__(self, session: CaptioningSession, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.result: CaptionResult | None = None
        self._source: tuple | None = None    # ("photo", image, path) or ("dataset", split, index)
        self._source_name = ""                 # the picture's name, shown above any reason it is not captioned
        self._seed = 0

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self._source_column())
        split.addWidget(self._result_column(self._decoding_box()))
        split.setStretchFactor(1, 1)
        split.setSizes([360, 760])
        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        outer.addWidget(split)
        self._connect(session)
        self._options_changed(run=False)

    def _source_column(self) -> QWidget:
        """The picture (dropped, opened or a dataset image), the Random button and where it came from."""
        self.image_panel = ImagePanel("Image", hint="Drop a photo here\nor use File ▸ Open (Ctrl+O),\n"
                                                    "try File ▸ Open Sample,\nor pick a dataset image below")
        self.random_button = QPushButton("Random dataset image")
        self.random_button.setToolTip("Pick an image of the validation (or test) split at random")
        self.source_label = QLabel("")
        self.source_label.setObjectName("muted")
        self.source_label.setWordWrap(True)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.image_panel, 1)
        ll.addWidget(self.random_button)
        ll.addWidget(self.source_label)
        return left

    def _decoding_box(self) -> QGroupBox:
        """The decoding options (method, temperature, beam width, top-k, length) and Caption again."""
        self.decoding = ParamForm(DecodeOptions(), only=("method", "temperature", "beam_width", "top_k", "max_length"))
        widgets = self.decoding.widgets
        self.method, self.temperature, self.beam_width = widgets["method"], widgets["temperature"], widgets["beam_width"]
        self.top_k, self.max_length = widgets["top_k"], widgets["max_length"]
        self.again_button = QPushButton("Caption again")
        options = QGroupBox("Decoding")
        form = QVBoxLayout(options)
        form.addWidget(self.decoding)
        form.addWidget(self.again_button)
        return options

    def _caption_views(self) -> None:
        """The caption, its references, the top-k chart, the attention strip and the beam tree."""
        self.caption_label = QLabel("")
        self.caption_label.setWordWrap(True)
        font = self.caption_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.caption_label.setFont(font)
        self.caption_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.references_label = QLabel("")
        self.references_label.setWordWrap(True)
        self.chart = TopKChart()
        chart_scroll = QScrollArea()
        chart_scroll.setWidget(self.chart)
        chart_scroll.setWidgetResizable(False)
        chart_scroll.setFixedHeight(150)
        self.chart_scroll = chart_scroll
        self.attention = AttentionView()
        self.attention_box = QGroupBox("Where it looked before every word (attention weights over the feature grid)")
        QVBoxLayout(self.attention_box).addWidget(self.attention)
        self.attention_box.setVisible(False)
        self.beams = BeamTree()
        self.beams_box = QGroupBox("Beam search: hypotheses kept, finished and dropped at every step")
        QVBoxLayout(self.beams_box).addWidget(self.beams)

    def _result_column(self, options: QGroupBox) -> QScrollArea:
        """The decoding options beside the caption, then the chart, attention and beams, in a scroll area."""
        self._caption_views()
        top = QHBoxLayout()
        top.addWidget(options)
        caption_box = QVBoxLayout()
        caption_box.addWidget(QLabel("Caption"))
        caption_box.addWidget(self.caption_label)
        caption_box.addWidget(self.references_label)
        caption_box.addStretch(1)
        top.addLayout(caption_box, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addLayout(top)
        rl.addWidget(QLabel("Top-k word probabilities at every step (amber: the word taken)"))
        rl.addWidget(self.chart_scroll)
        rl.addWidget(self.attention_box)
        rl.addWidget(self.beams_box, 1)
        rl.addStretch(0)
        right_scroll = QScrollArea()   # the caption, the attention strip and the beams scroll on a short
        right_scroll.setWidget(right)  # screen instead of growing the window past it
        right_scroll.setWidgetResizable(True)
        right_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.right_scroll = right_scroll
        return right_scroll

    def _connect(self, session: CaptioningSession) -> None:
        self.image_panel.image_loaded.connect(self._on_photo)
        self.image_panel.load_failed.connect(lambda msg: self.ctx.error("Cannot open image", msg))
        self.random_button.clicked.connect(self.random_image)
        self.again_button.clicked.connect(self._again)
        self.decoding.value_changed.connect(lambda name, _v: self._options_changed() if name == "method" else self.caption())
        self.runner = JobRunner(self)   # a caption is redone at every change (a new one drops the old): no lifecycle
        self.runner.connect_slots(done=self._on_done, failed=self._on_failed)
        session.model_changed.connect(lambda _m: self.caption())
        session.data_changed.connect(lambda _d: self.random_button.setEnabled(session.data is not None))
        self.random_button.setEnabled(False)

    # -- sources ------------------------------------------------------------------------
    def open_file(self, path: str) -> bool:
        """Show and caption the photo at ``path`` (File ▸ Open, a drop)."""
        return self.image_panel.load_file(path)

    def _on_photo(self, image: np.ndarray, path: str) -> None:
        self._source = ("photo", image, path)
        self._show_source(f"{os.path.basename(path)} — {image.shape[1]}×{image.shape[0]} px")
        self.references_label.setText("")
        self.caption()

    def show_dataset_image(self, split: str, index: int) -> bool:
        data = self.session.data
        if data is None or not data.has_split(split):
            return False
        idx = SplitIndex(data, split)
        if not 0 <= index < idx.count:
            return False
        self._source = ("dataset", split, index)
        img = idx.image(index)
        if img is not None:
            self.image_panel.set_image(img)
        else:
            self.image_panel.clear()
        refs = idx.captions(index)
        self._show_source(f"{idx.name(index)} ({split} split)")
        self.references_label.setText("Ground truth:\n" + "\n".join(f"• {c}" for c in refs))
        self.caption()
        return True

    def random_image(self) -> bool:
        data = self.session.data
        if data is None:
            return False
        split = next((s for s in ("val", "test", "train") if data.has_split(s) and data.split(s).n_images), None)
        if split is None:
            return False
        self._seed += 1
        n = data.split(split).n_images
        return self.show_dataset_image(split, int(np.random.default_rng(self._seed).integers(n)))

    # -- decoding -------------------------------------------------------------------------
    def options(self) -> DecodeOptions:
        return self.decoding.params(seed=self._seed)

    def _options_changed(self, run: bool = True) -> None:
        method = self.method.currentData()
        self.temperature.setEnabled(method == "sample")
        self.beam_width.setEnabled(method == "beam")
        self.beams_box.setVisible(method == "beam")
        self.again_button.setText("Sample again" if method == "sample" else "Caption again")
        if run:
            self.caption()

    def _again(self) -> None:
        self._seed += 1
        self.caption()

    def caption(self) -> bool:
        """Caption the current image in the background (no-op without one)."""
        model, source = self.session.model, self._source
        if source is None:
            return False
        if model is None:
            self._cannot_caption("No model yet: train one (Train page) or load one.")
            return False
        kwargs: dict = {}
        if source[0] == "dataset":
            _, split, index = source
            data = self.session.data
            if data is None or data.feature_dim != model.input_dim:
                why = ("This model looks at a grid of features and this dataset's are pooled: load it again with "
                       "Features ▸ grid (Data page)" if model.cell_type == "attention" else
                       "This dataset's features do not fit the current model: load the dataset it was trained on")
                self._cannot_caption(f"{why}, or caption a photo.")
                self.ctx.show_status(why + ".", 5000)
                return False
            kwargs.update(features=np.asarray(data.split(split).features[index]), source=f"{split} #{index}",
                          references=SplitIndex(data, split).captions(index))
        else:
            spec = self.session.spec
            if spec is None:
                self.ctx.error("Cannot caption a photo", "The current model was trained on precomputed features "
                               "without a CNN this program has; it can caption dataset images only.")
                return False
            kwargs.update(image=source[1], cnn=lambda: self.session.cnn(spec.cnn), spec=spec,
                          source=os.path.basename(source[2]))
        try:
            options = self.options()
        except ValueError as exc:
            self.ctx.show_status(str(exc), 5000)
            return False
        self._show_source(self._source_name)     # a reason it could not caption before no longer holds
        self.caption_label.setText("…")
        self.runner.start(lambda: caption_job(model, options, **kwargs), Control())
        return True

    def _show_source(self, name: str, why: str = "") -> None:
        """The picture's name, and under it why it is not captioned (shown until a caption starts)."""
        self._source_name = name
        self.source_label.setText(f"{name}\n{why}" if why else name)

    def _cannot_caption(self, why: str) -> None:
        """No caption: the reason goes under the image's name, where the caption's source is named."""
        self.caption_label.setText("")
        self._show_source(self._source_name, why)

    def _on_done(self, result: CaptionResult | None) -> None:
        if result is None:
            return
        self.result = result
        self.caption_label.setText(result.caption or "(empty caption)")
        self.chart.set_steps(result.steps, result.result.top_k[0])
        bar = self.chart_scroll.horizontalScrollBar().sizeHint().height()
        self.chart_scroll.setFixedHeight(self.chart.sizeHint().height() + bar + 4)
        self.beams.set_steps(result.result.beams[0] if result.result.beams else None)
        self._show_attention(result)
        self.caption_ready.emit(result)

    def _show_attention(self, result: CaptionResult) -> None:
        """The attention strip of an attention model's caption, over the picture the CNN saw."""
        image = self._seen_image()
        shown = result.attention is not None and image is not None and result.attention.ndim == 3
        self.attention_box.setVisible(shown)
        if shown:
            self.attention.set_attention(image, result.attention, result.steps)
        else:
            self.attention.clear()

    def _seen_image(self) -> np.ndarray | None:
        """The current image as the CNN saw it (the feature spec's view), or ``None``."""
        source = self._source
        if source is None:
            return None
        if source[0] == "photo":
            image = source[1]
        else:
            data = self.session.data
            image = SplitIndex(data, source[1]).image(source[2]) if data is not None else None
        spec = self.session.spec
        return spec.view(image) if image is not None and spec is not None else image

    def _on_failed(self, message: str) -> None:
        self.caption_label.setText("")
        self.ctx.error("Captioning failed", message)

    def shutdown(self, msecs: int = 5000) -> None:
        if self.runner.is_running:
            self.runner.stop()
            self.runner.wait(msecs)
