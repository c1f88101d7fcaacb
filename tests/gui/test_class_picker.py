"""The class chooser resolves typed text by the engine's rule (``class_matches``), not by what the
shown item happens to contain: a part of the shown text is no class unless the rule says so."""
from __future__ import annotations

import pytest
from qt_fixtures import type_into

from engine.models import imagenet_labels
from guiapp.widgets.class_picker import ClassPicker


@pytest.fixture
def picker(qtbot):
    widget = ClassPicker(imagenet_labels())
    qtbot.addWidget(widget)
    widget.show()
    widget.set_class(76)
    assert widget.currentText() == "tarantula (76)" and widget.is_valid
    return widget




@pytest.mark.parametrize("text", ["ula (76)", "tarantula (7", "arantula", "antul", "(76)", "tula (76)"])
def test_a_part_of_the_shown_item_is_refused(qtbot, picker, text):
    """Parts of "tarantula (76)" that are not the start of a word of a class name name no class."""
    changed = []
    picker.class_changed.connect(changed.append)
    type_into(qtbot, picker, text)
    assert not picker.is_valid and "unknown class" in picker.problem, (text, picker.problem)
    assert picker.commit() is None and picker.currentText() == text and changed == []


@pytest.mark.parametrize("text, index", [("taran", 76), ("Tarantula", 76), ("tarantula (76)", 76),
                                         ("white shark", 2), ("76", 76), ("  goldfish ", 1)])
def test_the_start_of_a_name_or_of_a_word_resolves(qtbot, picker, text, index):
    if index != 76:
        picker.set_class(0)
    type_into(qtbot, picker, text)
    assert picker.is_valid and picker.commit() == index
    assert picker.current_class() == index and picker.currentText() == f"{imagenet_labels()[index]} ({index})"


def test_a_part_that_several_classes_start_with_is_refused_with_candidates(qtbot, picker):
    type_into(qtbot, picker, "tarantula (76)")
    assert picker.is_valid
    type_into(qtbot, picker, "retriever")
    assert not picker.is_valid and "matches" in picker.problem and "golden retriever (207)" in picker.problem
