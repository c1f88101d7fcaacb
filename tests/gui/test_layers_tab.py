"""The Layers tab: a photo's channels for every layer, scrubbed with the
slider; clicking a channel shows it large, its saliency, its visualization
and its top patches."""
from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QEventLoop, QTimer

from engine.channels import activations, channel_ranking, mosaic_cell
from guiapp.tabs.layers_tab import CELL, GAP, LayersTab


@pytest.fixture
def tab(open_tab):
    return open_tab(LayersTab)


def test_scrub_layers_and_click_a_channel(qtbot, tab, ctx, photo_dir):
    assert tab.open_file(str(photo_dir / "chelsea.png"))
    qtbot.waitUntil(lambda: tab.layer_slider.isEnabled() and tab.mosaic_panel.image is not None, timeout=30000)
    names = ctx.model.layer_names
    assert tab.layer_slider.maximum() == len(names) - 1
    # scrubbing swaps precomputed mosaics: every layer change is quick, in the GUI thread
    worst = 0.0
    for k in range(len(names)):
        t0 = time.perf_counter()
        tab.layer_slider.setValue(k)
        worst = max(worst, time.perf_counter() - t0)
        assert tab.current_layer == names[k] and names[k] in tab.mosaic_panel._title.text()
    assert worst < 0.05, f"a layer change took {worst * 1000:.0f} ms in the GUI thread"
    tab.layer_slider.setValue(names.index("blocks.5"))
    # the grid is the truncated forward, most active first
    expected = activations(ctx.model, tab.image, "blocks.5")
    order = channel_ranking(expected)
    assert np.array_equal(tab._order, order)
    # pointing at the second cell names its channel, rank and activity
    a = expected
    tab.mosaic_panel.hovered.emit(GAP + CELL + GAP + CELL / 2, GAP + CELL / 2)
    second = int(order[1])
    assert tab.pointer.text().startswith(f"blocks.5:{second} — rank 2 of {a.channels} by mean")
    assert f"max {a.max[second]:.3g}" in tab.pointer.text()
    # click the first cell: the most active channel, framed in the grid
    unframed = tab.mosaic_panel.image.copy()
    tab.mosaic_panel.clicked.emit(GAP + CELL / 2, GAP + CELL / 2)
    assert tab.channel == int(order[0])
    assert f"blocks.5:{tab.channel}" in tab.detail.channel_panel._title.text()
    framed = tab.mosaic_panel.image
    assert np.all(framed[GAP, GAP:GAP + CELL] == 255) and np.all(framed[GAP:GAP + CELL, GAP + CELL - 1] == 255)
    changed = np.argwhere(np.any(framed != unframed, axis=2))
    assert changed.min() >= GAP and changed.max() < GAP + CELL  # only the first cell's border
    qtbot.waitUntil(lambda: tab.detail.saliency_panel.image is not None and tab.detail.viz_panel.image is not None
                    and tab.detail.patches_panel.image is not None, timeout=60000)
    # sorting the grid another way frames the same channel in its new cell and keeps its visualization going
    runner = tab.detail.viz_job.runner._worker
    tab.sort.setCurrentIndex(tab.sort.findData("max"))
    by_max = channel_ranking(expected, "max")
    assert np.array_equal(tab._order, by_max) and tab.detail.viz_job.runner._worker is runner
    rank = int(np.flatnonzero(by_max == tab.channel)[0])
    y0, x0 = mosaic_cell(rank, len(by_max), CELL, GAP)
    assert np.all(tab.mosaic_panel.image[y0, x0:x0 + CELL] == 255)
    one = tab.detail.viz_panel.image.shape
    tab.detail.diverse.setChecked(True)   # ticked with a channel open: its four visualizations, side by side, at once
    assert "4 diverse visualizations" in tab.detail.viz_panel._title.text()
    qtbot.waitUntil(lambda: tab.detail.viz_panel.image.shape[1] > 3 * one[1], timeout=60000)
    tab.detail.viz_job.stop()
    tab.detail.patches_job.stop()
    qtbot.waitUntil(lambda: not tab.detail.viz_job.is_running and not tab.detail.patches_job.is_running, timeout=10000)


def test_the_gui_thread_stays_free_while_a_photo_is_analyzed(qtbot, tab, photo_dir):
    """The forward pass runs on a worker: the event loop keeps ticking."""
    gaps, last = [], [time.perf_counter()]

    def tick():
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(10)
    assert tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: tab.layer_slider.isEnabled(), timeout=30000)
    loop = QEventLoop()
    QTimer.singleShot(50, loop.quit)
    loop.exec()
    timer.stop()
    assert max(gaps) < 0.25, f"the GUI thread stalled {max(gaps) * 1000:.0f} ms"


def test_top_patches_also_come_from_a_folder_the_user_adds(qtbot, tab, photo_dir, tmp_path, messages):
    import shutil

    from guiapp.samples import sample_photos

    folder = tmp_path / "my photos"
    folder.mkdir()
    for name in ("chelsea.png", "coffee.png"):
        shutil.copy(photo_dir / name, folder / name)
    (folder / "notes.txt").write_text("not a photo")
    assert tab.open_file(str(photo_dir / "chelsea.png"))
    qtbot.waitUntil(lambda: tab.layer_slider.isEnabled(), timeout=30000)
    tab.select_channel(0)
    assert tab.detail.add_folder(str(folder)) and tab.detail.folders == [str(folder)]
    samples = len(sample_photos())
    assert tab.detail.patches_panel._title.text() == f"Top-9 patches of {samples + 2} photos"
    qtbot.waitUntil(lambda: not tab.detail.patches_job.is_running and tab.detail.patches_panel.image is not None, timeout=60000)
    # a folder that cannot be used says why and is not added
    empty = tmp_path / "empty"
    empty.mkdir()
    assert not tab.detail.add_folder(str(empty)) and not tab.detail.add_folder(str(tmp_path / "missing"))
    assert any("No photos" in m for m in messages) and any("missing" in m for m in messages)
    assert tab.detail.folders == [str(folder)]
    # deleted after it was added: dropped with a message at the next search
    shutil.rmtree(folder)
    tab.select_channel(1)
    assert tab.detail.folders == [] and tab.detail.patches_panel._title.text() == f"Top-9 patches of {samples} photos"
    assert any("can no longer be read" in m for m in messages)
    for runner in (tab.detail.viz_job, tab.detail.patches_job, tab.detail.saliency_job):
        runner.stop()
    qtbot.waitUntil(lambda: not tab.detail.viz_job.is_running and not tab.detail.patches_job.is_running, timeout=10000)


def test_every_job_of_the_tab_ends_in_one_stated_way(qtbot, tab, ctx, photo_dir):
    """Finished after N steps / stopped at step N / stopped because the model changed to X, each where the
    job shows its work (TabJob)."""
    from guiapp.samples import sample_photos

    assert tab.open_file(str(photo_dir / "chelsea.png"))
    qtbot.waitUntil(lambda: tab.layer_slider.isEnabled() and not tab.analysis.is_running, timeout=30000)
    assert tab.status.text() == ("Photo analysis finished after 1 step. Scrub the layers; click a channel to see "
                                 "what it responds to.")
    tab.layer_slider.setValue(ctx.model.layer_names.index("blocks.3"))
    tab.select_channel(2)
    detail = tab.detail
    qtbot.waitUntil(lambda: not detail.patches_job.is_running, timeout=60000)
    assert detail.patches_status.text() == f"Top patches finished after {len(sample_photos())} steps."
    qtbot.waitUntil(lambda: detail.viz_job.steps > 0, timeout=60000)
    detail.viz_job.stop()
    qtbot.waitUntil(lambda: not detail.viz_job.is_running, timeout=10000)
    steps = detail.viz_job.last_end.steps
    assert 0 < steps < 128 and detail.viz_status.text() == f"Channel visualization stopped at step {steps}."
    tab.select_channel(3)
    said = []
    detail.viz_job.ended.connect(lambda end, _r: said.append(detail.viz_status.text()))
    assert detail.viz_job.is_running
    ctx.model_changed.emit(ctx.model)      # what the Model menu does after loading one
    qtbot.waitUntil(lambda: len(said) > 0, timeout=30000)
    assert said == [f"Channel visualization stopped because the model changed to {ctx.model.name}."]
    # the photo goes through the new model and the open channel is shown again, to the end
    qtbot.waitUntil(lambda: len(said) == 2, timeout=120000)
    assert said[1] == "Channel visualization finished after 128 steps."
    assert tab.status.text().startswith("Photo analysis finished after 1 step.") and tab.channel == 3


def test_status_lines_wrap_instead_of_being_cut_in_a_narrow_pane(qtbot, tab):
    """QA (session 7): "Channel visualization finished after 12…" was cut when the right pane was narrow."""
    from PySide6.QtCore import QRect, Qt

    tab.resize(520, 700)
    tab.show()
    qtbot.waitExposed(tab)
    text = "Channel visualization finished after 128 steps; objective 12.345, the channel's mean 3.21."
    labels = (tab.detail.viz_status, tab.detail.patches_status)
    for job in (tab.detail.viz_job, tab.detail.patches_job):
        job.say(text)
    qtbot.wait(50)
    for label in labels:
        need = label.fontMetrics().boundingRect(QRect(0, 0, label.width(), 10_000),
                                                int(Qt.TextFlag.TextWordWrap), text)
        assert label.width() < label.fontMetrics().horizontalAdvance(text)  # the pane is narrower than the line
        assert need.width() <= label.width() and need.height() <= label.height(), (need, label.size())
