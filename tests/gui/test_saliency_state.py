"""The Saliency tab says what state it is in (issue #22, problems 4 and 5):
text typed in the class field while a job runs survives the job's end, a
new class problem replaces the old message, and a typed value not applied
yet is named beside the parameters the map was made with."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from guiapp.tabs.saliency_tab import SaliencyTab


@pytest.fixture
def tab(open_tab):
    widget = open_tab(SaliencyTab)
    widget.curve_points = 4
    return widget


def _idle(tab):
    return tab.result is not None and tab.curves is not None and not tab.runner.is_running


def test_text_typed_in_the_class_field_during_a_job_is_kept(qtbot, tab, photo_dir):
    tab.form.set_method("integrated-gradients")
    tab.form.steps.setValue(120)  # long enough to type during it
    qtbot.wait(500)               # the changes' recompute found no photo yet
    tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: tab.runner.is_running, timeout=10000)
    tab.picker.lineEdit().setFocus()
    tab.picker.lineEdit().selectAll()
    qtbot.keyClicks(tab.picker.lineEdit(), "tarant")
    qtbot.waitUntil(lambda: _idle(tab), timeout=90000)
    assert tab.result.target == 967               # the map is of espresso...
    assert tab.picker.currentText() == "tarant"   # ...and what was typed is still there
    qtbot.keyClick(tab.picker.lineEdit(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _idle(tab) and tab.result.target == 76, timeout=90000)
    assert tab.picker.currentText() == "tarantula (76)"


def test_a_recompute_waits_for_the_class_being_typed(qtbot, tab, photo_dir):
    tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: _idle(tab), timeout=60000)
    edit = tab.picker.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "gold")                 # half typed (goldfish, goldfinch, golden retriever)...
    tab.form.noise.setValue(0.3)                  # ...when a parameter change asks for a new map
    tab.form.set_method("smoothgrad")
    qtbot.wait(600)
    assert not tab.runner.is_running and tab.picker.currentText() == "gold"
    assert "class being typed" in tab.status.text() and "Not started" not in tab.status.text()
    qtbot.keyClicks(edit, "fish")
    qtbot.keyClick(edit, Qt.Key.Key_Return)       # now one class: the map follows, with the new method
    qtbot.waitUntil(lambda: _idle(tab) and tab.result.params.method == "smoothgrad", timeout=90000)
    assert tab.result.target == 1 and tab.picker.currentText() == "goldfish (1)"


def test_a_new_class_problem_replaces_the_old_message(qtbot, tab, photo_dir):
    tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: _idle(tab), timeout=60000)
    edit = tab.picker.lineEdit()
    edit.selectAll()
    qtbot.keyClicks(edit, "retriever")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert "retriever" in tab.status.text() and "matches" in tab.status.text()
    edit.selectAll()
    qtbot.keyClicks(edit, "zzzz")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert "zzzz" in tab.status.text() and "retriever" not in tab.status.text()


def test_a_typed_value_not_applied_yet_is_named_beside_the_maps_parameters(qtbot, tab, photo_dir):
    tab.form.set_method("smoothgrad")
    tab.form.samples.setValue(3)
    tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: _idle(tab) and tab.result.params.samples == 3, timeout=60000)
    assert "3 samples" in tab.map_panel.title()
    spin = tab.form.samples
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "200")                  # typed, not confirmed
    title = tab.map_panel.title()
    assert "3 samples" in title and "200" in title and "not applied" in title
    assert tab.result.params.samples == 3 and not tab.runner.is_running
    spin.selectAll()
    qtbot.keyClicks(spin, "3")                    # typed back to what the map used: the note goes
    assert "not applied" not in tab.map_panel.title() and "3 samples" in tab.map_panel.title()
