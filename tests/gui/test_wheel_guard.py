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
