"""The Saliency tab's checks of a map (issue #27): the fill-in redraws
without recomputing the map, boxes score the map live, the sanity strip,
and the sortable all-methods table."""
from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engine.gradients import METHODS, SaliencyParams, localization
from guiapp.tabs.saliency_tab import SaliencyTab


@pytest.fixture
def tab(open_tab, qtbot, photo_dir):
    widget = open_tab(SaliencyTab)
    widget.curve_points = 4
    widget.table_points = 3
    widget.table_params = SaliencyParams(samples=2, steps=3)
    assert widget.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: widget.curves is not None and not widget.runner.is_running, timeout=60000)
    return widget


def test_switching_the_fill_in_measures_the_same_map_and_going_back_redraws_at_once(qtbot, tab, monkeypatch):
    import engine.gradients.attribution as attribution

    maps = []
    real = attribution.method
    monkeypatch.setattr(attribution, "method", lambda name: maps.append(name) or real(name))
    saliency, blur = tab.result.saliency, tab.curves
    assert blur.fill == "blur"
    tab.removal.set_fill("noisy-linear")
    assert tab.curves is None and "Measuring" in tab.removal.auc_label.text()
    qtbot.waitUntil(lambda: tab.curves is not None and not tab.runner.is_running, timeout=60000)
    assert tab.curves.fill == "noisy-linear" and tab.result.saliency is saliency and maps == []
    assert "Removal curves (noisy-linear) finished" in tab.status.text()
    x, y = tab.removal.lerf.getData()
    assert np.allclose(y, tab.curves.lerf.probs) and len(x) == 4
    assert tab.curves.morf.auc != pytest.approx(blur.morf.auc)
    tab.removal.set_fill("blur")                   # measured already: drawn at once, no job
    assert tab.curves is blur and not tab.runner.is_running
    assert "LeRF AUC" in tab.removal.auc_label.text() and f"{blur.lerf.auc:.3f}" in tab.removal.auc_label.text()


def test_boxes_score_the_map_live(qtbot, tab):
    assert "Add a box" in tab.boxes.result.text()
    qtbot.mouseClick(tab.boxes.add_button, Qt.MouseButton.LeftButton)
    roi = tab.boxes.rois[0]
    sal = tab.result.saliency
    peak_y, peak_x = np.unravel_index(np.argmax(sal), sal.shape)
    roi.setPos((peak_x - 10, peak_y - 10))         # dragged onto the peak
    roi.setSize((20, 20))
    expected = localization(sal, tab.boxes.boxes())
    assert expected.hit and "hit" in tab.boxes.result.text()
    assert f"{100 * expected.mass:.0f} % of the map's mass" in tab.boxes.result.text()
    roi.setPos((0, 0) if peak_x > 40 or peak_y > 40 else (200, 200))   # dragged away from it
    assert "miss" in tab.boxes.result.text()
    qtbot.mouseClick(tab.boxes.clear_button, Qt.MouseButton.LeftButton)
    assert tab.boxes.boxes() == [] and "Add a box" in tab.boxes.result.text()


def test_the_sanity_strip_shows_each_randomised_map_with_its_rank_correlation(qtbot, tab):
    tab.pages.setCurrentWidget(tab.strip)
    qtbot.mouseClick(tab.strip.start_button, Qt.MouseButton.LeftButton)
    assert tab.strip.stop_button.isEnabled()
    qtbot.waitUntil(lambda: not tab.sanity.is_running, timeout=120000)
    steps = tab.strip.steps
    assert len(steps) == 6 and steps[0].top == 1 and len(tab.strip.pictures) == 7
    assert abs(steps[-1].spearman) < 0.5             # the fully random network's map is another map
    assert tab.strip.captions[-1].text().endswith(f"ρ = {steps[-1].spearman:.2f}")
    assert "Sanity check finished after 6 steps" in tab.strip.status.text()


def test_all_methods_at_once_sortable_with_ranks_and_stop_keeps_the_rows(qtbot, tab):
    tab.pages.setCurrentWidget(tab.table)
    tab.boxes.add_box((28, 0, 190, 183))
    qtbot.mouseClick(tab.table.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.table.table.rowCount() >= 1, timeout=60000)
    qtbot.mouseClick(tab.table.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.scoring.is_running, timeout=60000)
    kept = tab.table.table.rowCount()
    assert 1 <= kept < len(METHODS) + 1 and "Scoring all methods stopped at step" in tab.table.status.text()
    assert tab.table.start_button.isEnabled() and not tab.table.stop_button.isEnabled()
    qtbot.mouseClick(tab.table.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.scoring.is_running, timeout=240000)
    assert "finished after 7 steps" in tab.table.status.text()
    assert tab.table.table.rowCount() == len(METHODS) + 1
    morf = tab.table.column_values("MoRF ↓")
    ranks = tab.table.column_values("#MoRF ↓")
    assert sorted(ranks.values()) == [1, 2, 3, 4, 5, 6, 7]
    best = min(morf, key=morf.get)
    assert ranks[best] == 1
    tab.table.table.sortItems(tab.table.column("#MoRF ↓"), Qt.SortOrder.AscendingOrder)
    assert tab.table.method_order()[0] == best
    mass = tab.table.column_values("mass ↑")
    assert all(0 <= v <= 1 for v in mass.values())
    sanity = tab.table.column_values("|ρ| random model ↓")
    assert sanity["random map (reference)"] == "–" and all(isinstance(v, float) and v >= 0
                                                           for k, v in sanity.items() if k != "random map (reference)")
    assert not math.isnan(tab.table.shown.rows[0].seconds)
