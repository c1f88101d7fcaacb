"""One job lifecycle for every tab (issue 22), on the Dreaming and Fooling
tabs and the window: each job ends in one visible state, the guide image
has a button, Continue in another mode starts its own run, Quit asks about
unsaved history results, and the keys, zoom and time-left a desktop user
expects."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog
from qt_fixtures import type_into, use_model

from engine.imaging import read_png_params
from engine.models.judge import cached_model
from guiapp.tab_job import Ending, JobEnd, time_left
from guiapp.tabs.dreaming_tab import CLASSVIZ, DREAM, GUIDED, DreamingTab
from guiapp.widgets.image_panel import ImagePanel


@pytest.fixture
def tab(open_tab):
    return open_tab(DreamingTab)


def _set(tab, **values):
    for name, value in values.items():
        tab.form.widgets[name].setValue(value)


def _menu_action(menu, text):
    return next(a for a in menu.actions() if a.text().startswith(text))


def test_the_four_endings_are_worded_once():
    assert JobEnd(Ending.FINISHED, 512).describe() == "finished after 512 steps"
    assert JobEnd(Ending.FINISHED, 1).describe() == "finished after 1 step"
    assert JobEnd(Ending.STOPPED, 168).describe() == "stopped at step 168"
    assert JobEnd(Ending.MODEL_CHANGED, 3, "efficientnet_lite1").describe() == \
        "stopped because the model changed to efficientnet_lite1"
    assert JobEnd(Ending.FAILED, 0, "out of memory").describe() == "failed: out of memory"
    assert JobEnd(Ending.FINISHED, 2, counted=False).describe() == "finished"   # stages, not steps (a saliency map)
    assert JobEnd(Ending.STOPPED, 1, counted=False).describe() == "stopped"
    assert time_left(10.0, 0.5) == "0:10 left" and time_left(30.0, 0.25) == "1:30 left"
    assert time_left(0.5, 0.5) == "" and time_left(3600.0, 0.5) == "1:00:00 left"


def test_switching_the_model_mid_run_says_so(qtbot, tab, ctx):
    tab.picker.set_class(1)
    _set(tab, size=32, steps=100000)
    assert tab.start()
    qtbot.waitUntil(lambda: tab.job.steps > 0, timeout=30000)
    use_model(ctx, cached_model("efficientnet_lite1", "cpu"))
    qtbot.waitUntil(lambda: not tab.job.is_running, timeout=10000)
    assert tab.status.text().startswith("Class visualization stopped because the model changed to efficientnet_lite1")
    assert "step " not in tab.status.text().split(".")[0].split("to")[0]


def test_stop_says_stopped_and_keeps_the_panel_in_place(qtbot, tab):
    tab.picker.set_class(1)
    _set(tab, size=32, steps=100000)
    assert tab.start()
    qtbot.waitUntil(lambda: tab.job.steps > 2, timeout=30000)
    tab.stop_button.setFocus()
    qtbot.mouseClick(tab.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.job.is_running, timeout=10000)
    assert tab.status.text().startswith(f"Class visualization stopped at step {tab.job.steps}")
    assert tab.job.last_end.kind is Ending.STOPPED
    assert tab.start_button.hasFocus() or not tab.isActiveWindow()  # not a widget further down the scroll area


def test_the_guide_image_has_a_button_and_a_menu(qtbot, tab, photo_dir, monkeypatch):
    tab.set_mode(GUIDED)
    assert tab.guide_button.isVisible()
    guide = str(photo_dir / "coffee.png")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (guide, ""))
    tab.guide_button.click()
    assert tab.guide_panel.path == guide and tab.guide_panel.image is not None
    tab.guide_panel.clear()
    _menu_action(tab.guide_panel.context_menu(), "Open guide image").trigger()
    assert tab.guide_panel.path == guide
    tab.set_mode(DREAM)
    assert not tab.guide_button.isVisible()


def test_continue_in_another_mode_starts_its_own_run(qtbot, tab, photo_dir):
    tab.set_mode(DREAM)
    assert tab.open_file(str(photo_dir / "chelsea.png"))
    _set(tab, steps=3, octaves=1)
    assert tab.start()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=60000)
    dream_steps = tab.job.steps
    tab.set_mode(CLASSVIZ)
    tab.picker.set_class(1)
    _set(tab, steps=4)
    assert tab.start(warm=True)
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 2, timeout=60000)
    assert tab.status.text().startswith("Class visualization finished after 4 steps.")
    xs = tab.plot.data["objective"][0]
    assert min(xs) >= 1 and max(xs) == 4, (xs, dream_steps)   # its own count, not DeepDream's + 4
    assert "prob" in tab.plot.data                           # class visualization's terms, on a fresh plot
    titles = [e["title"] for e in tab.history.entries()]
    assert titles[0].startswith("#2 Class visualization") and titles[1].startswith("#1 DeepDream")


def test_quit_asks_about_every_unsaved_history_result(qtbot, window, photo_dir, tmp_path):
    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    tab.picker.set_class(1)
    _set(tab, size=32, steps=2)
    for count in (1, 2):
        window.start_action.trigger()   # Run ▸ Start (Ctrl+Return)
        qtbot.waitUntil(lambda c=count: not tab.job.is_running and tab.history.count() == c, timeout=60000)
    assert window.has_unsaved_results() and window.unsaved_summary() == "Dreaming (2 results)"
    assert tab.save_result(str(tmp_path / "newest.png"))
    assert window.unsaved_summary() == "Dreaming (1 result)"      # the older one is still unsaved
    older = tab.history.entries()[1]
    assert tab.save_entry(older, str(tmp_path / "older.png"))
    assert not window.has_unsaved_results()
    assert read_png_params(tmp_path / "older.png")["mode_key"] == CLASSVIZ


def test_keys_time_left_and_distinct_history_titles(qtbot, window):
    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    assert window.start_action.shortcut().toString() == "Ctrl+Return" and window.stop_action.shortcut().toString() == "Esc"
    assert "Ctrl+Return" in tab.start_button.toolTip() and "Esc" in tab.stop_button.toolTip()
    tab.picker.set_class(1)
    _set(tab, size=32, steps=100000)
    window.start_action.trigger()
    qtbot.waitUntil(lambda: tab.job.is_running and tab.job.steps > 0, timeout=30000)
    qtbot.waitUntil(lambda: "left" in tab.progress.format(), timeout=30000)   # "0%·  …:… left"
    window.stop_action.trigger()   # Run ▸ Stop (Esc)
    qtbot.waitUntil(lambda: not tab.job.is_running, timeout=10000)
    assert tab.job.last_end.kind is Ending.STOPPED and "left" not in tab.progress.format()
    window.start_action.trigger()
    qtbot.waitUntil(lambda: tab.job.steps > 0, timeout=10000)
    window.stop_action.trigger()
    qtbot.waitUntil(lambda: not tab.job.is_running, timeout=10000)
    assert tab.history.count() == 2, (tab.job.last_end, tab.status.text())
    titles = [e["title"] for e in tab.history.entries()]
    assert len(set(titles)) == 2


def test_fit_to_panel_and_actual_size(qtbot):
    panel = ImagePanel("Result", accept_drops=False)
    qtbot.addWidget(panel)
    panel.resize(400, 400)
    panel.show()
    panel.set_image(np.zeros((100, 100, 3), np.uint8))
    qtbot.waitExposed(panel)
    qtbot.wait(50)
    assert [a.text() for a in panel.context_menu().actions()] == ["Fit to panel", "Actual size"]
    _menu_action(panel.context_menu(), "Actual size").trigger()
    assert panel.zoom() == pytest.approx(1.0, rel=0.02)
    _menu_action(panel.context_menu(), "Fit to panel").trigger()
    fitted = panel.zoom()
    assert fitted > 2.0
    panel._box.scaleBy((4, 4))   # zoom far out with the wheel...
    panel._box.sigRangeChangedManually.emit([True, True])
    assert panel.zoom() == pytest.approx(fitted, rel=0.02)   # ...stops at the whole picture


def test_fooling_says_when_the_model_changed_and_its_plot_titles_fit(qtbot, open_tab, ctx, photo_dir):
    from guiapp.tabs.fooling_tab import FoolingTab

    tab = open_tab(FoolingTab)
    assert tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: len(tab.classify.predictions) == 5, timeout=30000)
    tab.picker.set_class(0)
    tab.lr.setValue(0.001)
    tab.max_iter.setValue(5000)
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.job.steps >= 1, timeout=30000)
    use_model(ctx, cached_model("efficientnet_lite1", "cpu"))
    qtbot.waitUntil(lambda: not tab.job.is_running, timeout=10000)
    assert tab.summary.text().startswith("Fooling stopped because the model changed to efficientnet_lite1: ")
    assert tab.result is not None and tab.result.cancelled   # the 8-bit result of the old model is kept
    for plot, title in ((tab.score_plot, "target score (logit)"), (tab.prob_plot, "target probability")):
        item = plot.getPlotItem().titleLabel
        assert item.text == title and not plot.getAxis("left").labelText   # horizontal, not a cut rotated label


def test_a_new_class_problem_replaces_the_old_message(qtbot, open_tab):
    from guiapp.tabs.fooling_tab import FoolingTab

    for tab, line in ((open_tab(DreamingTab), "status"), (open_tab(FoolingTab), "summary")):
        type_into(qtbot, tab.picker, "retriever")
        assert "retriever" in getattr(tab, line).text()
        type_into(qtbot, tab.picker, "zzzz")
        text = getattr(tab, line).text()
        assert "zzzz" in text and "retriever" not in text, text


def test_cycles_are_collected_on_the_gui_thread_only(qtbot):
    import gc
    import threading
    import weakref

    from guiapp.gui_thread_gc import collect_on_gui_thread

    class Cycle:
        pass

    collector = collect_on_gui_thread(interval=0.05)
    try:
        assert not gc.isenabled()            # a job's thread never starts a collection
        seen = []
        for _ in range(2000):                # enough cycles to pass generation 0's threshold
            a, b = Cycle(), Cycle()
            a.b, b.a = b, a
            seen.append(weakref.ref(a))
        del a, b
        threads = []
        collect = gc.collect
        gc.collect = lambda *args: threads.append(threading.current_thread()) or collect(*args)
        try:
            qtbot.waitUntil(lambda: all(r() is None for r in seen), timeout=5000)
        finally:
            gc.collect = collect
        assert threads and all(t is threading.main_thread() for t in threads)
    finally:
        collector.timer.stop()
        gc.disable()   # as the test fixture keeps it until its teardown collects


def test_saving_one_result_never_marks_the_others_saved(tab):
    tab.mark_unsaved(1)
    tab.mark_unsaved(2)
    tab.mark_saved(None)          # a picture that is no history result (a restored recipe) was saved
    assert tab.unsaved_count() == 2
    tab.mark_saved(1)
    assert tab.unsaved_count() == 1
    tab.forget_unsaved()          # a new photo replaced them
    assert not tab.has_unsaved_results()
