"""A status line with a long word (a SHA-256, a path) wraps where it can and is
cut where it cannot: it never widens the tab's settings panel into a sideways
scroll (Dreaming's Run again on another model said two whole SHA-256s)."""
from __future__ import annotations

from PySide6.QtWidgets import QScrollArea


def test_a_long_hash_in_the_status_does_not_scroll_the_settings_sideways(qtbot, window):
    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    window.resize(1280, 720)
    scroll = next(s for s in tab.findChildren(QScrollArea) if s.isAncestorOf(tab.status))
    qtbot.waitUntil(lambda: scroll.isVisible(), timeout=5000)
    text = f"Not started: the model x.pt2 here has other weights (SHA-256 {'c' * 64}{'d' * 64})"
    tab.job.say(text)
    qtbot.wait(100)
    assert scroll.horizontalScrollBar().maximum() == 0
    assert tab.status.toolTip() == text   # the whole line, where it is cut


def test_a_one_line_status_keeps_its_width(qtbot, window):
    """The Layers tab's "Channel visualization finished after 128 steps." beside its bar: on one line,
    whole, at the smallest common laptop screen (narrower panes wrap it: tests/gui/test_layers_tab.py)."""
    tab = window.tab_widgets["Layers"]
    window.tabs.setCurrentWidget(tab)
    window.resize(1366, 768)
    label = tab.detail.viz_status
    qtbot.waitUntil(label.isVisible, timeout=5000)
    text = "Channel visualization finished after 128 steps."
    tab.detail.viz_job.say(text)
    qtbot.wait(100)
    assert label.width() >= label.fontMetrics().horizontalAdvance(text)
    assert label.height() < 2 * label.fontMetrics().lineSpacing()   # one line
