"""Lite1 and Lite2 in every tab (issue 15): after the Model menu's switch,
each workbench runs on the chosen network at that network's own input size
(240 and 260 px), and its results name that network."""
from __future__ import annotations

import pytest
from qt_fixtures import map_photo, use_model, visualize_class

from engine.imaging import load_image
from engine.models.judge import cached_model
from guiapp.tabs.dreaming_tab import DREAM, INVERSION, DreamingTab
from guiapp.tabs.fooling_tab import FoolingTab
from guiapp.tabs.layers_tab import LayersTab
from guiapp.tabs.saliency_tab import SaliencyTab


@pytest.fixture(params=[("efficientnet_lite1", 240), ("efficientnet_lite2", 260)], ids=["lite1", "lite2"])
def network(request, ctx):
    name, side = request.param
    model = cached_model(name, "cpu")
    assert model.input_size == side
    return use_model(ctx, model)


def test_saliency_fooling_and_layers_run_on_the_chosen_network(qtbot, open_tab, network, photo_dir):
    side = network.input_size
    saliency = open_tab(SaliencyTab)
    map_photo(qtbot, saliency, photo_dir / "coffee.png")
    assert saliency.result.model == network.name and saliency.result.label == "espresso"
    assert saliency.result.view.shape == (side, side, 3) and saliency.result.saliency.shape == (side, side)

    fooling = open_tab(FoolingTab)
    assert fooling.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: len(fooling.classify.predictions) == 5, timeout=30000)
    assert fooling.classify.predictions[0].label == "espresso"
    fooling.picker.set_class(76)
    fooling.max_iter.setValue(2)
    fooling.run()
    qtbot.waitUntil(lambda: fooling.result is not None and not fooling.runner.is_running, timeout=60000)
    assert fooling.result.model == network.name and fooling.result.image.shape == (side, side, 3)

    layers = open_tab(LayersTab)
    assert layers.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: layers.layer_slider.isEnabled() and layers.mosaic_panel.image is not None, timeout=60000)
    assert layers.layer_slider.maximum() == len(network.layer_names) - 1


def test_every_dreaming_mode_runs_on_the_chosen_network(qtbot, open_tab, network, photo_dir):
    tab = open_tab(DreamingTab)
    visualize_class(qtbot, tab)
    assert tab.current.shape == (32, 32, 3) and tab.history.entries()[0]["model"] == network.name

    tab.set_mode(DREAM)
    assert tab.open_file(str(photo_dir / "coffee.png"))
    tab.form.widgets["steps"].setValue(2)
    tab.form.widgets["octaves"].setValue(1)
    assert tab.start(), tab.status.text()
    qtbot.waitUntil(lambda: not tab.runner.is_running and tab.history.count() == 2, timeout=60000)
    assert tab.current.shape == load_image(photo_dir / "coffee.png").shape

    tab.set_mode(INVERSION)
    tab.form.widgets["size"].setValue(64)
    tab.form.widgets["steps"].setValue(2)
    assert tab.start(), tab.status.text()
    qtbot.waitUntil(lambda: not tab.runner.is_running and tab.history.count() == 3, timeout=60000)
    assert tab.current.shape == (64, 64, 3) and tab.history.entries()[0]["model"] == network.name
