"""Layers ▸ Index a Folder… (issue #25): progress, Stop, carrying on, and channel clicks answered from the
index (its top photos, cropped at their peaks) instead of a pass over every photo."""
from __future__ import annotations

import sqlite3
import time

import numpy as np
import pytest

from engine.imaging import save_png
from engine.index import similar_photos, top_photos
from guiapp.tabs import layers_index
from guiapp.tabs.layers_channel import PATCH_CELL, PATCH_GAP
from guiapp.tabs.layers_tab import LayersTab


@pytest.fixture
def tab(open_tab):
    return open_tab(LayersTab)


def photos(folder, n):
    folder.mkdir()
    for i in range(n):
        rng = np.random.default_rng(i)
        save_png(folder / f"p{i:03d}.png", (rng.random((6, 6, 3)) * 255).astype(np.uint8).repeat(8, 0).repeat(8, 1))
    (folder / "broken.jpg").write_bytes(b"not a photo")
    return folder


def test_the_index_button_shows_its_word_and_its_arrow_side_by_side(qtbot, tab):
    """A tool button drew its menu arrow over "Index" (it looked cut at the window's edge)."""
    from PySide6.QtWidgets import QStyle

    button = tab.detail.index_button
    qtbot.waitExposed(tab)
    style = button.style()
    room = (button.fontMetrics().horizontalAdvance("Index") + 2 * style.pixelMetric(QStyle.PixelMetric.PM_ButtonMargin)
            + style.pixelMetric(QStyle.PixelMetric.PM_MenuButtonIndicator))
    assert button.text() == "Index" and button.menu() is tab.menu and button.width() >= room


def test_index_a_folder_from_the_menu_stop_carry_on_and_click_channels(qtbot, tab, ctx, tmp_path, monkeypatch,
                                                                        messages, photo_dir):
    from PySide6.QtWidgets import QFileDialog

    folder, out = photos(tmp_path / "photos", 12), tmp_path / "photos.nlindex"
    monkeypatch.setattr(layers_index, "SHARD", 4)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(folder))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "photos"), ""))
    assert tab.menu.title() == "&Layers" and tab.detail.index_button.menu() is tab.menu
    tab.index.index_action.trigger()
    qtbot.waitUntil(lambda: tab.index.isVisible() and tab.index.progress.value() > 0, timeout=60000)
    assert "photos ·" in tab.index.eta.text() and not tab.index.index_action.isEnabled()
    tab.index.stop_button.click()
    qtbot.waitUntil(lambda: not tab.index.job.is_running, timeout=30000)
    assert not tab.index.isVisible() and tab.index.path == str(out) and 0 < tab.index.photos < 12
    steps = tab.index.job.last_end.steps
    assert tab.status.text().startswith(f"Indexing stopped at step {steps}. What was read is kept: photos.nlindex "
                                        f"holds {tab.index.photos} photos (Index the folder again to carry on).")
    # again: only what is missing is read, and it ends up to date with the unreadable photo named
    tab.index.index_action.trigger()
    qtbot.waitUntil(lambda: not tab.index.job.is_running and "up to date" in tab.status.text(), timeout=60000)
    text = tab.status.text()
    assert tab.index.photos == 12 and text.startswith(f"Indexing finished after {13 - steps} steps. photos.nlindex")
    assert f"12 photos; {13 - steps} read now, {steps} unchanged, 0 removed." in text
    assert text.endswith("1 could not be read: broken.jpg") and text in messages
    # a channel click: the top photos come from the index, cropped at their peaks, at once
    assert tab.open_file(str(photo_dir / "chelsea.png"))
    qtbot.waitUntil(lambda: tab.layer_slider.isEnabled(), timeout=30000)
    tab.layer_slider.setValue(ctx.model.layer_names.index("blocks.8"))
    started = time.perf_counter()
    tab.select_channel(7)
    assert tab.detail.patches_panel._title.text() == "Top-9 of 12 indexed photos"
    qtbot.waitUntil(lambda: tab.detail.patches_panel.image is not None and bool(tab.detail.shown_patches), timeout=30000)
    seconds = time.perf_counter() - started
    expected = top_photos(out, "blocks.8", 7, 9)["photos"]
    assert [p.activation for p in tab.detail.shown_patches] == pytest.approx([p["value"] for p in expected])
    assert [tab.detail._patch_paths[p.source] for p in tab.detail.shown_patches] == [p["path"] for p in expected]
    assert seconds < 5, f"top photos from the index took {seconds:.2f} s"
    # whole photos: the channel's map over each, its peak framed
    tab.detail.whole.setChecked(True)
    assert tab.detail.patches_panel._title.text() == "Top-9 of 12 indexed photos (whole: the channel's map, its peak framed)"
    qtbot.waitUntil(lambda: not tab.detail.patches_job.is_running, timeout=30000)
    assert {p.image.shape for p in tab.detail.shown_patches} == {(224, 224, 3)}
    assert [tab.detail._patch_paths[p.source] for p in tab.detail.shown_patches] == [p["path"] for p in expected]
    # clicking the second patch opens its photo
    tab.detail.patches_panel.clicked.emit(PATCH_GAP + PATCH_CELL + PATCH_GAP + 10, PATCH_GAP + 10)
    assert tab.photo_panel.path == expected[1]["path"]
    qtbot.waitUntil(lambda: not tab.analysis.is_running and tab.layer_slider.isEnabled(), timeout=30000)
    # Layers ▸ Indexed Photos Like This One: the photo just opened comes first
    tab.index.similar_action.trigger()
    assert tab.detail.patches_panel._title.text() == "Indexed photos most like this one (blocks.8 channels)"
    qtbot.waitUntil(lambda: not tab.detail.patches_job.is_running, timeout=30000)
    like = similar_photos(out, tab.acts["blocks.8"].max, "blocks.8", 9)["photos"]
    assert [tab.detail._patch_paths[p.source] for p in tab.detail.shown_patches] == [p["path"] for p in like]
    assert like[0]["path"] == expected[1]["path"] and tab.detail.shown_patches[0].activation == pytest.approx(1, abs=1e-4)
    for runner in (tab.detail.viz_job, tab.detail.patches_job, tab.detail.saliency_job):
        runner.stop()
    qtbot.waitUntil(lambda: not tab.detail.viz_job.is_running and not tab.detail.patches_job.is_running, timeout=10000)


def test_an_index_of_another_model_falls_back_to_the_samples(qtbot, tab, tmp_path, messages, photo_dir):
    folder, out = photos(tmp_path / "photos", 2), tmp_path / "x.nlindex"
    tab.index.index_folder(str(folder), str(out))
    qtbot.waitUntil(lambda: not tab.index.job.is_running and tab.index.path == str(out), timeout=60000)
    with sqlite3.connect(out) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'model_sha256'", ('"' + "0" * 64 + '"',))
    assert tab.index.open_index(str(out))   # as if made with other weights
    assert tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: tab.layer_slider.isEnabled(), timeout=30000)
    tab.select_channel(0)
    qtbot.waitUntil(lambda: tab.detail.patches_panel._title.text().startswith("Top-9 patches of"), timeout=30000)
    assert any("made with the model efficientnet_lite0: top patches" in m and "sample photos" in m for m in messages)
    assert tab.index.path == str(out)   # kept open: another model may match it
    for runner in (tab.detail.viz_job, tab.detail.patches_job, tab.detail.saliency_job):
        runner.stop()
    qtbot.waitUntil(lambda: not tab.detail.viz_job.is_running and not tab.detail.patches_job.is_running, timeout=10000)


def test_the_window_has_a_layers_menu_before_help(window):
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles[-2:] == ["&Layers", "&Help"]
    layers = window.menuBar().actions()[-2].menu()
    assert [a.text() for a in layers.actions()] == ["&Index a Folder…", "&Open Index…", "&Close Index", "&Stop Indexing",
                                                    "Indexed Photos &Like This One"]
    assert layers is window.tab_widgets["Layers"].menu


def test_indexing_into_an_index_of_another_folder_fails_and_says_why(qtbot, tab, tmp_path, messages):
    first, second, out = photos(tmp_path / "a", 1), photos(tmp_path / "b", 1), tmp_path / "x.nlindex"
    tab.index.index_folder(str(first), str(out))
    qtbot.waitUntil(lambda: not tab.index.job.is_running and tab.index.path == str(out), timeout=60000)
    tab.index.close_index()
    tab.index.index_folder(str(second), str(out))
    qtbot.waitUntil(lambda: not tab.index.job.is_running, timeout=60000)
    assert tab.status.text().startswith(f"Indexing failed: {out}: cannot add to this index: it indexes the folder")
    assert tab.index.path is None and any("Choose another index file" in m for m in messages)
