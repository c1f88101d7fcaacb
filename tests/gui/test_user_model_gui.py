"""A user's own model in the window: Model ▸ Open Model File… and its
dialogs (consent for a pickle, the architecture chooser, preprocessing with
presets, remembered per file), a dropped model file, Open Recent Model, and
every tab running on the opened model at its own size and classes."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox
from qt_fixtures import map_photo, use_model, visualize_class

from engine.models.user_model import open_model_file
from guiapp.model_dialogs import ArchitectureDialog, PreprocessingDialog
from guiapp.tabs.dreaming_tab import DREAM, DreamingTab
from guiapp.tabs.fooling_tab import FoolingTab
from guiapp.tabs.layers_tab import LayersTab
from guiapp.tabs.saliency_tab import SaliencyTab
from tests import user_models
from tests.user_models import SMALL

user_model_files = user_models.user_model_files  # the fixture


def _loaded(ctx, path) -> bool:
    source = getattr(ctx.model, "source", None)
    return source is not None and source.path == str(path) and not ctx.is_loading


def test_model_menu_offers_files(window):
    titles = [a.text() for a in window.model_menu.actions()]
    assert "&Open Model File…" in titles and "Open &Recent Model" in titles and "&Preprocessing…" in titles
    assert not window.model_opener.preprocessing_action.isEnabled()  # the bundled model has nothing to set


def test_pickle_asks_consent_naming_the_file(qtbot, window, user_model_files):
    ctx, path = window.ctx, user_model_files["pickle"]
    window.model_opener.open(str(path))
    qtbot.waitUntil(lambda: isinstance(window.model_opener.last_dialog, QMessageBox), timeout=30000)
    box = window.model_opener.last_dialog
    assert path.name in box.text() and "runs code" in box.text()
    assert box.defaultButton() == box.button(QMessageBox.StandardButton.Cancel)
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.wait(200)
    assert ctx.model.source is None  # still the bundled model
    window.model_opener.open(str(path))
    qtbot.waitUntil(lambda: window.model_opener.last_dialog is not box, timeout=30000)
    box = window.model_opener.last_dialog
    next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole).click()
    qtbot.waitUntil(lambda: _loaded(ctx, path), timeout=60000)
    assert ctx.model.source.kind == "pickled model"
    assert window.model_opener.recent.paths()[0] == str(path)
    assert path.name in window._model_label.text()


def test_several_architectures_are_chosen_once(qtbot, window, tmp_path):
    import timm
    import torch

    path = tmp_path / "deit.pth"
    torch.save(timm.create_model("deit_tiny_patch16_224", num_classes=2).state_dict(), path)
    window.model_opener.open(str(path))
    qtbot.waitUntil(lambda: isinstance(window.model_opener.last_dialog, ArchitectureDialog), timeout=60000)
    dialog = window.model_opener.last_dialog
    choices = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert "timm/vit_tiny_patch16_224" in choices
    dialog.list.setCurrentRow(choices.index("timm/vit_tiny_patch16_224"))
    dialog.accept()
    qtbot.waitUntil(lambda: _loaded(window.ctx, path), timeout=60000)
    assert window.ctx.model.source.arch == "timm/vit_tiny_patch16_224"
    assert window.model_opener.remembered(str(path))["arch"] == "timm/vit_tiny_patch16_224"


def test_preprocessing_dialog_presets_are_remembered(qtbot, window, user_model_files):
    ctx, path = window.ctx, user_model_files["resnet"]
    window.model_opener.open(str(path))
    qtbot.waitUntil(lambda: _loaded(ctx, path), timeout=60000)
    assert window.model_opener.preprocessing_action.isEnabled()
    window.model_opener.edit_preprocessing()
    dialog = window.model_opener.last_dialog
    assert isinstance(dialog, PreprocessingDialog) and dialog.size.value() == SMALL
    assert dialog.preset.currentData() == "imagenet"
    dialog.preset.setCurrentIndex(dialog.preset.findData("-1..1"))
    dialog.preset.activated.emit(dialog.preset.currentIndex())
    dialog.size.setValue(48)
    dialog.std.setText("0, 0, 0")
    dialog._accept()
    assert dialog.isVisible() and "std" in dialog.error.text()  # refused, the dialog stays open
    dialog.std.setText("1")
    dialog._accept()
    qtbot.waitUntil(lambda: _loaded(ctx, path) and ctx.model.input_size == 48, timeout=60000)
    assert ctx.model.source.preprocessing.value_range == (-1.0, 1.0)
    assert float(ctx.model.mean.flatten()[0]) == pytest.approx(127.5)
    # the next open of this file uses the same settings, at start-up too
    assert window.model_opener.remembered(str(path))["preprocessing"].input_size == 48


def test_a_dropped_model_file_opens(qtbot, window, user_model_files):
    path = user_model_files["onnx"]
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: _loaded(window.ctx, path), timeout=60000)
    assert window.ctx.model.labels == ("w", "x", "y", "z")


@pytest.fixture(params=["vit", "grey", "pt2"])
def user_network(request, ctx, user_model_files):
    return use_model(ctx, open_model_file(user_model_files[request.param], "cpu"))


def test_tabs_run_on_the_users_model(qtbot, open_tab, user_network, photo_dir):
    side = user_network.input_size
    saliency = open_tab(SaliencyTab)
    map_photo(qtbot, saliency, photo_dir / "coffee.png")
    assert saliency.result.model == user_network.name and saliency.result.label in user_network.labels
    assert saliency.result.saliency.shape == (side, side)

    fooling = open_tab(FoolingTab)
    assert fooling.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: len(fooling.classify.predictions) == min(5, len(user_network.labels)), timeout=30000)
    fooling.picker.set_class(1)
    fooling.max_iter.setValue(2)
    fooling.run()
    qtbot.waitUntil(lambda: fooling.result is not None and not fooling.runner.is_running, timeout=60000)
    assert fooling.result.image.shape == (side, side, 3)

    layers = open_tab(LayersTab)
    assert layers.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: layers.layer_slider.isEnabled() and layers.mosaic_panel.image is not None, timeout=60000)
    assert layers.layer_slider.maximum() == len(user_network.layer_names) - 1

    dreaming = open_tab(DreamingTab)
    visualize_class(qtbot, dreaming)
    assert dreaming.history.entries()[0]["model"] == user_network.name
    dreaming.set_mode(DREAM)   # not EfficientNet's blocks.8: the layer the model recommends, and why
    assert dreaming.layer.currentText() == user_network.default_layer("dream").layer
    assert user_network.default_layer("dream").reason in dreaming.layer.toolTip()


def test_about_names_the_file_and_its_hash(ctx, user_model_files):
    from guiapp.about import about_lines

    ctx.model = open_model_file(user_model_files["onnx"], "cpu")
    rows = dict(about_lines(ctx))
    assert str(user_model_files["onnx"]) in rows["Weight file"] and ctx.model.source.sha256 in rows["Weight file"]
    assert ctx.model.source.short_hash in rows["Model"]
