"""Progress bars draw their percentage once, centred: ``text-align`` in the
style sheet made Qt's style-sheet style draw the text twice with a clip that
garbled the first digit (seen under Xvfb and in screenshots), so the
alignment is set on the widgets instead."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar

from guiapp.resources import resource_path


def test_the_style_sheet_leaves_progress_text_alone():
    assert "text-align" not in resource_path("style.qss").read_text()


def test_every_progress_bar_of_the_window_centres_its_text(window):
    bars = window.findChildren(QProgressBar)
    assert len(bars) >= 4
    assert all(bar.alignment() & Qt.AlignmentFlag.AlignHCenter for bar in bars)
