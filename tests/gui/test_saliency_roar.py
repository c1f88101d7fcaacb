"""*Saliency ▸ ROAR on the Shape Classifier…* (issue #27): remove and retrain
from the window, at tiny sizes (16 training and 8 test scenes, one epoch,
one method): the table fills in as each retraining ends, Stop keeps the
retrainings finished, a run to the end fills every cell, and another model
is refused with the reason."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, Qt

SHAPES_MODEL = Path(__file__).parents[2] / "tools" / "data" / "shapes_cnn" / "shapes_cnn.safetensors"


def _cells(roar) -> list[float]:
    return [roar.table.item(i, j).data(Qt.ItemDataRole.DisplayRole) for i in range(roar.table.rowCount())
            for j in range(1, roar.table.columnCount()) if roar.table.item(i, j).text()]


def test_roar_from_the_window_fills_its_table_stops_and_refuses_another_model(qtbot, ctx, window):
    from qt_fixtures import use_model

    from engine.models import load_model

    tab = window.tab_widgets["Saliency"]
    roar = tab.roar
    window.tabs.setCurrentWidget(window.tab_widgets["Fooling"])
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Saliency")
    next(a for a in menu.actions() if a.text() == "&ROAR on the Shape Classifier…").trigger()
    assert window.tabs.currentWidget() is tab and tab.pages.currentWidget() is roar.page
    qtbot.mouseClick(roar.page.start_button, Qt.MouseButton.LeftButton)     # Lite0 knows no shapes
    assert not roar.job.is_running and roar.page.status.text().startswith(
        "Not started: ROAR here retrains the shape classifier: open it first")

    use_model(ctx, load_model(str(SHAPES_MODEL), "cpu"))
    for name, value in (("train", 16), ("test", 8), ("epochs", 1)):
        roar.form.widgets[name].setValue(value)
    for name, box in roar.method_boxes.items():
        if name != "vanilla":
            qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))   # its tick box
    assert roar.methods() == ["vanilla"]
    qtbot.mouseClick(roar.page.start_button, Qt.MouseButton.LeftButton)
    assert roar.job.is_running
    assert [roar.table.item(i, 0).text() for i in range(4)] == ["Vanilla", "random ranking", "object mask first",
                                                                "object + 2 px ring first"]
    qtbot.waitUntil(lambda: len(_cells(roar)) >= 1, timeout=120000)
    qtbot.mouseClick(roar.page.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not roar.job.is_running, timeout=60000)
    kept = _cells(roar)
    assert 1 <= len(kept) < 12 and roar.page.status.text().startswith("ROAR stopped at step")
    assert "Nothing removed: test accuracy" in roar.page.status.text()

    qtbot.mouseClick(roar.page.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not roar.job.is_running, timeout=180000)
    assert roar.page.status.text().startswith("ROAR finished after 15 steps")   # 2 map chunks + 13 retrainings
    accuracies = _cells(roar)
    assert len(accuracies) == 12 and all(0 <= a <= 1 and round(a * 8, 6) == round(a * 8) for a in accuracies)
    assert 0 <= roar.unmodified <= 1
