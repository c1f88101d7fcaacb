"""The dialogs of Model ▸ Open Model File…: consent to run a pickled model's
code, the architecture chooser when several fit, the preprocessing form
with its presets (ImageNet statistics, [0, 1], [-1, 1]), and Model ▸ Class
Names… (typed one per line, or loaded from a labels file)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.models.preprocessing import PRESETS, Preprocessing
from engine.models.sidecar import fitted_labels, read_labels_file

__all__ = ["consent_box", "ArchitectureDialog", "PreprocessingDialog", "ClassNamesDialog", "PRESET_TITLES"]

PRESET_TITLES = {"imagenet": "ImageNet statistics", "0..1": "[0, 1], no normalisation", "-1..1": "[−1, 1]"}


def consent_box(parent: QWidget | None, path: str) -> QMessageBox:
    """A question naming the file; its "Open and run its code" button is not the default."""
    name = Path(path).name
    box = QMessageBox(QMessageBox.Icon.Warning, "Run code from this file?",
                      f"“{name}” is a pickled Python object (saved with torch.save(model)).\n\n"
                      "Opening it runs code stored in the file, with your permissions. Open it only if you trust "
                      "where it came from.\n\nSafer: save the weights instead, torch.save(model.state_dict(), "
                      "'weights.pth'), and open that file.", QMessageBox.StandardButton.Cancel, parent)
    box.setInformativeText(str(path))
    box.addButton("Open and run its code", QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box


class ArchitectureDialog(QDialog):
    """The architectures that fit a state dict; the first is selected."""

    def __init__(self, path: str, choices: list[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose the architecture")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"The weights in “{Path(path).name}” fit several architectures.\n"
                                "They compute the same network; their default preprocessing may differ."))
        self.list = QListWidget()
        self.list.addItems(choices)
        self.list.setCurrentRow(0)
        self.list.itemDoubleClicked.connect(self.accept)
        layout.addWidget(self.list)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def choice(self) -> str:
        return self.list.currentItem().text()


def _numbers(values) -> str:
    return ", ".join(f"{v:g}" for v in values)


class PreprocessingDialog(QDialog):
    """Input size, value range, mean/std, crop and channels; a preset fills range, mean and std."""

    def __init__(self, current: Preprocessing, name: str, parent: QWidget | None = None, note: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Preprocessing of {name}")
        form = QFormLayout(self)
        if note:
            self.note = QLabel(note)
            self.note.setWordWrap(True)
            form.addRow(self.note)
        self.preset = QComboBox()
        self.preset.addItem("Custom", None)
        for key, title in PRESET_TITLES.items():
            self.preset.addItem(title, key)
        self.size = QSpinBox(minimum=8, maximum=4096, suffix=" px")
        self.range = QLineEdit()
        self.mean, self.std = QLineEdit(), QLineEdit()
        self.crop = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.005, decimals=3)
        self.channels = QComboBox()
        self.channels.addItem("RGB (3 channels)", 3)
        self.channels.addItem("Greyscale (1 channel)", 1)
        for label, widget in (("Preset", self.preset), ("Input size", self.size), ("Pixels 0..255 map to", self.range),
                              ("Mean", self.mean), ("Std", self.std), ("Centre crop", self.crop),
                              ("Channels", self.channels)):
            form.addRow(label, widget)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        form.addRow(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.show_values(current)
        self.preset.activated.connect(self._apply_preset)
        self.result_value: Preprocessing | None = None

    def show_values(self, p: Preprocessing) -> None:
        self.size.setValue(p.input_size)
        self.range.setText(_numbers(p.value_range))
        self.mean.setText(_numbers(p.mean))
        self.std.setText(_numbers(p.std))
        self.crop.setValue(p.crop_fraction)
        self.channels.setCurrentIndex(0 if p.channels == 3 else 1)
        match = [k for k, v in PRESETS.items() if (v.mean, v.std, v.value_range) == (p.mean, p.std, p.value_range)]
        self.preset.setCurrentIndex(self.preset.findData(match[0]) if match else 0)

    def _apply_preset(self) -> None:
        key = self.preset.currentData()
        if key is not None:
            preset = PRESETS[key]
            self.range.setText(_numbers(preset.value_range))
            self.mean.setText(_numbers(preset.mean))
            self.std.setText(_numbers(preset.std))

    def values(self) -> Preprocessing:
        """The form as a :class:`Preprocessing`; ``ValueError`` saying what is wrong."""
        def floats(edit: QLineEdit, what: str) -> list[float]:
            try:
                return [float(t) for t in edit.text().replace(";", ",").split(",") if t.strip()]
            except ValueError:
                raise ValueError(f"{what}: type numbers separated by commas") from None

        return Preprocessing(input_size=self.size.value(), mean=floats(self.mean, "mean"), std=floats(self.std, "std"),
                             value_range=tuple(floats(self.range, "range")) or (0.0, 1.0),
                             crop_fraction=self.crop.value(), channels=self.channels.currentData())

    def _accept(self) -> None:
        try:
            self.result_value = self.values()
        except (ValueError, TypeError) as exc:
            self.error.setText(str(exc))
            return
        self.accept()


class ClassNamesDialog(QDialog):
    """The model's class names, one per line, to edit or to load from a labels
    file (``.txt`` one per line, ``.json`` a list or a dict); a count other than
    the network's outputs is refused with both numbers.  An empty box: the names
    the model's files give (``result_value`` ``None``)."""

    def __init__(self, labels: list[str], name: str, origin: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.count = len(labels)
        self.setWindowTitle(f"Class names of {name}")
        layout = QVBoxLayout(self)
        now = (f"nothing names them: class 0…{self.count - 1}" if origin.startswith("none")
               else f"now from {origin}")
        self.intro = QLabel(f"{self.count} classes, one name per line, in the order of the network's outputs "
                            f"({now}). Leave it empty for the names the model's files give.")
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        self.text = QPlainTextEdit("\n".join(labels))
        layout.addWidget(self.text, 1)
        self.load_button = QPushButton("Load from file…")
        self.load_button.clicked.connect(self._choose_file)
        layout.addWidget(self.load_button)
        self.error = QLabel()
        self.error.setObjectName("errorLabel")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.result_value: list[str] | None = None

    def _choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Load class names", "", "Class names (*.txt *.json);;All files (*)")
        if path:
            self.load_file(path)

    def load_file(self, path: str) -> bool:
        """Put the names of a labels file in the box (what is wrong with it, below)."""
        try:
            names = read_labels_file(Path(path))
        except ValueError as exc:
            self.error.setText(str(exc))
            return False
        self.text.setPlainText("\n".join(names))
        self.error.setText("" if len(names) == self.count else
                           f"{Path(path).name} holds {len(names)} names; the network has {self.count} outputs")
        return True

    def _accept(self) -> None:
        names = [line.strip() for line in self.text.toPlainText().splitlines() if line.strip()]
        try:
            self.result_value = fitted_labels(names, self.count, "the box") if names else None
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.accept()
