"""*Saliency ▸ Evaluate a Folder…* (issue #27): the folder report from the
window, driven through its menu action, dialog, Stop and Open Report: the
progress bar follows the photos scored, Stop keeps what was scored, the run
started again into the same report folder goes on from there, the summary
table and the report files are there, and bad input is said in the dialog,
which keeps what was typed."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton

from engine.gradients.folder_eval import read_scores
from engine.imaging import save_png
from guiapp.tabs.saliency_folder_dialog import SHAPES_MODEL, FolderChoice, FolderEvalDialog
from guiapp.tabs.saliency_tab import SaliencyTab


def _fill_dialog(qtbot, dialog: FolderEvalDialog, folder=None, *, boxes=None) -> None:
    """Type the folder (the report folder follows it) and the boxes, keep only vanilla and black, 3 points,
    no sanity score: a user's clicks, small enough to take seconds."""
    if folder is not None:
        dialog.folder.selectAll()
        qtbot.keyClicks(dialog.folder, str(folder))
    if boxes is not None:
        qtbot.keyClicks(dialog.boxes, str(boxes))
    for name, box in [*dialog.method_boxes.items(), *dialog.fill_boxes.items()]:
        if box.isChecked() != (name in ("vanilla", "black")):
            qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))   # on the tick box
    dialog.points.setValue(3)
    if dialog.sanity.isChecked():
        dialog.sanity.click()


@pytest.fixture
def photos(tmp_path, photo_dir):
    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        save_png(folder / f"p{i}.png", rng.integers(0, 256, (40, 48, 3), dtype=np.uint8))
    shutil.copy(photo_dir / "coffee.png", folder / "p3.png")
    (folder / "broken.png").write_bytes(b"not a png")
    (folder / "notes.txt").write_text("not a photo")
    return folder


def test_evaluate_a_folder_progress_stop_resume_summary_and_report(qtbot, open_tab, photos, monkeypatch, messages):
    import engine.gradients.folder_eval as folder_eval

    tab = open_tab(SaliencyTab)
    report = tab.folder
    scored = []
    real = folder_eval.score_photo
    monkeypatch.setattr(folder_eval, "score_photo", lambda *a, **k: scored.append(1) or real(*a, **k))
    seen = []

    def exec_(dialog):      # the user fills the dialog and presses Start
        seen.append(dialog.earlier.text())
        _fill_dialog(qtbot, dialog, photos if len(seen) == 1 else None)
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        return dialog.result()

    monkeypatch.setattr(FolderEvalDialog, "exec", exec_)
    assert [a.text() for a in tab.menu.actions()][:2] == ["&Evaluate a Folder…", "&Stop Evaluating"]
    tab.menu.actions()[0].trigger()
    assert report.job.is_running and tab.pages.currentWidget() is report.page
    out = photos.parent / "photos-saliency-report"
    assert report.choice.out == str(out) and report.page.progress.maximum() == 0     # busy: no photo done yet
    qtbot.waitUntil(lambda: report.page.progress.value() >= 1, timeout=120000)
    assert report.page.progress.maximum() == 5       # 4 photos and a broken one
    qtbot.mouseClick(report.page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not report.job.is_running, timeout=60000)
    first = {r["photo"] for r in read_scores(out / "scores.csv")}
    assert 1 <= len(first) < 4, first
    status = report.page.status.text()
    assert status.startswith("Evaluating the folder stopped.") and f"{len(first)} of 5 photos scored" in status
    assert "Evaluate again into the same report folder to go on" in status
    assert report.summary.caption.text().startswith(f"{len(first)} photo") and report.open_button.isEnabled()
    assert (out / "report.html").is_file()

    scored_before = len(scored)
    tab.menu.actions()[0].trigger()                   # the same choice, remembered: it goes on
    assert f"holds {len(first)} scored photo" in seen[1]
    assert report.page.progress.maximum() == 5 and report.page.progress.value() == len(first)
    qtbot.waitUntil(lambda: not report.job.is_running, timeout=180000)
    rows = read_scores(out / "scores.csv")
    assert len(scored) - scored_before == 4 - len(first)          # only the photos not scored before
    assert sorted(r["photo"] for r in rows) == sorted(2 * ["p0.png", "p1.png", "p2.png", "p3.png"])
    status = report.page.status.text()
    assert status.startswith("Evaluating the folder finished. 4 of 5 photos scored.")
    assert "1 not read (broken.png; problems.txt says why)" in status
    assert "broken.png: not an image file" in report.page.status.toolTip()
    assert str(out / "report.html") in report.page.status.toolTip() and messages[-1].endswith(str(out / "report.html"))
    assert report.page.progress.value() == report.page.progress.maximum()
    assert "broken.png" in (out / "problems.txt").read_text() and "p3.png" in (out / "report.html").read_text()

    morf = report.summary.column_values("MoRF AUC ↓ (black)")
    assert set(morf) == {"Vanilla", "random map (reference)"} and "pointing game ↑" not in morf
    expected = np.mean([r["morf:black"] for r in rows if r["method"] == "vanilla"])
    assert morf["Vanilla"] == pytest.approx(expected, abs=1e-3)
    opened = []
    monkeypatch.setattr("guiapp.tabs.saliency_folder.QDesktopServices.openUrl", lambda url: opened.append(url) or True)
    qtbot.mouseClick(report.open_button, Qt.MouseButton.LeftButton)
    assert opened[0].toLocalFile() == str(out / "report.html")


def test_bad_input_is_said_in_the_dialog_which_keeps_what_was_typed(qtbot, tmp_path, photos):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "a.txt").write_text("x")
    dialog = FolderEvalDialog(FolderChoice("", ""), "EfficientNet-Lite0")
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.problem.text() == "choose a folder of photos" and dialog.result() == 0
    _fill_dialog(qtbot, dialog, empty)
    assert dialog.out.text() == str(tmp_path / "empty-saliency-report")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.problem.text() == f"{empty}: no photos in it (1 other file, not photos); sub-folders are not searched"

    bad = tmp_path / "boxes.json"
    bad.write_text("{oops")
    _fill_dialog(qtbot, dialog, photos, boxes=bad)
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.problem.text().startswith(f"{bad}: not a COCO annotation file") and dialog.result() == 0
    assert dialog.boxes.text() == str(bad) and dialog.folder.text() == str(photos)   # nothing typed is lost

    bad.write_text(json.dumps({"images": [{"id": 1, "file_name": "zebra.jpg"}],
                               "annotations": [{"image_id": 1, "bbox": [1, 2, 3, 4]}]}))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert "boxes for none of the 5 photos of the folder (it names 'zebra.jpg'" in dialog.problem.text()

    bad.write_text(json.dumps({"images": [{"id": 1, "file_name": "p1.png"}],
                               "annotations": [{"image_id": 1, "bbox": [1, 2, 3, 4]}]}))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == 1 and dialog.problem.text() == ""
    assert dialog.run.boxes["p1.png"] == [(1.0, 2.0, 4.0, 6.0)] and dialog.run.todo == 5
    assert dialog.choice() == FolderChoice(str(photos), str(tmp_path / "photos-saliency-report"), str(bad),
                                           ("vanilla",), ("black",), 3, False)


def test_a_report_folder_with_an_earlier_run_chooses_its_methods_and_refuses_others(qtbot, tmp_path, photos):
    out = tmp_path / "report"
    out.mkdir()
    header = "photo,target,label,method,morf:blur,lerf:blur,gap:blur,pointing,mass,sanity,seconds"
    (out / "scores.csv").write_text(f"{header}\np0.png,1,x,gradcam,1,1,0,,,,1\np0.png,1,x,random,1,1,0,,,,1\n")
    dialog = FolderEvalDialog(FolderChoice(str(photos), ""), "EfficientNet-Lite0")
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.out, str(out))
    assert "holds 1 scored photo: Start goes on with it" in dialog.earlier.text()
    assert dialog.choice().methods == ("gradcam",) and dialog.choice().fills == ("blur",)
    dialog.fill_boxes["black"].click()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == 0
    assert dialog.problem.text() == (f"{out} holds a report of 1 photo made with the methods gradcam and the fill-ins "
                                     "blur: choose the same to go on with it, or another report folder")
    dialog.fill_boxes["black"].click()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == 1 and dialog.run.done == {"p0.png"} and dialog.run.todo == 4

    (out / "run.json").write_text('{"model": "EfficientNet-Lite0"}')
    other = FolderEvalDialog(FolderChoice(str(photos), str(out), methods=("gradcam",), fills=("blur",)), "shapes_cnn")
    qtbot.addWidget(other)
    assert other.earlier.text() == ("This report folder holds 1 photo scored with EfficientNet-Lite0, not shapes_cnn: "
                                    "open that model to go on with it, or choose another report folder.")
    qtbot.mouseClick(other.start_button, Qt.MouseButton.LeftButton)
    assert other.result() == 0 and "scored with EfficientNet-Lite0, not shapes_cnn" in other.problem.text()


def test_the_ready_made_folders_fill_the_dialog(qtbot, tmp_path, monkeypatch):
    from engine.resources import resource_path

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr("guiapp.tabs.saliency_folder_dialog.SHAPE_SCENES", 5)
    dialog = FolderEvalDialog(FolderChoice("", ""), "EfficientNet-Lite0")
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.findChild(QPushButton, "samplePhotos"), Qt.MouseButton.LeftButton)
    samples = resource_path("samples")
    assert dialog.folder.text() == str(samples) and dialog.boxes.text() == str(samples / "boxes.json")
    assert dialog.out.text().startswith(str(tmp_path / "data"))
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == 1 and set(dialog.run.boxes) >= {"coffee.jpg", "rocket.jpg"}

    qtbot.mouseClick(dialog.findChild(QPushButton, "shapeScenes"), Qt.MouseButton.LeftButton)
    scenes = Path(dialog.folder.text())
    assert scenes.is_relative_to(tmp_path / "data") and len(list(scenes.glob("scene_*.png"))) == 5
    assert dialog.boxes.text() == str(scenes / "boxes.json") and dialog.out.text() != str(scenes)
    assert "EfficientNet-Lite0 does not know these shapes" in dialog.problem.text()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.run.todo == 5 and all(len(b) == 1 for b in dialog.run.boxes.values())


def test_the_shape_scenes_with_the_shape_classifier_score_the_maps_against_the_ground_truth(
        qtbot, open_tab, ctx, tmp_path, monkeypatch):
    """One click for the folder with a known ground truth: vanilla's map lies in the shape's box far more
    than the random map, whose share is the box's share of the scene."""
    from qt_fixtures import use_model

    from engine.models import load_model

    monkeypatch.setattr("guiapp.tabs.saliency_folder_dialog.SHAPE_SCENES", 6)
    use_model(ctx, load_model(str(Path(__file__).parents[2] / SHAPES_MODEL), "cpu"))
    tab = open_tab(SaliencyTab)

    def exec_(dialog):
        qtbot.mouseClick(dialog.findChild(QPushButton, "shapeScenes"), Qt.MouseButton.LeftButton)
        assert dialog.problem.text() == ""                    # the window's model knows the shapes
        _fill_dialog(qtbot, dialog)
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        return dialog.result()

    monkeypatch.setattr(FolderEvalDialog, "exec", exec_)
    qtbot.mouseClick(tab.folder.page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.folder.job.is_running, timeout=120000)
    assert "finished. 6 of 6 photos scored" in tab.folder.page.status.text()
    mass = tab.folder.summary.column_values("mass in box ↑")
    pointing = tab.folder.summary.column_values("pointing game ↑")
    assert mass["Vanilla"] > 2 * mass["random map (reference)"] and pointing["Vanilla"] >= 4 / 6
    assert mass["random map (reference)"] == pytest.approx(0.1, abs=0.05)    # the boxes' share of the scenes


def test_the_menu_action_on_another_tab_shows_the_saliency_tabs_folder_report(qtbot, window, photos, monkeypatch):
    saliency = window.tab_widgets["Saliency"]
    window.tabs.setCurrentWidget(window.tab_widgets["Fooling"])
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Saliency")

    def exec_(dialog):                                           # shown, as exec() does
        dialog.show()
        _fill_dialog(qtbot, dialog, photos)
        qtbot.keyClick(dialog.folder, Qt.Key.Key_Return)       # Enter in a field starts
        return dialog.result()

    monkeypatch.setattr(FolderEvalDialog, "exec", exec_)
    next(a for a in menu.actions() if a.text() == "&Evaluate a Folder…").trigger()
    assert saliency.folder.job.is_running
    assert window.tabs.currentWidget() is saliency and saliency.pages.currentWidget() is saliency.folder.page
    next(a for a in menu.actions() if a.text() == "&Stop Evaluating").trigger()
    qtbot.waitUntil(lambda: not saliency.folder.job.is_running, timeout=60000)
    assert saliency.folder.page.status.text().startswith("Evaluating the folder stopped.")
