"""The status bar's model label after a model file that did not open: a damaged
file, a pickle whose code the user would not run, an architecture left unchosen.
The model loaded before still runs every tab, so the label keeps naming it."""
from __future__ import annotations

import timm
import torch
from PySide6.QtWidgets import QMessageBox

from guiapp.model_dialogs import ArchitectureDialog
from tests import user_models

user_model_files = user_models.user_model_files  # the fixture


def _still_lite0(window) -> bool:
    return not window.ctx.is_loading and window._model_label.text().startswith("Model: efficientnet_lite0")


def test_a_damaged_file_leaves_the_label_on_the_model_that_runs(qtbot, window, tmp_path):
    bad = tmp_path / "bad.pth"
    bad.write_text("not a model")
    window.model_opener.open(str(bad))
    qtbot.waitUntil(lambda: not window.ctx.is_loading, timeout=30000)
    qtbot.waitUntil(lambda: _still_lite0(window), timeout=5000)
    assert window.ctx.model.name == "efficientnet_lite0"


def test_a_declined_pickle_leaves_the_label_on_the_model_that_runs(qtbot, window, messages, user_model_files):
    path = user_model_files["pickle"]
    window.model_opener.open(str(path))
    qtbot.waitUntil(lambda: isinstance(window.model_opener.last_dialog, QMessageBox), timeout=30000)
    assert "loading" in window._model_label.text()
    window.model_opener.last_dialog.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: _still_lite0(window), timeout=5000)
    assert f"{path.name} not opened" in messages[-1] and "efficientnet_lite0" in messages[-1]


def test_an_unchosen_architecture_leaves_the_label_on_the_model_that_runs(qtbot, window, tmp_path):
    path = tmp_path / "deit.pth"
    torch.save(timm.create_model("deit_tiny_patch16_224", num_classes=2).state_dict(), path)
    window.model_opener.open(str(path))
    qtbot.waitUntil(lambda: isinstance(window.model_opener.last_dialog, ArchitectureDialog), timeout=60000)
    window.model_opener.last_dialog.reject()
    qtbot.waitUntil(lambda: _still_lite0(window), timeout=5000)


def test_a_remembered_model_that_does_not_open_at_start_up_gives_way_to_the_default(qtbot, window, tmp_path,
                                                                                    user_model_files):
    """No model at all (start-up) and the remembered file is gone, or a pickle is declined:
    the bundled default opens, so that every tab can run."""
    ctx = window.ctx
    for path in (tmp_path / "gone.pth", user_model_files["pickle"]):
        ctx.model = None
        window.model_opener.open(str(path))
        if path.suffix == ".pt":
            qtbot.waitUntil(lambda: isinstance(window.model_opener.last_dialog, QMessageBox), timeout=30000)
            window.model_opener.last_dialog.button(QMessageBox.StandardButton.Cancel).click()
        qtbot.waitUntil(lambda: ctx.model is not None and not ctx.is_loading, timeout=60000)
        assert ctx.model.name == "efficientnet_lite0" and _still_lite0(window)
