"""The LSTM with attention in the Captioning tab (#18): load grid features on
the Data page, train the cell from the Train page, see per word where it
looked on the Caption page (a strip of overlays, the large one for the word
under the mouse) and the attention's entropy per word on Look inside."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtWidgets import QApplication

from guiapp.captioning.attention_view import attention_overlay
from guiapp.captioning.inside_panel import ROW_HEIGHT
from guiapp.tabs.captioning_tab import CaptioningTab

pytestmark = pytest.mark.usefixtures("one_torch_thread_per_module")


@pytest.fixture
def tab(qtbot, ctx, tmp_path):
    widget = CaptioningTab(ctx, autosave_path=tmp_path / "autosave.pt")
    qtbot.addWidget(widget)
    widget.resize(1200, 900)
    widget.show()
    yield widget
    widget.shutdown()


def load(qtbot, tab, grid: bool):
    options = tab.data_panel.pages.currentWidget()
    options.n_train.setValue(60)
    options.image_size.setValue(64)
    options.features.setCurrentIndex(options.features.findData(grid))
    with qtbot.waitSignal(tab.session.data_changed, timeout=60000):
        qtbot.mouseClick(tab.data_panel.load_button, Qt.MouseButton.LeftButton)
    return tab.session.data


def test_the_attention_cell_needs_grid_features(qtbot, tab, messages):
    load(qtbot, tab, grid=False)
    panel = tab.train_panel
    assert panel.cell.currentData() == "lstm"
    panel.cell.setCurrentIndex(panel.cell.findData("attention"))
    assert panel.cell.currentText() == "LSTM with attention"
    assert not panel.start() and not panel.is_running
    assert any("Features ▸ grid" in m for m in messages)


def test_train_attention_and_watch_where_it_looks(qtbot, tab, tmp_path):
    data = load(qtbot, tab, grid=True)
    assert data["train_features"].shape[1] == 16 * 224 and "4×4 grid" in tab.data_panel.summary.text()
    panel = tab.train_panel
    assert panel.cell.currentData() == "attention"   # grid features: the cell they are for is chosen
    panel.hidden.setValue(32)
    panel.wordvec.setValue(16)
    panel.batch.setValue(40)
    panel.epochs.setValue(3)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.is_running, timeout=120000)
    model = tab.session.model
    assert model.cell_type == "attention" and model.regions == 16
    assert tab.session.current_run.label.endswith("Attention h32") and "finished" in panel.status.text()

    captions = tab.caption_panel
    with qtbot.waitSignal(captions.caption_ready, timeout=60000) as blocker:
        assert captions.show_dataset_image("val", 1)
    result = blocker.args[0]
    view = captions.attention
    assert captions.attention_box.isVisibleTo(captions)
    assert result.attention.shape == (len(result.steps), 4, 4)
    assert np.allclose(result.attention.sum(axis=(1, 2)), 1, atol=1e-5)
    assert [t.word for t in view.tiles] == [("(end)" if w == "<END>" else w) for w in result.steps]
    assert view.current == 0 and view.large.pixmap().width() > 0
    first = view.large.pixmap().toImage()

    last = view.tiles[-1]                                    # the mouse over the last word shows it large
    QApplication.sendEvent(last, QEnterEvent(QPointF(5, 5), QPointF(5, 5), last.mapToGlobal(QPointF(5, 5))))
    assert view.current == len(view.tiles) - 1 and view.large_word.text().startswith("“(end)”")
    if not np.allclose(result.attention[0], result.attention[-1], atol=1e-3):
        assert view.large.pixmap().toImage() != first

    # Look inside: the gates, the attention weights and their entropy per word
    inside = tab.inside_panel
    assert not inside.heat_items  # drawn when the page is shown, not while another one is
    tab.show_page("Look inside")
    assert set(inside.heat_items) == {"i", "f", "o", "c", "alpha"}
    assert inside.heat_items["alpha"].image.shape == (len(result.steps), 16)
    assert inside.heat.minimumHeight() == 6 * ROW_HEIGHT  # five maps and the entropy: they scroll on a short screen
    # every row's words line up: the maps, their colour bars' room and the entropy bars share the x axis
    qtbot.wait(50)
    steps = len(result.steps)
    rows = [inside._heat_bars[key][0] for key in ("i", "c", "alpha")] + [inside._entropy_plot]
    edges = [(plot.vb.mapViewToScene(QPointF(0, 0)).x(), plot.vb.mapViewToScene(QPointF(steps, 0)).x()) for plot in rows]
    assert max(e[0] for e in edges) - min(e[0] for e in edges) < 2, edges
    assert max(e[1] for e in edges) - min(e[1] for e in edges) < 2, edges
    heights = inside.entropy_item.opts["height"]
    assert len(heights) == len(result.steps) and all(0 <= h <= np.log(16) + 1e-6 for h in heights)

    # beam search shows the attention of the chosen beam too; a plain LSTM has none
    with qtbot.waitSignal(captions.caption_ready, timeout=60000) as blocker:
        captions.method.setCurrentIndex(captions.method.findData("beam"))
    assert blocker.args[0].attention.shape[0] == len(blocker.args[0].steps)
    # the strip, the beams and the caption scroll: the page asks no more height than a 1366x768 laptop has
    # (it asked 817 px: the window grew past the screen)
    tab.show_page("Caption")
    assert captions.beams_box.isVisible() and captions.attention_box.isVisible()
    assert captions.minimumSizeHint().height() <= 560

    # saved and loaded back: the Train page shows the loaded model's cell
    assert panel.save_to(str(tmp_path / "attention.pt"))
    panel.cell.setCurrentIndex(panel.cell.findData("lstm"))
    assert panel.load_from(str(tmp_path / "attention.pt")) and panel.cell.currentData() == "attention"
    assert tab.session.model.regions == 16 and panel.resume_button.isEnabled()

    # pooled features under the attention model: the Caption page says why it cannot caption them
    load(qtbot, tab, grid=False)
    assert tab.session.model.cell_type == "attention"      # a new dataset keeps the model
    assert captions.show_dataset_image("val", 0)
    assert "Features ▸ grid" in captions.source_label.text() and captions.caption_label.text() == ""


def test_attention_overlay_brightens_where_the_weight_is():
    image = np.full((40, 40, 3), 128, np.uint8)
    weights = np.zeros((4, 4), np.float32)
    weights[0, 3] = 1.0                                      # top right
    out = attention_overlay(image, weights)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert out[2:8, 32:38].mean() > out[32:38, 2:8].mean() + 60
