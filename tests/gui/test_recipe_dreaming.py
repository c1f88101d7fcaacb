"""Dreaming's Run again shows the replayed picture and adds it to the history;
Stop interrupts it; a right-click on the history strip copies the command
line that makes the same picture.  The real tab, 32-px class visualizations."""
from __future__ import annotations

import shlex

import numpy as np
import pytest
from PySide6.QtGui import QGuiApplication

from engine.cli import main
from engine.imaging import load_image
from guiapp.tab_job import Ending

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _made(qtbot, tab, steps: int, *, stop_after: int | None = None, count: int = 1) -> None:
    tab.picker.set_class(1)
    tab.seed.setValue(7)
    tab.form.widgets["size"].setValue(32)
    tab.form.widgets["steps"].setValue(steps)
    seen = []
    tab.job.frame.connect(seen.append)
    assert tab.start()
    if stop_after is not None:
        qtbot.waitUntil(lambda: len(seen) >= stop_after, timeout=30000)
        tab.stop()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == count, timeout=60000)


def _copy_from_history(tab, row: int) -> str:
    QGuiApplication.clipboard().setText("")
    menu = tab.history.menu_for(tab.history.item(row))
    action = next(a for a in menu.actions() if a.text() == "Copy as command line")
    action.trigger()
    return QGuiApplication.clipboard().text()


def test_run_again_shows_the_replayed_picture_in_the_history_and_stop_interrupts_it(qtbot, window, messages):
    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    _made(qtbot, tab, 400, stop_after=3)
    made = tab.current.copy()
    tab.result_panel.set_image(np.zeros_like(made))   # so that showing the replay is seen

    tab.again_button.click()
    assert tab.replaying and tab.stop_button.isEnabled() and not tab.start_button.isEnabled()
    qtbot.waitUntil(lambda: not tab.replaying and tab.again_job.last_end is not None, timeout=60000)
    assert tab.status.text() == "Run again: same pixels."
    assert tab.history.count() == 2 and "Run again" in tab.history.entries()[0]["title"]
    assert np.array_equal(tab.history.entries()[0]["image"], made) and np.array_equal(tab.current, made)
    assert np.array_equal(tab.result_panel.image, made)
    assert tab.history.entries()[0]["recipe"] == tab.recipes.recipe.as_dict() and tab.unsaved_count() == 2

    tab.again_button.click()
    tab.stop_button.click()   # at once: the replay stops part way, and is not shown
    qtbot.waitUntil(lambda: not tab.replaying and tab.again_job.last_end is not None, timeout=60000)
    assert tab.again_job.last_end.kind is Ending.STOPPED and tab.history.count() == 2
    assert "same pixels" not in tab.status.text() and tab.start_button.isEnabled()


def test_the_history_strip_copies_each_results_command_line(qtbot, window, messages, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("engine.cli.generate.open_model", lambda args: window.ctx.model)
    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    _made(qtbot, tab, 6)                               # as the form said: one generating command
    plain = tab.current.copy()
    _made(qtbot, tab, 400, stop_after=3, count=2)      # stopped: only its recipe knows
    command = _copy_from_history(tab, 1)
    argv = shlex.split(command)
    assert argv[:4] == ["neural-lens-cli", "--device", "cpu", "classviz"] and messages[-1] == f"Copied: {command}"
    again = tmp_path / "again.png"
    assert main([*argv[1:-1], str(again)]) == 0, capsys.readouterr().err
    assert np.array_equal(load_image(again), plain)    # the command makes the same picture

    assert _copy_from_history(tab, 0) == ""
    assert messages[-1].startswith("No command to copy: it was stopped early") and "save the picture" in messages[-1]
    saved = tmp_path / "stopped.png"
    assert tab.save_entry(tab.history.entries()[0], str(saved))
    assert _copy_from_history(tab, 0) == f"neural-lens-cli rerun {saved} --out again.png"


def test_a_new_run_after_open_its_recipe_is_no_longer_titled_from_its_recipe(qtbot, window, tmp_path):
    from guiapp.recipe_open import RECIPE

    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    _made(qtbot, tab, 3)
    saved = tmp_path / "dream.png"
    assert tab.save_result(str(saved))
    window.open_path(str(saved))
    assert window.recipe_opener.choose(str(saved), RECIPE)
    assert tab.result_panel._title.text() == "Result (from its recipe: Class visualization)"
    assert tab.start()   # a run of the form's own: its picture is not the recipe's
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 2, timeout=60000)
    assert tab.result_panel._title.text() == "Result"
