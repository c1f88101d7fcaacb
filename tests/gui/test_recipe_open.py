"""Opening a Neural Lens result through the window gives its recipe back
(tab, mode, class, seed, parameters, photo), and Run again makes the same
pixels: the real window, File ▸ Open's path, the choice box's buttons."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from engine.imaging import load_image, read_png_params
from guiapp.recipe_open import PHOTO, RECIPE, compare_pixels, recipe_in


def _frames(qtbot, job, n: int) -> None:
    seen = []
    job.frame.connect(seen.append)
    qtbot.waitUntil(lambda: len(seen) >= n, timeout=30000)


def _button(box: QMessageBox, text: str):
    return next(b for b in box.buttons() if b.text() == text)


def _run_again(qtbot, window, tab) -> str:
    window.tabs.setCurrentWidget(tab)
    assert window.run_recipe_again()
    qtbot.waitUntil(lambda: not tab.again_job.is_running and tab.again_job.last_end is not None, timeout=60000)
    return tab.job.status.text()


def test_a_stopped_class_visualization_opens_into_its_recipe_and_runs_again_to_the_same_pixels(
        qtbot, window, messages, tmp_path):
    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    tab.picker.set_class(1)
    tab.seed.setValue(7)
    tab.form.widgets["size"].setValue(32)
    tab.form.widgets["steps"].setValue(400)
    assert tab.start()
    _frames(qtbot, tab.job, 2)
    tab.form.widgets["lr"].setValue(0.09)  # live
    _frames(qtbot, tab.job, 2)
    tab.stop()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=30000)
    saved = tmp_path / "goldfish.png"
    assert tab.save_result(str(saved))
    made = read_png_params(saved)["recipe"]

    assert tab.start()   # not while the tab runs a job (its result would replace the recipe's picture)
    assert not window.open_path(str(saved)) or not window.recipe_opener.choose(str(saved), RECIPE)
    assert messages[-1] == "The Dreaming tab is running a job: Stop it, then open the recipe again."
    tab.stop()
    qtbot.waitUntil(lambda: not tab.job.is_running, timeout=30000)

    # another state in the tab, then File ▸ Open of the result
    tab.picker.set_class(5)
    tab.seed.setValue(0)
    tab.form.widgets["steps"].setValue(9)
    window.tabs.setCurrentWidget(window.tab_widgets["Saliency"])
    assert window.open_path(str(saved))
    box = window.recipe_opener.box
    assert box.isVisible() and "Class visualization of goldfish (class 1) on efficientnet_lite0" in box.text()
    _button(box, "Open its recipe").click()
    assert window.current_tab() is tab and tab.mode_key() == "classviz"
    assert tab.picker.current_class() == 1 and tab.seed.value() == 7
    assert tab.form.params().as_dict() == made["params"]  # what it started with; the live change is replayed
    assert np.array_equal(tab.current, load_image(saved))
    assert "Opened the recipe of goldfish.png" in messages[-1] and "Not restored" not in messages[-1]

    assert _run_again(qtbot, window, tab) == "Run again: same pixels."
    assert np.array_equal(tab.again, load_image(saved))
    again = tmp_path / "again.png"
    assert tab.save_result(str(again))   # the restored result saves with the same recipe
    assert read_png_params(again)["recipe"] == made


def test_a_fooling_image_opens_into_the_fooling_tab_and_runs_again(qtbot, window, ctx, photo_dir, tmp_path):
    import shutil

    tab = window.tab_widgets["Fooling"]
    window.tabs.setCurrentWidget(tab)
    source = tmp_path / "coffee.png"
    shutil.copy(photo_dir / "coffee.png", source)
    assert tab.open_file(str(source))
    qtbot.waitUntil(lambda: len(tab.classify.predictions) == 5, timeout=30000)
    tab.picker.set_class(ctx.model.class_index("tarantula"))
    tab.form.widgets["lr"].setValue(0.2)
    tab.form.widgets["max_iter"].setValue(6)
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.result is not None and not tab.job.is_running, timeout=60000)
    saved = tmp_path / "fooled.png"
    assert tab.save_image(str(saved))

    tab.form.widgets["lr"].setValue(0.7)
    tab.picker.set_class(3)
    window.tabs.setCurrentWidget(window.tab_widgets["Dreaming"])
    window.open_path(str(saved))
    assert window.recipe_opener.choose(str(saved), RECIPE)
    assert window.current_tab() is tab
    assert tab.picker.current_class() == ctx.model.class_index("tarantula")
    assert tab.form.params().lr == pytest.approx(0.2) and tab.form.params().max_iter == 6
    assert tab.classify.image_panel.path == str(source.resolve()) or tab.classify.image_panel.path == str(source)
    assert _run_again(qtbot, window, tab) == "Run again: same pixels."
    assert np.array_equal(tab.again, load_image(saved))
    assert tab.result is None and tab.save_button.isEnabled()
    again = tmp_path / "again.png"
    assert tab.save_image(str(again))   # File ▸ Save after Open its recipe: the same picture, the same recipe
    assert read_png_params(again) == read_png_params(saved) and np.array_equal(load_image(again), load_image(saved))

    tab.form.widgets["max_iter"].setValue(2)   # a new result: Save writes it, not the opened one
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.result is not None and not tab.job.is_running, timeout=60000)
    assert tab.save_image(str(again)) and read_png_params(again)["recipe"]["params"]["max_iter"] == 2


def _damage(path, tmp_path):
    """The PNG with its recipe's seed made negative (the text chunk rewritten)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    image = Image.open(path)
    data = json.loads(image.text["neural-lens"])
    data["recipe"]["seed"] = -3
    info = PngInfo()
    info.add_text("neural-lens", json.dumps(data))
    out = tmp_path / "damaged.png"
    image.save(out, pnginfo=info)
    return out


def test_a_damaged_recipe_is_said_and_the_picture_still_opens_as_a_photo(qtbot, window, tmp_path):
    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    tab.picker.set_class(1)
    tab.form.widgets["size"].setValue(32)
    tab.form.widgets["steps"].setValue(2)
    assert tab.start()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=30000)
    saved = tmp_path / "made.png"
    assert tab.save_result(str(saved))
    damaged = _damage(saved, tmp_path)
    found = recipe_in(str(damaged))
    assert "recipe.seed must be a whole number" in str(found)
    assert window.open_path(str(damaged))
    box = window.recipe_opener.box
    assert "cannot be read" in box.text() and "recipe.seed" in box.text()
    assert not _button(box, "Open its recipe").isEnabled()
    window.tabs.setCurrentWidget(window.tab_widgets["Fooling"])
    _button(box, "Use as a photo").click()
    fooling = window.tab_widgets["Fooling"]
    assert np.array_equal(fooling.classify.image, load_image(damaged))

    # "Use as a photo" on a good recipe opens it as a photo, as before recipes
    assert window.recipe_opener.choose(str(saved), PHOTO)
    assert np.array_equal(fooling.classify.image, load_image(saved)) and window.current_tab() is fooling
    assert recipe_in(str(tmp_path / "nothing.png")) is None


def test_compare_pixels_names_the_largest_difference():
    a = np.zeros((2, 3, 3), np.uint8)
    b = a.copy()
    assert compare_pixels(a, b) == "same pixels"
    b[1, 2, 0] = 200
    assert compare_pixels(a, b) == "largest pixel difference 200 (0..255)"
    assert compare_pixels(a, np.zeros((3, 3, 3), np.uint8)).startswith("a different size")


def test_a_deepdream_recipe_says_what_it_cannot_restore(qtbot, window, messages, photo, tmp_path, monkeypatch):
    from engine.imaging import resize, save_png
    from guiapp.tabs.dreaming_tab import DREAM

    source = tmp_path / "cat.png"
    save_png(source, resize(photo("chelsea.png"), (60, 80)))
    tab = window.tab_widgets["Dreaming"]
    window.tabs.setCurrentWidget(tab)
    tab.set_mode(DREAM)
    tab.layer.setCurrentText("blocks.4")
    assert tab.open_file(str(source))
    tab.form.widgets["steps"].setValue(3)
    tab.form.widgets["octaves"].setValue(1)
    tab.seed.setValue(11)
    assert tab.start()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=30000)
    saved = tmp_path / "dream.png"
    assert tab.save_result(str(saved))

    tab.set_mode("classviz")
    window.open_path(str(saved))
    assert window.recipe_opener.choose(str(saved), RECIPE)
    assert tab.mode_key() == DREAM and tab.layer.currentText() == "blocks.4" and tab.seed.value() == 11
    assert np.array_equal(tab.source_panel.image, load_image(source)) and "Not restored" not in messages[-1]
    assert _run_again(qtbot, window, tab) == "Run again: same pixels."

    moved = tmp_path / "moved.png"
    moved.write_bytes(source.read_bytes())
    source.unlink()  # the photo moved away, and the weights here are not the ones that made it
    monkeypatch.setattr("engine.rerun.weights_sha256", lambda model: "0" * 64)
    assert window.recipe_opener.choose(str(saved), RECIPE)
    said = messages[-1]
    assert "Not restored:" in said and f"the source photo {source.resolve()} is not there any more" in said
    assert f"the model {window.ctx.model.name} here has other weights (SHA-256 {'0' * 64})" in said
    assert not window.run_recipe_again()  # refused with the reason, nothing crashes
    assert "cannot run it again" in tab.job.status.text()
    monkeypatch.undo()
    assert tab.open_file(str(moved))  # the same file elsewhere (its SHA-256) is used
    assert _run_again(qtbot, window, tab) == "Run again: same pixels."


def test_a_dropped_recipe_from_a_newer_neural_lens_is_named(qtbot, window, tmp_path):
    from engine.imaging import save_png

    out = tmp_path / "future.png"
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    save_png(out, np.zeros((8, 8, 3), np.uint8), {"recipe": {"format": 99}})
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(out))])
    window.tabs.setCurrentWidget(window.tab_widgets["Dreaming"])
    window.dropEvent(QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                                Qt.KeyboardModifier.NoModifier))   # a drop on the window asks too
    assert "made by a newer Neural Lens" in window.recipe_opener.box.text()


def test_a_fooling_image_saved_at_the_photos_size_carries_its_recipe_and_reopens(qtbot, window, ctx, photo_dir,
                                                                                 tmp_path, monkeypatch, capsys):
    from engine.cli import main
    from engine.imaging import resize, save_png

    monkeypatch.setattr("engine.cli.rerun._open_model", lambda name, device, **options: ctx.model)
    tab = window.tab_widgets["Fooling"]
    window.tabs.setCurrentWidget(tab)
    source = tmp_path / "small coffee.png"
    save_png(source, resize(load_image(photo_dir / "coffee.png"), (60, 80)))
    assert tab.open_file(str(source))
    qtbot.waitUntil(lambda: len(tab.classify.predictions) == 5, timeout=30000)
    tab.picker.set_class(9)
    tab.form.widgets["lr"].setValue(0.5)
    tab.form.widgets["max_iter"].setValue(40)
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.result is not None and not tab.job.is_running, timeout=60000)
    assert tab.result.success
    full = tmp_path / "fooled-full.png"
    assert tab.save_full_size(str(full))
    qtbot.waitUntil(lambda: full.exists() and not tab.full_job.is_running, timeout=60000)
    made = read_png_params(full)["recipe"]
    assert made["job"] == "fullsize" and made["continues"] == tab.recipes.recipe.as_dict()
    assert load_image(full).shape == (80, 60, 3)
    again = tmp_path / "again.png"
    assert main(["rerun", str(full), "--out", str(again)]) == 0, capsys.readouterr().err
    assert again.read_bytes() == full.read_bytes()   # the fooling run, then the full-size steps: the same bytes

    window.open_path(str(full))
    assert window.recipe_opener.choose(str(full), RECIPE) and window.current_tab() is tab
    assert np.array_equal(tab.fooled_panel.image, load_image(full))
    assert _run_again(qtbot, window, tab) == "Run again: same pixels."
    assert tab.save_image(str(again)) and read_png_params(again)["recipe"] == made
