"""Each tab follows the model on its own (no window needed): its class
choosers offer the model's classes, and Dreaming, Layers and Saliency's
Grad-CAM field open on the layer the model recommends
(:meth:`Classifier.default_layer`), with the reason in the tooltip; the
bundled EfficientNet-Lites, which recommend none, keep their own layers."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from qt_fixtures import use_model

from engine.models.judge import cached_model
from engine.models.user_model import open_model_file
from guiapp.tabs.dreaming_tab import CLASSVIZ, DREAM, INVERSION, DreamingTab
from guiapp.tabs.fooling_tab import FoolingTab
from guiapp.tabs.layers_tab import LayersTab
from guiapp.tabs.saliency_tab import SaliencyTab
from tests import user_models
from tests.user_models import write_blocks

user_model_files = user_models.user_model_files  # the fixture
COLOURS = ("red", "green", "blue")


@pytest.fixture(scope="module")
def blocks_model(tmp_path_factory):
    """Twelve blocks named like EfficientNet's; it recommends blocks.6 (DeepDream), blocks.5 (Layers)."""
    return open_model_file(write_blocks(tmp_path_factory.mktemp("blocks")), "cpu")


def test_each_tab_offers_the_models_classes(ctx, open_tab, blocks_model, lite0):
    saliency, fooling, dreaming = open_tab(SaliencyTab), open_tab(FoolingTab), open_tab(DreamingTab)
    saliency.picker.set_class(76)
    saliency.set_target(76)
    use_model(ctx, blocks_model)
    for tab in (saliency, fooling, dreaming):
        assert tab.picker.labels == COLOURS and tab.picker.count() == 3
        assert tab.picker.current_class() == 0 and tab.picker.is_valid
    assert saliency.target is None   # ImageNet's 76 means nothing here: the predicted class is explained
    assert open_tab(FoolingTab).picker.labels == COLOURS   # a tab made after the model was opened
    use_model(ctx, lite0)
    assert dreaming.picker.labels == lite0.labels and dreaming.picker.count() == 1000


def test_dreaming_opens_on_the_models_layer(ctx, open_tab, blocks_model, lite0):
    tab = open_tab(DreamingTab)
    tab.set_mode(DREAM)
    assert tab.layer.currentText() == "blocks.8" and tab.layer.toolTip() == ""   # the bundled network's layer
    tab.set_mode(INVERSION)
    assert tab.layer.currentText() == "blocks.5"
    use_model(ctx, blocks_model)   # it has blocks.5 and blocks.8 too, but recommends its own
    dream = blocks_model.default_layer("dream")
    assert dream.layer == "blocks.6"
    for mode in (INVERSION, DREAM):
        tab.set_mode(mode)
        assert tab.layer.currentText() == "blocks.6"
        assert tab.layer.toolTip() == f"Opens on blocks.6: {dream.reason}"
    use_model(ctx, lite0)
    assert tab.layer.currentText() == "blocks.8" and tab.layer.toolTip() == ""


def test_layers_tab_opens_on_the_models_layer(qtbot, ctx, open_tab, blocks_model, photo_dir):
    use_model(ctx, blocks_model)
    tab = open_tab(LayersTab)
    assert tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: tab.layer_slider.isEnabled() and tab.mosaic_panel.image is not None, timeout=60000)
    default = blocks_model.default_layer("layers")
    assert default.layer == "blocks.5" and tab.current_layer == "blocks.5"
    assert tab.layer_label.text() == "Layer: blocks.5" and default.reason in tab.layer_slider.toolTip()
    tab.layer_slider.setValue(blocks_model.layer_names.index("blocks.8"))   # the user's choice stays for the next photo
    tab.mosaic_panel.clear()
    assert tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: tab.mosaic_panel.image is not None and not tab.analysis.is_running, timeout=60000)
    assert tab.current_layer == "blocks.8"


def test_saliency_layer_field_opens_on_the_cam_default(ctx, open_tab, user_model_files, lite0):
    tab = open_tab(SaliencyTab)
    assert tab.form.layer.currentText() == "head" and "Opens on" not in tab.form.layer.toolTip()
    vit = use_model(ctx, open_model_file(user_model_files["vit"], "cpu"))
    cam = vit.default_layer("cam")
    assert cam.layer == vit.layer_names[-2]   # not the last block: its patch tokens never reach the class token
    assert tab.form.layer.currentText() == cam.layer and tab.form.params().layer == cam.layer
    assert f"Opens on {cam.layer}: {cam.reason}" in tab.form.layer.toolTip()
    use_model(ctx, lite0)
    assert tab.form.layer.currentText() == "head" and "Opens on" not in tab.form.layer.toolTip()


def test_dreamings_image_size_follows_the_models_input_size_unless_typed(ctx, open_tab, user_model_files, lite0):
    tab = open_tab(DreamingTab)
    assert tab.mode_key() == CLASSVIZ and tab.form.value("size") == 224   # the bundled network's default
    small = use_model(ctx, open_model_file(user_model_files["resnet"], "cpu"))
    assert small.input_size == 64
    assert tab.form.value("size") == 64 and tab.form.params().size == 64
    tab.set_mode(INVERSION)
    assert tab.form.value("size") == 64   # every mode with a size
    tab.form.widgets["size"].setValue(96)   # the user's own size stays through model changes
    use_model(ctx, lite0)
    assert tab.form.value("size") == 96
    tab.set_mode(CLASSVIZ)
    assert tab.form.value("size") == 224   # back to the bundled default
    tab.form.widgets["parameterization"].setCurrentIndex(tab.form.widgets["parameterization"].findData("pixels"))
    use_model(ctx, small)
    assert tab.form.value("size") == 64
    tab.form.widgets["parameterization"].setCurrentIndex(tab.form.widgets["parameterization"].findData("fourier"))
    assert tab.form.value("size") == 64   # a parameterisation's recommended settings keep the model's size
    lite2 = SimpleNamespace(name="efficientnet_lite2", layer_names=lite0.layer_names, labels=lite0.labels)
    tab._on_model(lite2)   # (a stand-in) its own parameterisation, and the bundled size
    assert tab.form.widgets["parameterization"].currentData() == "maco" and tab.form.value("size") == 224
    use_model(ctx, small)
    assert tab.form.widgets["parameterization"].currentData() == "fourier" and tab.form.value("size") == 64
    use_model(ctx, cached_model("efficientnet_lite1", "cpu"))
    assert tab.form.value("size") == 224   # the bundled Lites keep the mode's default (not Lite1's 240)
