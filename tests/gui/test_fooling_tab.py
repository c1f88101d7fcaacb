"""The Fooling tab end to end: Run streams the image, the difference and the
curves; lr and max-iter change live; Stop works at once; the result shows
before/after predictions and saves as PNG with its parameters."""
from __future__ import annotations

import time

import numpy as np
import pytest

from engine.imaging import load_image, read_png_params
from guiapp.tabs.fooling_tab import FoolingTab


@pytest.fixture
def tab(open_tab):
    widget = open_tab(FoolingTab)
    return widget


def _load(qtbot, tab, path):
    assert tab.open_file(str(path))
    qtbot.waitUntil(lambda: len(tab.classify.predictions) == 5, timeout=30000)


def test_run_streams_fools_and_saves(qtbot, tab, ctx, photo_dir, tmp_path):
    _load(qtbot, tab, photo_dir / "coffee.png")
    frames = []
    tab.runner.frame.connect(frames.append)
    tab.picker.set_class(ctx.model.class_index("tarantula"))
    assert not tab.stop_button.isEnabled()
    tab.run_button.click()
    assert tab.runner.is_running and tab.stop_button.isEnabled() and not tab.run_button.isEnabled()
    qtbot.waitUntil(lambda: tab.result is not None and not tab.runner.is_running, timeout=60000)
    r = tab.result
    assert r.success and r.final_prediction.label == "tarantula" and r.original_prediction.label == "espresso"
    assert frames and frames[-1].final
    assert tab.fooled_panel.image.shape == (224, 224, 3) and np.array_equal(tab.fooled_panel.image, r.image)
    assert "Difference ×" in tab.diff_panel._title.text()
    x, y = tab.prob_curve.getData()
    assert len(x) == len(tab._steps) >= 2 and y[-1] > y[0]
    (x0, x1), _ = tab.prob_plot.viewRange()   # every step in view, and at least half the width used
    assert x0 <= 0 and x[-1] <= x1 <= 2 * max(x[-1], 8) + 1
    assert tab.after_list.predictions[0].label == "tarantula"
    text = tab.summary.text()
    assert text.startswith("Fooling finished after") and f"{ctx.model.name} fooled." in text
    assert "espresso" in text and "L2" in text and "L∞" in text
    assert tab.has_unsaved_results()

    out, diff = tmp_path / "fooled.png", tmp_path / "diff.png"
    assert tab.save_image(str(out)) and tab.save_difference(str(diff))
    assert not tab.has_unsaved_results()
    back = load_image(out)
    assert ctx.model.classify(back, 1)[0].label == "tarantula"  # read back as every reader reads it
    params = read_png_params(out)
    assert params["kind"] == "fooling" and params["target"]["label"] == "tarantula" and params["lr"] == 1.0
    assert params["model"] == ctx.model.name
    assert read_png_params(diff)["magnification"] > 1


def test_stop_is_prompt_and_parameters_change_live(qtbot, tab, ctx, photo_dir):
    _load(qtbot, tab, photo_dir / "coffee.png")
    tab.picker.set_class(0)              # tench: far away, so it keeps running
    tab.lr.setValue(0.01)
    tab.run_button.click()
    qtbot.waitUntil(lambda: len(tab._steps) >= 2, timeout=30000)
    tab.max_iter.setValue(5000)
    tab.lr.setValue(0.02)
    assert tab.control.params.max_iter == 5000 and tab.control.params.lr == pytest.approx(0.02)
    assert tab.runner.is_running
    started = time.monotonic()
    tab.stop_button.click()
    qtbot.waitUntil(lambda: not tab.runner.is_running, timeout=10000)
    assert time.monotonic() - started < 5.0
    assert tab.result.cancelled and not tab.result.success
    assert tab.summary.text().startswith(f"Fooling stopped at step {tab.result.iterations}: ")
    assert not tab.has_unsaved_results()


def test_invalid_live_value_is_refused_with_a_message(qtbot, tab, ctx, photo_dir):
    _load(qtbot, tab, photo_dir / "coffee.png")
    messages = []
    ctx.status.connect(lambda text, _ms: messages.append(text))
    tab.picker.set_class(0)
    tab.lr.setValue(0.01)
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.runner.is_running, timeout=5000)
    tab.form.value_changed.emit("lr", float("nan"))   # what a field sends; the binding refuses it
    assert any(m.startswith("Not changed: ") and "learning rate" in m for m in messages)
    assert tab.lr.value() == pytest.approx(0.01)   # the field shows what the job still uses
    assert tab.control.params.lr == pytest.approx(0.01)
    tab.stop()
    qtbot.waitUntil(lambda: not tab.runner.is_running, timeout=10000)


def test_run_without_image_says_so(qtbot, tab, ctx):
    messages = []
    ctx.status.connect(lambda text, _ms: messages.append(text))
    tab.run()
    assert not tab.runner.is_running and any(m == "Not started: drop an image first" for m in messages)


def test_save_at_photo_size_reads_back_as_the_target(qtbot, tab, ctx, photo_dir, tmp_path, monkeypatch):
    _load(qtbot, tab, photo_dir / "chelsea.png")
    assert not tab.save_full_button.isEnabled()
    tab.picker.set_class(76)
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.result is not None and not tab.runner.is_running, timeout=60000)
    assert tab.result.success and tab.save_full_button.isEnabled()
    out = tmp_path / "full.png"
    monkeypatch.setattr(tab, "ask_save_path", lambda *_a: (str(out), ""))
    tab.save_full_button.click()  # asks the path, then carries the result onto the photo in the background
    qtbot.waitUntil(lambda: out.exists() and not tab.full_runner.is_running, timeout=60000)
    saved = load_image(out)
    assert saved.shape == load_image(photo_dir / "chelsea.png").shape
    assert ctx.model.classify(saved, 1)[0].label == "tarantula"  # read back as every tab and the CLI read it
    assert read_png_params(out)["view"] == "photo 451x300" and "reads back as tarantula" in tab.summary.text()
    assert not tab.has_unsaved_results()
