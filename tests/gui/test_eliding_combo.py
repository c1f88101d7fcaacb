"""A choice too long for its box ends with "…" instead of being cut mid-letter,
and the tooltip says it in full (the Saliency tab's "Vanilla gradient
(Simonyan 2014)" at 1366x768)."""
from __future__ import annotations

from engine.gradients import SaliencyParams
from guiapp.widgets.eliding_combo import ElidingComboBox
from guiapp.widgets.param_form import ParamForm


def test_a_long_title_is_elided_and_its_tooltip_is_whole(qtbot):
    box = ElidingComboBox()
    qtbot.addWidget(box)
    box.addItem("Integrated Gradients (Sundararajan 2017)", "ig")
    box.addItem("Grad-CAM", "gradcam")
    box.set_help("The attribution method")
    box.resize(120, box.sizeHint().height())
    shown = box.shown_text()
    assert shown.endswith("…") and len(shown) < len("Integrated Gradients (Sundararajan 2017)")
    assert box.toolTip().splitlines() == ["Integrated Gradients (Sundararajan 2017)", "The attribution method"]
    box.resize(600, box.sizeHint().height())
    assert box.shown_text() == "Integrated Gradients (Sundararajan 2017)"
    box.setCurrentIndex(1)
    assert box.toolTip().startswith("Grad-CAM\n") and box.grab().width() == 600   # it paints


def test_the_generated_forms_use_it(qtbot):
    form = ParamForm(SaliencyParams(), only=("method",))
    qtbot.addWidget(form)
    method = form.widgets["method"]
    assert isinstance(method, ElidingComboBox) and method.toolTip().startswith("Vanilla gradient (Simonyan 2014)\n")
