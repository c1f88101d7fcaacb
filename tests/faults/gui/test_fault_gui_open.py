"""Opening and dropping images in the window: every tab's ``open_file`` (File ▸
Open), a real ``QDropEvent`` on every image panel and on the window.  A bad
file leaves the previous image in place and tells the user why (status line
/ dialog naming the file); an odd but valid file is shown as it should look."""
from __future__ import annotations

import os
from urllib.parse import quote_from_bytes

import numpy as np
import pytest
from badfiles import BAD_IMAGES, ODD_IMAGES, REASONS, expected_pixels, unreadable
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


def drop(widget, path):
    """A real QDropEvent carrying ``path`` as a file manager sends it
    (percent-encoded bytes of the name, so non-UTF-8 names survive)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromEncoded(b"file://" + quote_from_bytes(os.fsencode(path)).encode())])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)
    return event


def make_tab(name, ctx, tmp_path):
    if name == "Saliency":
        from guiapp.tabs.saliency_tab import SaliencyTab
        tab = SaliencyTab(ctx)
        return tab, [tab.classify.image_panel]
    if name == "Fooling":
        from guiapp.tabs.fooling_tab import FoolingTab
        tab = FoolingTab(ctx)
        return tab, [tab.classify.image_panel]
    if name == "Dreaming":
        from guiapp.tabs.dreaming_tab import GUIDED, DreamingTab
        tab = DreamingTab(ctx)
        tab.set_mode(GUIDED)
        return tab, [tab.source_panel, tab.guide_panel]
    from guiapp.tabs.captioning_tab import CaptioningTab
    tab = CaptioningTab(ctx, autosave_path=tmp_path / "autosave.pt")
    return tab, [tab.caption_panel.image_panel]


TABS = ("Saliency", "Fooling", "Dreaming", "Captioning")


@pytest.mark.parametrize("name", TABS)
def test_bad_files_opened_or_dropped_are_refused_with_a_message(name, qtbot, ctx, messages, files, tmp_path,
                                                                 monkeypatch):
    tab, panels = make_tab(name, ctx, tmp_path)
    qtbot.addWidget(tab)
    unreadable(monkeypatch, files["unreadable"])
    for case in BAD_IMAGES:
        path = str(files[case])
        before = len(messages)
        assert tab.open_file(path) is False
        for panel in panels:
            event = drop(panel, path)
            assert event.isAccepted()
        new = messages[before:]
        assert len(new) == 1 + len(panels), (case, new)
        for text in new:
            assert os.path.basename(path) in text and REASONS[case] in text, (case, text)
        assert all(panel.image is None for panel in panels)
    assert not tab.runner.is_running if hasattr(tab, "runner") else True
    tab.shutdown()


def test_odd_images_dropped_look_right(qtbot, ctx, messages, files, tmp_path):
    """The Dreaming tab's panels start no job on a drop: check the pixels shown."""
    tab, (source, guide) = make_tab("Dreaming", ctx, tmp_path)
    qtbot.addWidget(tab)
    for case in ODD_IMAGES:
        drop(source, files[case])
        shown = source.image
        assert shown is not None and shown.dtype == np.uint8 and shown.ndim == 3 and shown.shape[2] == 3, case
        want = expected_pixels(case)
        if want is not None:
            assert np.abs(shown.astype(int) - want.astype(int)).max() <= 1, case
        assert source.path == str(files[case])
    assert guide.image is None and messages == []
    shapes = {}
    for case in ("png16_grey", "cmyk_jpeg", "animated_gif", "exif_rotated"):
        drop(guide, files[case])
        shapes[case] = guide.image.shape
    assert shapes == {"png16_grey": (32, 40, 3), "cmyk_jpeg": (16, 24, 3), "animated_gif": (12, 16, 3),
                      "exif_rotated": (40, 48, 3)}
    assert tuple(guide.image[0, 0]) != (0, 0, 0)
    tab.shutdown()


def test_a_non_utf8_file_name_opens_by_drop_and_its_error_is_readable(qtbot, ctx, messages, files, tmp_path):
    tab, (source, _) = make_tab("Dreaming", ctx, tmp_path)
    qtbot.addWidget(tab)
    drop(source, files["non_utf8_name"])
    assert source.image is not None and source.path == str(files["non_utf8_name"])   # it opened
    bad = os.path.join(str(tmp_path), os.fsdecode(b"bad-\xff.png"))
    with open(os.fsencode(bad), "wb") as handle:
        handle.write(b"not an image")
    drop(source, bad)
    assert len(messages) == 1 and "bad-\ufffd.png" in messages[0] and "not an image" in messages[0]
    tab.shutdown()


@pytest.mark.parametrize("name", ("Saliency", "Fooling"))
def test_an_odd_image_in_a_computing_tab_then_a_bad_one(name, qtbot, ctx, messages, files, tmp_path):
    """A CMYK JPEG is classified (a job starts); dropping a truncated file
    meanwhile keeps it and says why; closing the tab stops the jobs."""
    tab, (panel,) = make_tab(name, ctx, tmp_path)
    qtbot.addWidget(tab)
    with qtbot.waitSignal(tab.classify.predictions_ready, timeout=30000):
        drop(panel, files["cmyk_jpeg"])
    assert panel.image.shape == (16, 24, 3) and tuple(panel.image[5, 5]) == (255, 0, 0)
    drop(panel, files["truncated_jpeg"])
    assert panel.image.shape == (16, 24, 3)
    assert any("truncated_jpeg.jpg" in m and "truncated" in m for m in messages)
    tab.shutdown()
    assert not tab.runner.is_running and not tab.classify.runner.is_running


def test_drops_on_the_window_go_to_the_current_tab(qtbot, ctx, messages, files):
    from guiapp.main_window import MainWindow

    window = MainWindow(ctx, load_model=False)
    qtbot.addWidget(window)
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        before = len(messages)
        event = drop(window, files["bomb"])
        assert event.isAccepted()
        assert any("bomb.png" in m and "too large" in m for m in messages[before:]), window.tabs.tabText(index)
    window.skip_unsaved_prompt = True
    window.close()
