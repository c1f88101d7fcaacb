"""What a user chooses for their model in the window: Model ▸ Class Names…
(typed or loaded from a labels file, the count checked against the network,
remembered per file, every class chooser updated) and the preprocessing
dialog that opens by itself the first time a file whose preprocessing
nothing says is opened."""
from __future__ import annotations

import json

from engine.models.preprocessing import Preprocessing
from guiapp.model_dialogs import ClassNamesDialog, PreprocessingDialog
from guiapp.tabs.dreaming_tab import DreamingTab
from guiapp.tabs.saliency_tab import SaliencyTab
from tests import user_models
from tests.user_models import write_plain_onnx

user_model_files = user_models.user_model_files  # the fixture
FRUIT = ("apple", "banana", "cherry", "date", "elder")
TREES = ("oak", "ash", "elm", "yew", "fir")


def _loaded(ctx, path, labels=None) -> bool:
    source = getattr(ctx.model, "source", None)
    return (source is not None and source.path == str(path) and not ctx.is_loading
            and (labels is None or ctx.model.labels == labels))


def _pickers(window):
    return [window.findChild(cls).picker for cls in (SaliencyTab, DreamingTab)]


def test_class_names_are_chosen_checked_and_remembered(qtbot, window, user_model_files, tmp_path):
    ctx, opener, path = window.ctx, window.model_opener, user_model_files["resnet"]
    assert not opener.class_names_action.isEnabled()   # the bundled network's are ImageNet's
    opener.open(str(path))
    qtbot.waitUntil(lambda: _loaded(ctx, path), timeout=60000)
    assert opener.class_names_action.isEnabled() and opener.last_dialog is None   # its sidecar says the preprocessing
    opener.edit_class_names()
    dialog = opener.last_dialog
    assert isinstance(dialog, ClassNamesDialog) and dialog.text.toPlainText().split("\n") == list(FRUIT)
    assert "labels.txt" in dialog.intro.text()   # where they come from now
    four = tmp_path / "four.json"
    four.write_text(json.dumps(["a", "b", "c", "d"]))
    assert dialog.load_file(str(four))
    assert "4 names" in dialog.error.text() and "5 outputs" in dialog.error.text()
    dialog._accept()
    assert dialog.isVisible() and dialog.error.text() == "4 class names (from the box) but the network has 5 outputs"
    assert not dialog.load_file(str(tmp_path / "missing.txt")) and "missing.txt" in dialog.error.text()
    dialog.text.setPlainText("\n".join(TREES) + "\n\n")   # blank lines do not count
    dialog._accept()
    qtbot.waitUntil(lambda: _loaded(ctx, path, TREES), timeout=60000)
    assert ctx.model.source.labels_from == "names you chose"
    assert all(picker.labels == TREES for picker in _pickers(window))
    assert opener.remembered(str(path))["labels"] == list(TREES)
    opener.open(str(path))   # the next open of this file uses them
    qtbot.waitUntil(lambda: not ctx.is_loading, timeout=60000)
    assert ctx.model.labels == TREES
    opener.edit_class_names()   # an empty box: back to the names the files give
    opener.last_dialog.text.setPlainText("")
    opener.last_dialog._accept()
    qtbot.waitUntil(lambda: _loaded(ctx, path, FRUIT), timeout=60000)
    assert "labels" not in opener.remembered(str(path)) and _pickers(window)[0].labels == FRUIT


def test_preprocessing_is_asked_once_when_nothing_says(qtbot, window, tmp_path):
    ctx, opener = window.ctx, window.model_opener
    path = write_plain_onnx(tmp_path)
    opener.open(str(path))
    qtbot.waitUntil(lambda: isinstance(opener.last_dialog, PreprocessingDialog), timeout=60000)
    dialog = opener.last_dialog
    assert _loaded(ctx, path) and "plain.onnx" in dialog.note.text() and "plain.json" in dialog.note.text()
    assert [dialog.preset.itemData(i) for i in range(dialog.preset.count())] == [None, "imagenet", "0..1", "-1..1"]
    assert dialog.size.value() == 224 and dialog.preset.currentData() == "imagenet"   # the defaults in use
    dialog.reject()   # Cancel: the defaults stay, and it is not asked again
    assert ctx.model.source.preprocessing == Preprocessing() and "preprocessing" not in opener.remembered(str(path))
    opener.open(str(path))
    qtbot.waitUntil(lambda: not ctx.is_loading, timeout=60000)
    qtbot.wait(100)
    assert opener.last_dialog is dialog

    other = tmp_path / "other.onnx"
    other.write_bytes(path.read_bytes())
    opener.open(str(other))
    qtbot.waitUntil(lambda: opener.last_dialog is not dialog, timeout=60000)
    dialog = opener.last_dialog
    dialog.preset.setCurrentIndex(dialog.preset.findData("0..1"))
    dialog.preset.activated.emit(dialog.preset.currentIndex())
    dialog.size.setValue(40)
    dialog._accept()
    qtbot.waitUntil(lambda: _loaded(ctx, other) and ctx.model.input_size == 40, timeout=60000)
    assert ctx.model.source.preprocessing_from == "chosen" and ctx.model.source.preprocessing.std == (1.0, 1.0, 1.0)
    qtbot.wait(100)
    assert opener.last_dialog is dialog   # chosen now: not asked again


def test_files_that_say_their_preprocessing_are_not_asked(qtbot, window, user_model_files):
    for kind in ("onnx", "pt2"):   # the input shape is in the file
        window.model_opener.open(str(user_model_files[kind]))
        qtbot.waitUntil(lambda kind=kind: _loaded(window.ctx, user_model_files[kind]), timeout=60000)
    qtbot.wait(100)
    assert window.model_opener.last_dialog is None
