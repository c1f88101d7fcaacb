"""Model ▸ Class Names… for a file that names no classes: the box says so in
plain words (not "now from none (class 0..N-1)"), and one name too few or
too many is counted in good English ("1 class name")."""
from __future__ import annotations

from guiapp.model_dialogs import ClassNamesDialog


def test_a_model_without_names_and_a_count_of_one(qtbot):
    dialog = ClassNamesDialog([f"class {i}" for i in range(4)], "plain.onnx", "none (class 0..N-1)")
    qtbot.addWidget(dialog)
    assert "from none" not in dialog.intro.text()
    assert "nothing names them: class 0…3" in dialog.intro.text()
    dialog.text.setPlainText("red")
    dialog._accept()
    assert dialog.error.text() == "1 class name (from the box) but the network has 4 outputs"
