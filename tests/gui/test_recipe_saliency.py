"""The Saliency tab's overlay and map carry their recipe: saved from the real
tab, ``neural-lens-cli rerun`` makes the same bytes; opened through the
window they come back into Saliency (photo, class, method, parameters,
colour map, opacity), the tab makes the map again and Run again gives the
same pixels.  A result dropped on a tab's photo panel asks too."""
from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from engine.cli import main
from engine.imaging import load_image, read_png_params
from guiapp.recipe_open import RECIPE

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def saliency(window, monkeypatch, qtbot, photo_dir, tmp_path):
    monkeypatch.setattr("engine.cli.rerun._open_model", lambda name, device, **options: window.ctx.model)
    tab = window.tab_widgets["Saliency"]
    tab.curve_points = 3
    window.tabs.setCurrentWidget(tab)
    shutil.copy(photo_dir / "chelsea.png", tmp_path / "cat.png")
    tab.form.set_method("smoothgrad")
    tab.form.samples.setValue(3)
    tab.form.cmap.setCurrentText("viridis")
    tab.form.opacity.setValue(0.7)
    assert tab.open_file(str(tmp_path / "cat.png"))
    _map_made(qtbot, tab, "smoothgrad")
    return tab


def _map_made(qtbot, tab, method: str) -> None:
    qtbot.waitUntil(lambda: tab.result is not None and tab.result.params.method == method and not tab.job.is_running
                    and not tab.schedule._timer.isActive(), timeout=60000)


def _cli_rerun_is_identical(capsys, path, tmp_path) -> None:
    again = tmp_path / "cli-again.png"
    assert main(["rerun", str(path), "--out", str(again)]) == 0, capsys.readouterr().err
    assert again.read_bytes() == path.read_bytes()


def test_a_saved_overlay_and_map_rerun_open_back_into_saliency_and_run_again(qtbot, window, saliency, tmp_path,
                                                                          messages, capsys):
    tab = saliency
    overlay_path, map_path = tmp_path / "overlay.png", tmp_path / "map.png"
    assert tab.save_overlay(str(overlay_path)) and tab.save_map(str(map_path))
    made = read_png_params(overlay_path)["recipe"]
    assert made["job"] == "saliency" and made["output"] == "overlay" and made["params"]["method"] == "smoothgrad"
    assert made["inputs"] == {"target": tab.result.target, "cmap": "viridis", "opacity": pytest.approx(0.7)}
    assert read_png_params(map_path)["recipe"]["output"] == "map"
    overlay, colour_map = load_image(overlay_path), load_image(map_path)
    for path in (overlay_path, map_path):
        _cli_rerun_is_identical(capsys, path, tmp_path)

    target = tab.result.target
    tab.form.set_method("vanilla")
    tab.form.cmap.setCurrentText("hot")
    tab.set_target(3)
    _map_made(qtbot, tab, "vanilla")
    window.tabs.setCurrentWidget(window.tab_widgets["Dreaming"])
    assert window.open_path(str(overlay_path)) and "Saliency map of tiger cat (class 282)" in window.recipe_opener.box.text()
    assert window.recipe_opener.choose(str(overlay_path), RECIPE)
    assert window.current_tab() is tab and "Not restored" not in messages[-1]
    assert tab.form.params().method == "smoothgrad" and tab.form.params().samples == 3
    assert tab.form.colormap() == "viridis" and tab.form.overlay_opacity() == pytest.approx(0.7)
    _map_made(qtbot, tab, "smoothgrad")
    assert tab.result.target == target and tab.target == target
    assert np.array_equal(tab.overlay_image(), overlay)   # the tab made it again: the same pixels
    assert window.run_recipe_again()
    qtbot.waitUntil(lambda: not tab.again_job.is_running and tab.again_job.last_end is not None, timeout=60000)
    assert tab.status.text() == "Run again: same pixels." and np.array_equal(tab.again, overlay)

    assert window.open_path(str(map_path)) and window.recipe_opener.choose(str(map_path), RECIPE)
    _map_made(qtbot, tab, "smoothgrad")
    assert tab.recipes.output == "map" and np.array_equal(tab.map_image(), colour_map)
    assert window.run_recipe_again()
    qtbot.waitUntil(lambda: not tab.again_job.is_running and tab.again_job.last_end is not None, timeout=60000)
    assert tab.status.text() == "Run again: same pixels." and np.array_equal(tab.again, colour_map)


def _drop(panel, path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    panel.dropEvent(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                               Qt.KeyboardModifier.NoModifier))


def test_a_result_dropped_on_a_photo_panel_asks_and_use_as_a_photo_loads_it_there(qtbot, window, saliency, tmp_path, messages,
                                                                                  photo_dir):
    overlay_path = tmp_path / "overlay.png"
    assert saliency.save_overlay(str(overlay_path))
    fooling, dreaming = window.tab_widgets["Fooling"], window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(dreaming)
    _drop(dreaming.source_panel, overlay_path)
    box = window.recipe_opener.box
    assert box.isVisible() and "Saliency map of tiger cat (class 282)" in box.text()
    assert dreaming.source_panel.path != str(overlay_path)   # not loaded before the answer
    next(b for b in box.buttons() if b.text() == "Use as a photo").click()
    assert dreaming.source_panel.path == str(overlay_path)   # into the panel it was dropped on
    assert window.current_tab() is dreaming

    window.tabs.setCurrentWidget(fooling)
    _drop(fooling.classify.image_panel, overlay_path)
    # "Open its recipe": back in Saliency (the map it is making of the photo just used is dropped for it)
    assert window.recipe_opener.choose(str(overlay_path), RECIPE), messages
    assert window.current_tab() is saliency
    box = window.recipe_opener.box
    _drop(fooling.classify.image_panel, photo_dir / "coffee.png")   # an ordinary photo loads at once
    assert fooling.classify.image_panel.path == str(photo_dir / "coffee.png") and window.recipe_opener.box is box
    _map_made(qtbot, saliency, "smoothgrad")
