"""What the window shows is what runs (issue 11): typed class names are
resolved or refused in every tab, typed but unconfirmed numbers are taken
before a job starts, a saved fooling image reads back as its target, and
after a model switch or a new photo nothing of the old one is shown as new."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from qt_fixtures import type_into

from engine.gradients import FoolParams, fool
from engine.imaging import load_image, read_png_params, save_png
from engine.jobs import run_to_end
from engine.models import Classifier
from guiapp.tabs.dreaming_tab import CLASSVIZ, DreamingTab
from guiapp.tabs.fooling_tab import FoolingTab
from guiapp.tabs.saliency_tab import SaliencyTab


@pytest.fixture
def fooling(open_tab):
    return open_tab(FoolingTab)


@pytest.fixture
def saliency(open_tab):
    tab = open_tab(SaliencyTab)
    tab.curve_points = 4
    return tab


@pytest.fixture
def dreaming(open_tab):
    return open_tab(DreamingTab)




def _loaded(qtbot, tab, photo_dir, name="coffee.png"):
    assert tab.open_file(str(photo_dir / name))
    qtbot.waitUntil(lambda: len(tab.classify.predictions) == 5, timeout=30000)


# -- typed class names ------------------------------------------------------------
def test_fooling_runs_the_class_that_was_typed(qtbot, fooling, ctx, photo_dir):
    _loaded(qtbot, fooling, photo_dir)
    fooling.picker.set_class(0)  # tench was chosen before
    fooling.max_iter.setValue(1)
    type_into(qtbot, fooling.picker, "tarantula")
    assert fooling.picker.currentText() == "tarantula (76)" and fooling.picker.is_valid
    qtbot.mouseClick(fooling.run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: fooling.result is not None and not fooling.runner.is_running, timeout=30000)
    assert fooling.result.target == 76 and fooling.result.target_label == "tarantula"


def test_a_part_of_a_name_and_an_index_resolve_too(qtbot, fooling):
    type_into(qtbot, fooling.picker, "taran")
    assert fooling.picker.current_class() == 76 and fooling.picker.currentText() == "tarantula (76)"
    type_into(qtbot, fooling.picker, "1")
    assert fooling.picker.current_class() == 1 and fooling.picker.currentText() == "goldfish (1)"


def test_an_ambiguous_or_unknown_class_is_refused_and_run_waits(qtbot, fooling, ctx, photo_dir):
    _loaded(qtbot, fooling, photo_dir)
    fooling.picker.set_class(0)
    assert fooling.run_button.isEnabled()
    type_into(qtbot, fooling.picker, "retriever")
    assert not fooling.picker.is_valid and not fooling.run_button.isEnabled()
    assert "matches 5 classes" in fooling.summary.text() and "golden retriever (207)" in fooling.summary.text()
    assert fooling.picker.currentText() == "retriever"  # what the user typed stays, marked
    fooling.run()  # a shortcut or a menu: still refused
    assert not fooling.runner.is_running
    type_into(qtbot, fooling.picker, "no such thing")
    assert not fooling.picker.is_valid and "unknown class" in fooling.picker.problem
    type_into(qtbot, fooling.picker, "golden")
    assert fooling.picker.is_valid and fooling.picker.current_class() == 207 and fooling.run_button.isEnabled()


def test_typed_text_without_enter_is_what_runs(qtbot, fooling, photo_dir):
    """Run started without the field losing its focus (a shortcut, a macOS
    button that takes no focus): the typed class and number are used."""
    _loaded(qtbot, fooling, photo_dir)
    fooling.picker.set_class(0)
    type_into(qtbot, fooling.picker, "tarantula", enter=False)
    fooling.max_iter.lineEdit().selectAll()
    qtbot.keyClicks(fooling.max_iter, "3")
    assert fooling.max_iter.value() != 3  # not committed yet (keyboard tracking is off)
    fooling.run()
    assert fooling.runner.is_running
    assert fooling.control.params.max_iter == 3 and fooling.max_iter.value() == 3
    qtbot.waitUntil(lambda: fooling.result is not None and not fooling.runner.is_running, timeout=30000)
    assert fooling.result.target == 76


def test_saliency_explains_the_typed_class(qtbot, saliency, photo_dir):
    assert saliency.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: saliency.result is not None and not saliency.runner.is_running, timeout=60000)
    assert saliency.result.target == 967
    type_into(qtbot, saliency.picker, "Tarantula")
    qtbot.waitUntil(lambda: saliency.result is not None and saliency.result.target == 76
                    and not saliency.runner.is_running, timeout=60000)
    assert saliency.picker.currentText() == "tarantula (76)"
    type_into(qtbot, saliency.picker, "cat")
    assert not saliency.picker.is_valid and "Class not chosen" in saliency.status.text()
    qtbot.wait(500)  # past the recompute delay: nothing starts for an unresolved class
    assert not saliency.runner.is_running and saliency.result.target == 76


def test_dreaming_starts_the_typed_class_and_refuses_an_unresolved_one(qtbot, dreaming):
    assert dreaming.mode_key() == CLASSVIZ
    dreaming.form.widgets["size"].setValue(32)
    dreaming.form.widgets["steps"].setValue(2)
    type_into(qtbot, dreaming.picker, "goldfis", enter=False)
    assert dreaming.start(), dreaming.status.text()
    assert dreaming.run_info.target == 1 and dreaming.run_info.label == "goldfish"
    qtbot.waitUntil(lambda: not dreaming.runner.is_running, timeout=30000)
    type_into(qtbot, dreaming.picker, "shark")
    assert not dreaming.picker.is_valid and not dreaming.start_button.isEnabled()
    assert not dreaming.start() and "matches" in dreaming.status.text()


# -- saved results read back --------------------------------------------------------
def test_a_saved_fooling_image_dropped_into_saliency_is_the_target(qtbot, saliency, lite0, photo, tmp_path):
    _, result = run_to_end(fool(lite0, photo("chelsea.png"), 76, FoolParams()))
    assert result.success
    path = tmp_path / "fooled.png"
    save_png(path, result.image, result.metadata(source="chelsea.png"))
    assert read_png_params(path)["model"] == lite0.name
    assert saliency.open_file(str(path))
    qtbot.waitUntil(lambda: len(saliency.classify.predictions) == 5, timeout=30000)
    assert saliency.classify.predictions[0].label == "tarantula"
    qtbot.waitUntil(lambda: saliency.result is not None and not saliency.runner.is_running, timeout=60000)
    assert np.array_equal(saliency.result.view, load_image(path))  # the map explains exactly the saved pixels


# -- model switch, new photo --------------------------------------------------------------
def _start_a_long_run(qtbot, fooling, photo_dir):
    """Fooling coffee.png towards tench with tiny steps: runs until stopped."""
    _loaded(qtbot, fooling, photo_dir)
    fooling.picker.set_class(0)
    fooling.lr.setValue(0.001)
    fooling.max_iter.setValue(100_000)
    fooling.run()
    qtbot.waitUntil(lambda: len(fooling._steps) >= 2, timeout=30000)


def _another_model(lite0):
    return Classifier(name="another_net", net=lite0.net, labels=lite0.labels, mean=lite0.mean.flatten().tolist(),
                      std=lite0.std.flatten().tolist(), layers={n: lite0.layer(n) for n in lite0.layer_names},
                      device=lite0.device)


def test_switching_the_model_stops_fooling_and_results_name_their_model(qtbot, fooling, ctx, lite0, photo_dir,
                                                                         tmp_path):
    _start_a_long_run(qtbot, fooling, photo_dir)
    other = _another_model(lite0)
    ctx.model = other
    ctx.model_changed.emit(other)
    assert fooling.classify.predictions == [] and fooling.classify.prediction_list.topLevelItemCount() == 0
    qtbot.waitUntil(lambda: not fooling.runner.is_running and fooling.result is not None, timeout=10000)
    assert fooling.result.cancelled and fooling.result.model == lite0.name
    assert lite0.name in fooling.summary.text()
    fooling.result = fooling.result.__class__(**{**fooling.result.__dict__, "success": True})  # to allow a save
    out = tmp_path / "f.png"
    assert fooling.save_image(str(out))
    assert read_png_params(out)["model"] == lite0.name  # the network that made it, not the current one
    qtbot.waitUntil(lambda: len(fooling.classify.predictions) == 5, timeout=30000)  # the new model's top 5


def test_a_model_switch_clears_the_old_saliency_map(qtbot, saliency, ctx, lite0, photo_dir):
    assert saliency.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: saliency.result is not None and not saliency.runner.is_running, timeout=60000)
    other = _another_model(lite0)
    ctx.model = other
    ctx.model_changed.emit(other)
    assert saliency.result is None and saliency.map_panel.image is None
    qtbot.waitUntil(lambda: saliency.result is not None and not saliency.runner.is_running, timeout=60000)
    assert saliency.result.model == "another_net"


def test_a_new_photo_mid_run_shows_nothing_of_the_old_run(qtbot, fooling, photo_dir):
    _start_a_long_run(qtbot, fooling, photo_dir)
    _loaded(qtbot, fooling, photo_dir, "chelsea.png")
    qtbot.waitUntil(lambda: not fooling.runner.is_running, timeout=10000)
    qtbot.wait(100)
    assert fooling.fooled_panel.image is None and fooling.result is None and fooling._steps == []


def test_jobs_in_two_tabs_at_once_each_finish_with_their_own_input(qtbot, fooling, dreaming, photo_dir):
    _loaded(qtbot, fooling, photo_dir)
    fooling.picker.set_class(76)
    dreaming.picker.set_class(1)
    dreaming.form.widgets["size"].setValue(32)
    dreaming.form.widgets["steps"].setValue(20)
    fooling.run()
    assert dreaming.start()
    qtbot.waitUntil(lambda: not fooling.runner.is_running and not dreaming.runner.is_running, timeout=60000)
    assert fooling.result.success and fooling.result.target == 76
    assert dreaming.run_info.target == 1 and dreaming.current.shape == (32, 32, 3)
