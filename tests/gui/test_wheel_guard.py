"""The wheel over a form field the user has not clicked scrolls the settings
panel and leaves the value alone (Dreaming's "Smallest view" went from 0.50 to
0.75 while the panel was scrolled down); clicked, the field takes the wheel."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QScrollArea

from engine.generation import ClassVizParams
from guiapp.widgets.param_form import ParamForm


def _wheel(widget, steps: int = 1) -> bool:
    """Whether ``widget`` took the wheel (a wheel it does not take goes on to its parent, the panel)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, -120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def test_the_wheel_scrolls_the_panel_until_a_field_is_clicked(qtbot):
    form = ParamForm(ClassVizParams.defaults("fourier"))
    scroll = QScrollArea()
    scroll.setWidget(form)
    scroll.setWidgetResizable(True)
    scroll.resize(400, 150)   # shorter than the form: it scrolls
    qtbot.addWidget(scroll)
    scroll.show()
    qtbot.waitExposed(scroll)
    spin, slider = form.widgets["min_view"], form.sliders["min_view"]
    before = spin.value()
    assert not _wheel(spin, 3) and not _wheel(slider, 3)   # (synthetic wheels do not travel up by themselves)
    assert spin.value() == before
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    assert _wheel(spin) and spin.value() != before


def test_the_wheel_over_an_unclicked_class_chooser_leaves_the_class(qtbot):
    from guiapp.widgets.class_picker import ClassPicker

    picker = ClassPicker()
    qtbot.addWidget(picker)
    picker.show()
    qtbot.waitExposed(picker)
    picker.set_class(76)
    assert not _wheel(picker, 2) and picker.current_class() == 76


def test_the_wheel_over_dreamings_unclicked_mode_layer_and_seed_leaves_them(qtbot, open_tab):
    from guiapp.tabs.dreaming_tab import DreamingTab

    tab = open_tab(DreamingTab)
    qtbot.waitExposed(tab)
    mode, seed = tab.mode.currentIndex(), tab.seed.value()
    assert not _wheel(tab.mode, 2) and tab.mode.currentIndex() == mode
    assert not _wheel(tab.seed, 2) and tab.seed.value() == seed
    assert not _wheel(tab.opinion.judge, 2)
    tab.mode.setCurrentIndex(tab.mode.findData("deepdream"))
    layer = tab.layer.currentIndex()
    assert not _wheel(tab.layer, 2) and tab.layer.currentIndex() == layer
    tab.mode.setFocus()
    qtbot.waitUntil(tab.mode.hasFocus, timeout=2000)
    assert _wheel(tab.mode)   # clicked, it takes the wheel


def test_the_wheel_over_saliencys_unclicked_method_layer_and_colours_leaves_them(qtbot, open_tab):
    from guiapp.tabs.saliency_tab import SaliencyTab

    tab = open_tab(SaliencyTab)
    qtbot.waitExposed(tab)
    form = tab.form
    for combo in (form.method, form.cmap):
        index = combo.currentIndex()
        assert not _wheel(combo, 2) and combo.currentIndex() == index
    form.method.setCurrentIndex(form.method.findData("gradcam"))
    layer = form.layer.currentIndex()
    assert form.layer.count() > 1 and not _wheel(form.layer, 2) and form.layer.currentIndex() == layer


def test_the_wheel_over_captionings_unclicked_data_choices_leaves_them(qtbot, ctx, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QSpinBox

    from guiapp.captioning.data_panel import DataPanel
    from guiapp.captioning.session import CaptioningSession

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    panel = DataPanel(CaptioningSession(ctx, tmp_path / "autosave.pt"))
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    source = panel.source.currentIndex()
    assert not _wheel(panel.source, 2) and panel.source.currentIndex() == source
    spin = panel.pages.currentWidget().findChildren(QSpinBox)[0]
    value = spin.value()
    assert not _wheel(spin, 2) and spin.value() == value
    panel.shutdown()
