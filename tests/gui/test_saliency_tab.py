"""The Saliency tab end to end: drop a photo, the map and overlay appear,
clicking a class recomputes, parameters are live, curves are plotted, the
map and overlay save with their parameters."""
from __future__ import annotations

import numpy as np
import pytest

from engine.imaging import load_image, read_png_params
from guiapp.tabs.saliency_tab import SaliencyTab


@pytest.fixture
def tab(open_tab):
    widget = open_tab(SaliencyTab)
    widget.curve_points = 6  # keep the curves cheap
    return widget


def _wait_for_curves(qtbot, tab, timeout=60000):
    qtbot.waitUntil(lambda: tab.curves is not None and not tab.runner.is_running, timeout=timeout)


def test_drop_compute_click_class_and_save(qtbot, tab, photo_dir, tmp_path):
    assert tab.open_file(str(photo_dir / "coffee.png"))
    _wait_for_curves(qtbot, tab)
    r = tab.result
    assert r.target == 967 and r.label == "espresso" and r.params.method == "vanilla"
    assert r.saliency.shape == (224, 224) and r.saliency.max() > 0
    assert tab.map_panel.image.shape == (224, 224, 3) and tab.overlay_panel.image.shape == (224, 224, 3)
    x, y = tab.removal.morf.getData()
    # nothing deleted yet: the curve starts at the probability the classifier itself gives the photo
    untouched = tab.ctx.model.classify(load_image(photo_dir / "coffee.png"), top=1)[0]
    assert untouched.index == 967
    assert len(x) == 6 and x[0] == 0 and x[-1] == 1 and y[0] == pytest.approx(untouched.prob, abs=1e-4)
    assert "MoRF AUC" in tab.removal.auc_label.text() and tab.curves.fill == "blur"
    # one pass (the map, then its curves): no "finished after 2 steps" for steps the user never saw
    assert tab.status.text().startswith("Saliency map finished.") and "step" not in tab.status.text()
    assert tab.picker.current_class() == 967

    # opacity and colour map only re-render (no new job)
    before = tab.overlay_panel.image.copy()
    tab.form.opacity.setValue(1.0)
    assert not tab.runner.is_running
    assert np.array_equal(tab.overlay_panel.image, tab.map_image())
    assert not np.array_equal(before, tab.overlay_panel.image)

    # clicking another class in the prediction list recomputes for it
    qtbot.waitUntil(lambda: tab.classify.prediction_list.topLevelItemCount() == 5, timeout=20000)
    item = tab.classify.prediction_list.topLevelItem(1)
    second = tab.classify.predictions[1].index
    tab.classify.prediction_list.itemClicked.emit(item, 0)
    qtbot.waitUntil(lambda: tab.result is not None and tab.result.target == second and tab.curves is not None
                    and not tab.runner.is_running, timeout=60000)
    assert tab.picker.current_class() == second

    out_map, out_npy, out_overlay = tmp_path / "map.png", tmp_path / "map.npy", tmp_path / "overlay.png"
    assert tab.save_map(str(out_map)) and tab.save_map(str(out_npy)) and tab.save_overlay(str(out_overlay))
    assert load_image(out_map).shape == (224, 224, 3)
    assert np.array_equal(np.load(out_npy), tab.result.saliency)
    params = read_png_params(out_overlay)
    assert params["kind"] == "saliency-overlay" and params["target"]["index"] == second
    assert params["opacity"] == 1.0 and params["morf_auc"] == pytest.approx(tab.curves.morf.auc)
    assert not tab.has_unsaved_results()


def test_method_parameters_are_live_and_debounced(qtbot, tab, photo_dir):
    tab.open_file(str(photo_dir / "coffee.png"))
    _wait_for_curves(qtbot, tab)
    jobs = []
    tab.runner.running_changed.connect(lambda running: running and jobs.append(1))
    tab.form.set_method("smoothgrad")       # several quick changes: one recomputation
    tab.form.samples.setValue(3)
    tab.form.noise.setValue(0.2)
    qtbot.waitUntil(lambda: tab.result is not None and tab.result.params.method == "smoothgrad"
                    and tab.curves is not None and not tab.runner.is_running, timeout=60000)
    assert tab.result.params.samples == 3 and tab.result.params.noise == pytest.approx(0.2)
    assert len(jobs) == 1
    assert tab.form.samples.isVisibleTo(tab.form) and not tab.form.layer.isVisibleTo(tab.form)

    tab.form.set_method("gradcam")
    tab.form.layer.setCurrentText("blocks.10")
    qtbot.waitUntil(lambda: tab.result.params.method == "gradcam" and tab.curves is not None
                    and not tab.runner.is_running, timeout=60000)
    assert tab.result.params.layer == "blocks.10"


def test_a_change_while_computing_cancels_and_recomputes(qtbot, tab, photo_dir):
    tab.form.set_method("integrated-gradients")
    tab.form.steps.setValue(200)              # slow enough to be overtaken
    dones = []
    tab.runner.done.connect(dones.append)
    tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: tab.runner.is_running, timeout=5000)
    tab.form.set_method("vanilla")
    qtbot.waitUntil(lambda: tab.result is not None and tab.result.params.method == "vanilla"
                    and tab.curves is not None and not tab.runner.is_running, timeout=60000)
    assert dones[0] is None  # the 200-step IG job was cancelled, not finished
    assert dones[-1].params.method == "vanilla"


def test_without_an_image_or_model_nothing_runs(qtbot, ctx):
    ctx.model = None
    widget = SaliencyTab(ctx)
    qtbot.addWidget(widget)
    widget.compute()
    assert not widget.runner.is_running and widget.result is None
    assert not widget.save_map_button.isEnabled()
    widget.shutdown()
