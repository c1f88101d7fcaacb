"""A result saved from the window carries its recipe, and ``neural-lens-cli
rerun`` makes the same bytes from it: the real Dreaming and Fooling tabs,
live changes through their forms, Stop, Continue."""
from __future__ import annotations

import pytest

from engine.cli import main
from engine.imaging import load_image, read_png_params, resize, save_png
from guiapp.tabs.dreaming_tab import DREAM, DreamingTab
from guiapp.tabs.fooling_tab import FoolingTab


@pytest.fixture
def rerun_on(monkeypatch, lite0):
    monkeypatch.setattr("engine.cli.rerun._open_model", lambda name, device, **options: lite0)

    def check(path, tmp_path) -> None:
        again = tmp_path / f"again-{path.name}"
        assert main(["rerun", str(path), "--out", str(again)]) == 0
        assert again.read_bytes() == path.read_bytes()

    return check


def _frames(qtbot, tab, n: int) -> None:
    seen = []
    tab.job.frame.connect(seen.append)
    qtbot.waitUntil(lambda: len(seen) >= n, timeout=30000)


def test_a_stopped_class_visualization_and_its_continuation_rerun_to_the_same_bytes(qtbot, open_tab, tmp_path, rerun_on):
    tab = open_tab(DreamingTab)
    tab.picker.set_class(1)
    tab.form.widgets["size"].setValue(32)
    tab.form.widgets["steps"].setValue(400)
    assert tab.start()
    _frames(qtbot, tab, 2)
    tab.form.widgets["lr"].setValue(0.09)  # live
    _frames(qtbot, tab, 2)
    tab.stop()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=30000)
    first = tmp_path / "goldfish.png"
    assert tab.save_result(str(first))
    recipe = read_png_params(first)["recipe"]
    assert recipe["timeline"]["changes"][0]["values"] == {"lr": 0.09} and recipe["timeline"]["stop_at"] is not None
    assert 0 < recipe["steps_done"] < 400
    rerun_on(first, tmp_path)

    tab.form.widgets["steps"].setValue(3)
    assert tab.start(warm=True)  # Continue: its recipe replays the first run, then this one
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 2, timeout=30000)
    second = tmp_path / "goldfish-more.png"
    assert tab.save_result(str(second))
    assert read_png_params(second)["recipe"]["continues"] == recipe
    rerun_on(second, tmp_path)


def test_a_deepdream_changed_while_it_ran_reruns_to_the_same_bytes(qtbot, open_tab, tmp_path, photo, rerun_on):
    source = tmp_path / "cat.png"
    save_png(source, resize(photo("chelsea.png"), (60, 80)))
    tab = open_tab(DreamingTab)
    tab.set_mode(DREAM)
    tab.layer.setCurrentText("blocks.4")
    assert tab.open_file(str(source))
    tab.form.widgets["steps"].setValue(40)
    tab.form.widgets["octaves"].setValue(2)
    tab.form.widgets["tile"].setValue(0)
    assert tab.start()
    _frames(qtbot, tab, 2)
    tab.form.widgets["lr"].setValue(2.5)
    _frames(qtbot, tab, 1)
    tab.stop()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=30000)
    out = tmp_path / "dream.png"
    assert tab.save_result(str(out))
    files = read_png_params(out)["recipe"]["files"]
    assert files["source"]["path"] == str(source.resolve())
    rerun_on(out, tmp_path)

    tab.form.widgets["steps"].setValue(300)
    assert tab.start(warm=True)
    _frames(qtbot, tab, 2)
    tab.layer.setCurrentText("blocks.5")  # a new layer mid-run: the tab restarts warm from the current picture
    qtbot.waitUntil(lambda: tab.run_info.layer == "blocks.5" and tab.job.is_running, timeout=30000)
    tab.form.widgets["steps"].setValue(2)
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 2, timeout=30000)
    restarted = tmp_path / "dream-restarted.png"
    assert tab.save_result(str(restarted))
    recipe = read_png_params(restarted)["recipe"]
    assert recipe["inputs"] == {"layer": "blocks.5"} and recipe["continues"]["inputs"] == {"layer": "blocks.4"}
    assert recipe["continues"]["continues"] == read_png_params(out)["recipe"]
    rerun_on(restarted, tmp_path)


def test_a_fooling_image_and_its_difference_rerun_to_the_same_bytes(qtbot, open_tab, ctx, photo_dir, tmp_path, rerun_on):
    tab = open_tab(FoolingTab)
    assert tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: len(tab.classify.predictions) == 5, timeout=30000)
    tab.picker.set_class(ctx.model.class_index("tarantula"))
    tab.form.widgets["lr"].setValue(0.2)
    tab.run_button.click()
    _frames(qtbot, tab, 2)
    tab.form.widgets["lr"].setValue(0.4)  # live
    qtbot.waitUntil(lambda: tab.result is not None and not tab.job.is_running, timeout=60000)
    image, diff = tmp_path / "fooled.png", tmp_path / "diff.png"
    assert tab.save_image(str(image)) and tab.save_difference(str(diff))
    assert read_png_params(diff)["recipe"]["output"] == "difference"
    assert load_image(image).shape == (224, 224, 3)
    rerun_on(image, tmp_path)
    rerun_on(diff, tmp_path)


def test_file_copy_recipe_as_command_line(qtbot, window, messages, tmp_path, monkeypatch, lite0):
    import shlex

    import numpy as np
    from PySide6.QtGui import QGuiApplication

    monkeypatch.setattr("engine.cli.generate.open_model", lambda args: lite0)
    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    window.copy_recipe_action.trigger()
    assert messages[-1] == "No command to copy: the Dreaming tab has no finished result with a recipe"
    tab.picker.set_class(1)
    tab.form.widgets["size"].setValue(32)
    tab.form.widgets["steps"].setValue(3)
    assert tab.start()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=30000)
    window.copy_recipe_action.trigger()
    text = QGuiApplication.clipboard().text()
    assert text.startswith("neural-lens-cli --device cpu classviz --target 1 ") and messages[-1] == f"Copied: {text}"
    argv = shlex.split(text)
    argv[argv.index("--out") + 1] = str(tmp_path / "typed.png")
    assert main(argv[1:]) == 0
    assert np.array_equal(load_image(tmp_path / "typed.png"), tab.current)  # the command makes the same picture

    tab.form.widgets["steps"].setValue(300)
    assert tab.start()
    _frames(qtbot, tab, 2)
    tab.form.widgets["lr"].setValue(0.09)
    tab.stop()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 2, timeout=30000)
    window.copy_recipe_action.trigger()
    said = messages[-1]
    assert said.startswith("No command to copy: its parameters changed while it ran") and "save the picture" in said
    saved = tmp_path / "changed.png"
    assert tab.save_result(str(saved))
    assert window.copy_recipe_command() == f"neural-lens-cli rerun {saved} --out again.png"
