"""The Dreaming tab end to end under pytest-qt: every mode runs on the real
model, parameters change while the run continues, Stop / Continue / Save /
Export work, finished results collect in the history strip; feature
accentuation pushes the source photo towards the class with its importance
mask beside it, and choosing MACO loads its recipe."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from engine.generation.classviz import MACO_LR
from engine.imaging import load_image, read_png_params, resize, save_png
from guiapp.tabs.dreaming_tab import ACCENTUATE, CLASSVIZ, DREAM, GUIDED, INVERSION, DreamingTab


@pytest.fixture
def tab(open_tab):
    widget = open_tab(DreamingTab)
    return widget


def _set(tab, **values):
    for name, value in values.items():
        tab.form.widgets[name].setValue(value)


def _finished(qtbot, tab, count, timeout=60000):
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == count, timeout=timeout)


def test_class_visualization_live_parameters_save_and_export(qtbot, tab, tmp_path):
    assert tab.mode_key() == CLASSVIZ and not tab.source_panel.isVisible()
    tab.picker.set_class(1)  # goldfish
    _set(tab, size=48, steps=400)
    assert tab.start()
    qtbot.waitUntil(lambda: tab.result_panel.image is not None and bool(tab.plot.data.get("objective")), timeout=30000)
    assert tab.job.is_running
    _set(tab, lr=0.1, jitter=3)  # live: the running job's parameters change
    assert tab.control.params.lr == pytest.approx(0.1) and tab.control.params.jitter == 3
    _set(tab, steps=20)  # shorter run: it ends soon after step 20
    _finished(qtbot, tab, 1)
    assert tab.current.shape == (48, 48, 3) and tab.has_unsaved_results()
    assert tab.status.text().startswith("Class visualization finished after") and " steps" in tab.status.text()
    assert set(tab.plot.data) >= {"objective", "prob", "l2", "tv"}

    out = tmp_path / "goldfish.png"
    assert tab.save_result(str(out)) and not tab.has_unsaved_results()
    params = read_png_params(out)
    assert params["mode_key"] == CLASSVIZ and params["steps_done"] >= 20
    assert params["target"] == 1 and params["params"]["lr"] == pytest.approx(0.1)
    assert np.array_equal(load_image(out), tab.current)

    assert tab.export_run(str(tmp_path / "run.gif"))
    with Image.open(tmp_path / "run.gif") as gif:
        assert gif.n_frames == len(tab.recorder) >= 2
    assert tab.export_run(str(tmp_path / "frames"))
    assert len(list((tmp_path / "frames").glob("frame_*.png"))) == len(tab.recorder)

    before = tab.current.copy()
    assert tab.start(warm=True)  # Continue from the current image
    _finished(qtbot, tab, 2)
    assert not np.array_equal(before, tab.current)
    tab.history.itemClicked.emit(tab.history.item(1))
    assert np.array_equal(tab.compare_panel.image, before)


def test_deepdream_stop_continue_and_a_rejected_value(qtbot, tab, photo_dir, ctx):
    tab.set_mode(DREAM)
    assert tab.layer.currentText() == "blocks.8" and tab.source_panel.isVisible()
    assert not tab.start() and "source image" in tab.status.text()
    assert tab.open_file(str(photo_dir / "chelsea.png"))
    _set(tab, steps=200, octaves=2, tile=0)
    assert tab.start()
    qtbot.waitUntil(lambda: tab.result_panel.image is not None, timeout=30000)
    tab.form.widgets["tile"].setValue(20)  # DreamParams refuses 0 < tile < 64
    assert tab.form.widgets["tile"].value() == 0 and tab.control.params.tile == 0
    tab.stop()
    _finished(qtbot, tab, 1)
    assert tab.current.shape == load_image(photo_dir / "chelsea.png").shape  # full size even when stopped early
    assert tab.status.text().startswith("DeepDream stopped at step")  # not "finished": the user stopped it

    tab.layer.setCurrentText("blocks.4")
    _set(tab, steps=500, octaves=1)
    assert tab.start(warm=True) and tab.job.is_running
    tab.layer.setCurrentText("blocks.5")  # a new layer mid-run restarts warm on it
    qtbot.waitUntil(lambda: tab.run_info.layer == "blocks.5" and tab.job.is_running, timeout=30000)
    assert tab.run_info.warm_start
    _set(tab, steps=2)
    _finished(qtbot, tab, 2)
    assert tab.history.entries()[0]["layer"] == "blocks.5"


def test_deepdream_says_which_octaves_were_too_small(qtbot, tab, photo, tmp_path):
    """4 octaves on a 64 px photo dream 3: the status says why, not just "finished after 3 steps"."""
    small = tmp_path / "small.png"
    save_png(small, resize(photo("coffee.png"), (64, 64)))
    tab.set_mode(DREAM)
    assert tab.open_file(str(small))
    _set(tab, steps=1, octaves=4, octave_scale=1.4, tile=0)
    said = []
    tab.job.frame.connect(lambda _f: said.append(tab.status.text()))
    assert tab.start()
    _finished(qtbot, tab, 1)
    assert any(" · octave 1 of 3 (the smallest of 4 octaves, under 32 px, skipped) · " in text for text in said)
    assert tab.status.text() == ("DeepDream finished after 3 steps; the smallest of 4 octaves, under 32 px, skipped. "
                                 "Save it, export the run, or Continue.")
    _set(tab, octaves=2)
    assert tab.start()
    _finished(qtbot, tab, 2)
    assert tab.status.text() == "DeepDream finished after 2 steps. Save it, export the run, or Continue."


def test_guided_dream_and_inversion(qtbot, tab, photo_dir):
    tab.set_mode(GUIDED)
    assert tab.guide_panel.isVisible()
    tab.open_file(str(photo_dir / "chelsea.png"))
    _set(tab, steps=2, octaves=1)
    assert not tab.start() and "guide" in tab.status.text()
    assert tab.guide_panel.load_file(str(photo_dir / "coffee.png"))
    assert tab.start()
    _finished(qtbot, tab, 1)
    assert tab.run_info.guide == "coffee.png"

    tab.set_mode(INVERSION)
    assert tab.form.widgets["parameterization"].currentData() == "pixels"
    _set(tab, size=64, steps=5)
    assert tab.start()
    _finished(qtbot, tab, 2)
    assert tab.current.shape == (64, 64, 3) and "distance" in tab.plot.data


def test_accentuate_pushes_the_photo_towards_the_class_with_its_mask(qtbot, tab, photo_dir, tmp_path):
    tab.set_mode(ACCENTUATE)
    assert tab.source_panel.isVisible() and tab.picker.isVisible() and not tab.layer.isVisible()
    assert not tab.start() and "source image" in tab.status.text()
    assert tab.source_panel.load_file(str(photo_dir / "chelsea.png"))
    tab.picker.set_class(1)  # goldfish
    _set(tab, size=64, steps=400)
    assert tab.start()
    qtbot.waitUntil(lambda: tab.mask_panel.image is not None and tab.job.is_running, timeout=30000)
    tab.form.widgets["closeness"].setValue(20.0)  # live
    assert tab.control.params.closeness == pytest.approx(20.0)
    _set(tab, steps=12)
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=60000)
    assert tab.current.shape == (64, 64, 3) and tab.mask_panel.image.shape == (64, 64, 3)
    assert "distance" in tab.plot.data and tab.run_info.label == tab.ctx.model.labels[1]
    out = tmp_path / "accentuated.png"
    assert tab.save_result(str(out))
    params = read_png_params(out)
    assert params["mode_key"] == ACCENTUATE and params["recipe"]["job"] == "accentuate"
    assert params["source"] == "chelsea.png"


def test_choosing_maco_loads_its_recipe_and_shows_the_mask(qtbot, tab, ctx):
    tab.set_mode(CLASSVIZ)
    assert tab.mask_panel.isVisible() and tab.params[CLASSVIZ].parameterization == "fourier"  # Lite0's own
    lite2 = SimpleNamespace(name="efficientnet_lite2", layer_names=ctx.model.layer_names, labels=ctx.model.labels)
    tab._on_model(lite2)  # untouched settings follow the network's own parameterisation
    assert tab.form.widgets["parameterization"].currentData() == "maco"
    tab._on_model(ctx.model)
    assert tab.params[CLASSVIZ].parameterization == "fourier"
    combo = tab.form.widgets["parameterization"]
    combo.setCurrentIndex(combo.findData("maco"))
    assert tab.params[CLASSVIZ].parameterization == "maco" and tab.params[CLASSVIZ].lr == pytest.approx(MACO_LR)
    _set(tab, size=32, steps=3)
    tab.picker.set_class(9)
    assert tab.start()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=60000)
    mask = tab.mask_panel.image
    assert mask.shape == (32, 32, 3) and int(mask.max()) == 255 and float(np.std(mask)) > 0


def test_values_typed_but_not_run_survive_a_mode_switch_and_a_model_change(qtbot, tab):
    """A learning rate typed for class visualization is still there after looking
    at DeepDream and after the model changes (it is the user's setting, not a default)."""
    tab.set_mode(CLASSVIZ)
    lr = tab.form.value("lr") * 2
    tab.form.set_value("lr", lr)
    tab.set_mode(DREAM)
    tab.set_mode(CLASSVIZ)
    assert tab.form.value("lr") == lr
    tab._on_model(tab.ctx.model)
    assert tab.form.value("lr") == lr and tab.params[CLASSVIZ].lr == lr
