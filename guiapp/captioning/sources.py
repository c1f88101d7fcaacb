"""Where captioning data comes from: each :class:`Source` has a label, a help
line, an options widget and turns the options into a :class:`SourceRequest`
(a label and a job building the classic data dict in the background)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QWidget

from engine.captioning.data.annotations import build_annotations, default_photo_spec
from engine.captioning.data.coco import CAPTIONS_FILE, is_coco_folder, load_coco
from engine.captioning.data.shapes import ShapesConfig, build_shapes, default_feature_spec
from engine.captioning.data.spatial import PHOTO_GRID, SCENES_GRID, spatial_feature_spec, spatial_photo_spec
from engine.jobs import Control, Frame, Stage
from engine.models import DEFAULT_MODEL

from .spinboxes import int_spin

__all__ = ["Source", "SourceRequest", "SOURCES", "ScenesOptions", "CocoOptions", "JsonOptions",
           "scenes_request", "coco_request", "json_request"]

#: ``job(cnn, control)``: ``cnn(name)`` returns the classifier called ``name``
Job = Callable[[Callable[[str], Any], Control], Iterator[Frame]]


@dataclass(frozen=True)
class SourceRequest:
    label: str
    job: Job


@dataclass(frozen=True)
class Source:
    label: str
    help: str
    make_options: Callable[[QWidget], QWidget]
    request: Callable[[QWidget], SourceRequest]


def _features_combo(grid: int, pooled_help: str, grid_help: str) -> QComboBox:
    """Pooled features (RNN, LSTM) or a grid of them (the LSTM with attention)."""
    combo = QComboBox()
    combo.addItem("Pooled over the image (RNN, LSTM)", False)
    combo.addItem(f"{grid}×{grid} grid (LSTM with attention)", True)
    combo.setItemData(0, pooled_help, Qt.ItemDataRole.ToolTipRole)
    combo.setItemData(1, grid_help, Qt.ItemDataRole.ToolTipRole)
    return combo


def _form(widget: QWidget, rows: list[tuple[str, QWidget]]) -> QFormLayout:
    """``widget``'s layout: a margin-less form of ``(label, field)`` rows."""
    form = QFormLayout(widget)
    form.setContentsMargins(0, 0, 0, 0)
    for label, field in rows:
        form.addRow(label, field)
    return form


class ScenesOptions(QWidget):
    """Options of the built-in dataset."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        default = ShapesConfig()  # the measured defaults (LSTM: colour+shape named on 98% of test, 95% of novel)
        self.n_train = int_spin(20, 100000, default.n_train, 500)
        self.image_size = int_spin(32, 256, default.image_size, 16)
        self.seed = int_spin(0, 10**6, 0, 1)
        self.features = _features_combo(
            SCENES_GRID, "One vector per image: the stem (averaged and maximised) and blocks 5 and 10, averaged",
            "One vector per grid cell (stem, blocks 5 and 10): the attention cell looks at the cells")
        _form(self, [("Training images", self.n_train), ("Image size (px)", self.image_size), ("Seed", self.seed),
                     ("Features", self.features)])

    def config(self) -> ShapesConfig:
        n = self.n_train.value()
        held = min(ShapesConfig().n_val, max(10, n // 10))
        return ShapesConfig(seed=self.seed.value(), n_train=n, n_val=held, n_test=held, n_novel=held,
                            image_size=self.image_size.value())


def scenes_request(config: ShapesConfig, grid: bool = False) -> SourceRequest:
    spec = spatial_feature_spec(config) if grid else default_feature_spec(config)

    def job(cnn: Callable[[str], Any], control: Control) -> Iterator[Frame]:
        return (yield from build_shapes(lambda: cnn(spec.cnn), config, spec, control))

    kind = f", {SCENES_GRID}×{SCENES_GRID} grid" if grid else ""
    return SourceRequest(f"Built-in scenes ({config.n_train} training images, seed {config.seed}{kind})", job)


class _PathEdit(QWidget):
    """A line edit with a Browse… button (a folder or a file)."""

    def __init__(self, placeholder: str, *, folder: bool, file_filter: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = QLineEdit()
        self.edit.setPlaceholderText(placeholder)
        self.button = QPushButton("Browse…")
        self.folder, self.file_filter = folder, file_filter
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button)
        self.button.clicked.connect(self._browse)

    def _browse(self) -> None:
        start = self.edit.text() or str(Path.home())
        if self.folder:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder", start)
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a file", start, self.file_filter)
        if path:
            self.edit.setText(path)

    def text(self) -> str:
        return self.edit.text().strip()


class CocoOptions(QWidget):
    """Options of a ``coco_captioning`` folder import."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder = _PathEdit("…/coco_captioning", folder=True)
        self.max_train = int_spin(0, 10**7, 20000, 5000)
        self.max_train.setSpecialValueText("all")
        self.pca = QCheckBox("512-d PCA features (else 4096-d fc7)")
        self.pca.setChecked(True)
        _form(self, [("Folder", self.folder), ("Training captions", self.max_train), ("", self.pca)])


def coco_request(folder: str, max_train: int | None, pca: bool) -> SourceRequest:
    if not folder:
        raise ValueError("choose the coco_captioning folder first")
    if not is_coco_folder(folder):
        raise ValueError(f"{folder}: not a coco_captioning folder (it has no {CAPTIONS_FILE})")

    def job(_cnn: Callable[[str], Any], _control: Control) -> Iterator[Frame]:
        yield Frame(step=0, total=1, info=Stage("reading the HDF5 files"))
        data = load_coco(folder, max_train=max_train, pca_features=pca)
        yield Frame(step=1, total=1, info=Stage("done"), final=True)
        return data

    name = Path(folder).name or folder
    return SourceRequest(f"{name} (COCO, {max_train or 'all'} training captions)", job)


class JsonOptions(QWidget):
    """Options of a captions-JSON import."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.json = _PathEdit("captions.json (COCO, Karpathy or a simple list)", folder=False,
                              file_filter="Captions (*.json);;All files (*)")
        self.images = _PathEdit("image folder (default: the JSON file's folder)", folder=True)
        self.min_count = int_spin(1, 1000, 1, 1)
        self.max_length = int_spin(1, 100, 16, 1)
        self.features = _features_combo(
            PHOTO_GRID, "The CNN's pooled penultimate features of the centred 224 px crop",
            "One vector per grid cell of the last block (blocks.15) of the centred crop")
        _form(self, [("Captions JSON", self.json), ("Images", self.images), ("Minimum word count", self.min_count),
                     ("Maximum caption words", self.max_length), ("Features", self.features)])


def json_request(json_path: str, images_dir: str, min_count: int, max_length: int,
                 cnn_name: str = DEFAULT_MODEL, grid: bool = False) -> SourceRequest:
    if not json_path:
        raise ValueError("choose the captions JSON file first")
    if not Path(json_path).is_file():
        raise ValueError(f"{json_path}: no such file")
    if images_dir and not Path(images_dir).is_dir():
        raise ValueError(f"{images_dir}: no such folder")
    spec = spatial_photo_spec(cnn_name) if grid else default_photo_spec(cnn_name)

    def job(cnn: Callable[[str], Any], control: Control) -> Iterator[Frame]:
        return (yield from build_annotations(lambda: cnn(spec.cnn), json_path, images_dir or None, spec, control,
                                             min_count=min_count, max_length=max_length))

    return SourceRequest(f"{Path(json_path).name} (captions JSON)", job)


SOURCES: list[Source] = [
    Source(
        label="Built-in scenes of shapes",
        help="Generated pictures of coloured shapes with several captions each; nothing to download. "
             "Some colour-shape pairs are held out of training to test generalisation. "
             "The CNN features are cached, so the second load is instant.",
        make_options=ScenesOptions,
        request=lambda page: scenes_request(page.config(), page.features.currentData()),
    ),
    Source(
        label="coco_captioning folder (course data)",
        help="The course's folder: coco2014_captions.h5, the VGG-16 fc7 feature files, coco2014_vocab.json and "
             "the URL lists. Features are precomputed, so photos cannot be captioned with such a model; "
             "dataset images are shown by their URL. They are pooled (no grid): RNN and LSTM only.",
        make_options=CocoOptions,
        request=lambda page: coco_request(page.folder.text(), page.max_train.value() or None, page.pca.isChecked()),
    ),
    Source(
        label="Captions JSON + image folder",
        help="A COCO or Flickr-style captions file and its images. The CNN turns every image into features "
             "(cached); unreadable images are listed as problems and skipped.",
        make_options=JsonOptions,
        request=lambda page: json_request(page.json.text(), page.images.text(), page.min_count.value(),
                                          page.max_length.value(), grid=page.features.currentData()),
    ),
]
