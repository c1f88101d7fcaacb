"""*Saliency ▸ Evaluate a Folder…*: the dialog that chooses what the folder
report scores, as ``saliency-eval FOLDER --boxes FILE --methods … --fill …
--out REPORT`` does on the command line: the folder of photos, an optional
COCO / Pascal VOC annotation file (the pointing game and the mass in the
boxes), the methods, the fill-ins, the points per removal curve, the
sanity score, and the report folder.

Two ready-made folders, one click each: the **sample photos** with their
hand-drawn boxes, and the **shape scenes**, 100 test scenes of the shape
classifier written with each shape's exact box (the ground truth is known;
:func:`engine.shape_scenes.write_scene_folder`); their reports go to the
user's data folder.

Choosing a report folder that holds an earlier run takes its methods and
fill-ins (so that Start goes on with it) and says how far it got.  Start
checks everything first (:func:`engine.gradients.folder_check.check_folder_run`):
a problem is said in the dialog, which stays open with what was typed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.gradients import FILL_TITLES, METHOD_TABLE, METHODS
from engine.gradients.folder_check import POINTS_RANGE, FolderRun, check_folder_run, earlier_report
from engine.resources import resource_path
from engine.shape_scenes import BOXES_NAME, write_scene_folder

from ..paths import user_data_path

__all__ = ["FolderChoice", "FolderEvalDialog", "default_report_folder"]

DEFAULT_FILLS = ("noisy-linear", "blur", "black")
#: the shape scenes written for the report (the 100 test scenes of tools/shapes_saliency_eval.py)
SHAPE_SCENES = 100
SHAPES_MODEL = "tools/data/shapes_cnn/shapes_cnn.safetensors"


@dataclass(frozen=True)
class FolderChoice:
    """What the dialog chose: the photos, the report folder, the boxes file (``""``: none) and the scoring."""

    folder: str
    out: str
    boxes: str = ""
    methods: tuple[str, ...] = METHODS
    fills: tuple[str, ...] = DEFAULT_FILLS
    points: int = 11
    sanity: bool = True


def default_report_folder(folder: str) -> str:
    """``photos/`` -> ``photos-saliency-report/`` beside it."""
    folder = os.path.normpath(folder)
    return os.path.join(os.path.dirname(folder), os.path.basename(folder) + "-saliency-report")


def _path_row(first: QWidget, *buttons: QPushButton) -> QWidget:
    row = QWidget()
    lay = QHBoxLayout(row)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.addWidget(first, 1 if isinstance(first, QLineEdit) else 0)
    for b in buttons:
        b.setAutoDefault(False)   # Enter starts (the default button), whichever of these has the focus
        lay.addWidget(b)
    return row


def _boxes_grid(names: dict[str, str], chosen: tuple[str, ...], columns: int) -> tuple[QWidget, dict[str, QCheckBox]]:
    grid = QWidget()
    lay = QGridLayout(grid)
    lay.setContentsMargins(0, 0, 0, 0)
    boxes = {}
    for i, (name, title) in enumerate(names.items()):
        boxes[name] = QCheckBox(title, checked=name in chosen)
        lay.addWidget(boxes[name], i // columns, i % columns)
    return grid, boxes


class FolderEvalDialog(QDialog):
    """``choice()`` is what was chosen; after Start (accepted) ``run`` is the checked :class:`FolderRun`.
    ``model_name``: the model that will score (an earlier report of another model is not gone on with)."""

    def __init__(self, choice: FolderChoice, model_name: str, parent: QWidget | None = None, *,
                 knows_shapes: bool = False, start_folder: str = "") -> None:
        super().__init__(parent)
        self.model_name, self.knows_shapes = model_name, knows_shapes
        self.start_folder = start_folder or os.path.expanduser("~")   # where the first Browse… opens
        self.setWindowTitle("Evaluate a Folder")
        self.run: FolderRun | None = None
        self._auto_out = not choice.out   # the report folder follows the photos' until typed
        self.folder = QLineEdit(choice.folder, placeholderText="the folder of photos (its sub-folders are not read)")
        self.out = QLineEdit(choice.out, placeholderText="where scores.csv, maps/ and report.html go")
        self.boxes = QLineEdit(choice.boxes, placeholderText="optional: COCO JSON file or Pascal VOC folder")
        self.boxes.setToolTip("Object boxes per photo: the pointing game and the share of the map in the boxes")
        self.earlier = QLabel("", wordWrap=True)
        self.problem = QLabel("", wordWrap=True, objectName="problem")
        method_grid, self.method_boxes = _boxes_grid({m: METHOD_TABLE[m].short for m in METHODS}, choice.methods, 3)
        fill_grid, self.fill_boxes = _boxes_grid(dict(FILL_TITLES), choice.fills, 4)
        self.points = QSpinBox(minimum=POINTS_RANGE[0], maximum=POINTS_RANGE[1], value=choice.points)
        self.points.setToolTip("Points on each removal curve (fewer: faster)")
        self.points.setMaximumWidth(90)
        self.sanity = QCheckBox("rank correlation with the map of a randomised model", checked=choice.sanity)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = self.buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setDefault(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)   # Enter always starts
        self._layout(model_name, method_grid, fill_grid)
        self.folder.textEdited.connect(self._folder_typed)
        self.out.textEdited.connect(self._out_typed)
        self.out.textChanged.connect(self._show_earlier)
        self.buttons.rejected.connect(self.reject)
        self.start_button.clicked.connect(self.start)
        self._show_earlier()
        self.folder.setFocus()

    def _layout(self, model_name: str, method_grid: QWidget, fill_grid: QWidget) -> None:
        browse = [QPushButton("Browse…") for _ in range(2)]
        file_button, voc_button = QPushButton("File…"), QPushButton("VOC Folder…")
        samples, shapes = QPushButton("Sample Photos", objectName="samplePhotos"), \
            QPushButton("Shape Scenes", objectName="shapeScenes")
        samples.setToolTip("The sample photos (File ▸ Open Sample) with the boxes drawn on them")
        shapes.setToolTip(f"{SHAPE_SCENES} scenes of one shape each, with each shape's exact box: whether a map "
                          f"falls on the object is known. Made for the shape classifier ({SHAPES_MODEL}, "
                          "Model ▸ Open Model File…)")
        samples.clicked.connect(self.use_samples)
        shapes.clicked.connect(self.use_shape_scenes)
        browse[0].clicked.connect(lambda: self._browse_folder(self.folder, "Folder of photos to evaluate"))
        browse[1].clicked.connect(lambda: self._browse_folder(self.out, "Folder for the report"))
        file_button.clicked.connect(self._browse_boxes)
        voc_button.clicked.connect(lambda: self._browse_folder(self.boxes, "Folder of Pascal VOC XML files"))
        form = QFormLayout(self)
        form.addRow(QLabel(f"Every method's map of every photo, scored with {model_name or 'the model'}, into a CSV and an "
                           "HTML report (as saliency-eval does).", wordWrap=True))
        ready = _path_row(samples, shapes)
        ready.layout().addStretch(1)
        form.addRow("Ready-made:", ready)
        form.addRow("Photos:", _path_row(self.folder, browse[0]))
        form.addRow("Boxes:", _path_row(self.boxes, file_button, voc_button))
        form.addRow("Methods:", method_grid)
        form.addRow("Fill-ins:", fill_grid)
        form.addRow("Points per curve:", self.points)
        form.addRow("Sanity score:", self.sanity)
        form.addRow("Report folder:", _path_row(self.out, browse[1]))
        form.addRow(self.earlier)
        form.addRow(self.problem)
        form.addRow(self.buttons)
        self.setMinimumWidth(640)

    # -- the paths ------------------------------------------------------------------
    def _browse_folder(self, edit: QLineEdit, title: str) -> None:
        path = QFileDialog.getExistingDirectory(self, title, edit.text() or self.folder.text() or self.start_folder)
        if path:
            edit.setText(path)
            edit.textEdited.emit(path)

    def _browse_boxes(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "COCO annotation file", self.boxes.text() or self.folder.text(),
                                              "COCO JSON (*.json);;All files (*)")
        if path:
            self.boxes.setText(path)

    def _use(self, folder: Path, boxes: Path, out: Path) -> None:
        self.folder.setText(str(folder))
        self.boxes.setText(str(boxes))
        self.out.setText(str(out))
        self._auto_out = False

    def use_samples(self) -> None:
        """The sample photos and their boxes; the report in the user's data folder."""
        folder = resource_path("samples")
        self._use(folder, folder / BOXES_NAME, user_data_path("saliency-reports", "sample-photos"))
        self.problem.setText("")

    def use_shape_scenes(self) -> None:
        """The shape scenes (written once into the user's data folder) and their boxes; the report beside them."""
        folder = user_data_path("shape-scenes")
        if not (folder / BOXES_NAME).is_file():
            QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            try:
                write_scene_folder(folder, SHAPE_SCENES)
            except OSError as exc:
                self.problem.setText(f"{folder}: the scenes could not be written ({exc})")
                return
            finally:
                QGuiApplication.restoreOverrideCursor()
        self._use(folder, folder / BOXES_NAME, user_data_path("saliency-reports", "shape-scenes"))
        self.problem.setText("" if self.knows_shapes else
                             f"Note: {self.model_name} does not know these shapes; the shape classifier does "
                             f"(Model ▸ Open Model File… {SHAPES_MODEL}).")

    def _folder_typed(self, text: str) -> None:
        if self._auto_out:
            self.out.setText(default_report_folder(text) if text.strip() else "")

    def _out_typed(self, _text: str) -> None:
        self._auto_out = False

    def _show_earlier(self) -> None:
        """An earlier run in the report folder: say so, and take its methods and fill-ins."""
        try:
            earlier = earlier_report(self.out.text().strip()) if self.out.text().strip() else None
        except ValueError as exc:
            self.earlier.setText(str(exc))
            return
        if earlier is None or not earlier.photos:
            self.earlier.setText("")
            return
        if earlier.other_model(self.model_name):
            self.earlier.setText(f"This report folder {earlier.other_model(self.model_name)}.")
            return
        for name, box in self.method_boxes.items():
            box.setChecked(name in earlier.methods)
        for name, box in self.fill_boxes.items():
            box.setChecked(name in earlier.fills)
        n = len(earlier.photos)
        self.earlier.setText(f"This report folder holds {n} scored photo{'s' if n != 1 else ''}: Start goes on with "
                             "it (its methods and fill-ins are chosen).")

    # -- the choice -------------------------------------------------------------------
    def choice(self) -> FolderChoice:
        return FolderChoice(self.folder.text().strip(), self.out.text().strip(), self.boxes.text().strip(),
                            tuple(m for m, b in self.method_boxes.items() if b.isChecked()),
                            tuple(f for f, b in self.fill_boxes.items() if b.isChecked()),
                            self.points.value(), self.sanity.isChecked())

    def start(self) -> None:
        """Check the choice; accept it, or say what is wrong and stay open."""
        c = self.choice()
        problem = "choose a folder of photos" if not c.folder else "choose a folder for the report" if not c.out else ""
        if not problem:
            try:
                self.run = check_folder_run(c.folder, c.out, methods=c.methods, fills=c.fills, points=c.points,
                                            boxes=c.boxes or None, model=self.model_name)
            except ValueError as exc:
                problem = str(exc)
        self.problem.setText(problem)
        if not problem:
            self.accept()
