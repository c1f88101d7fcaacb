"""The generated parameter forms: one widget per declared field, the range
from the spec, sliders beside live numbers that drive a running job."""
from __future__ import annotations

import numpy as np
import pytest

from engine.generation import ClassVizParams, DreamParams
from engine.params import specs
from guiapp.widgets.param_form import ParamForm


def test_live_numbers_get_a_slider_and_next_run_fields_do_not(qtbot):
    form = ParamForm(ClassVizParams())
    qtbot.addWidget(form)
    assert set(form.sliders) == {n for n, s in specs(ClassVizParams).items() if s.live and s.slider}
    assert "lr" in form.sliders and "size" not in form.sliders and "parameterization" not in form.sliders
    assert form.labels["size"].text().endswith("*") and not form.labels["lr"].text().endswith("*")
    seen = []
    form.value_changed.connect(lambda name, value: seen.append((name, value)))
    form.sliders["jitter"].setValue(20)
    qtbot.waitUntil(lambda: ("jitter", 20) in seen, timeout=1000)
    assert form.widgets["jitter"].value() == 20 and form.params().jitter == 20
    form.widgets["rotate"].setValue(170.0)  # beyond the slider's range: the slider widens
    assert form.sliders["rotate"].maximum() >= 170.0 and form.sliders["rotate"].value() == pytest.approx(170.0)


def test_dragging_a_slider_changes_the_running_dream(qtbot, ctx):
    from guiapp.tabs.dreaming_tab import DREAM, DreamingTab

    tab = DreamingTab(ctx)
    qtbot.addWidget(tab)
    tab.set_mode(DREAM)
    tab.source_panel.set_image(np.random.default_rng(1).integers(0, 256, (96, 96, 3), dtype=np.uint8))
    tab.form.set_value("steps", DreamParams().steps * 1000)
    assert tab.start()
    qtbot.waitUntil(lambda: tab.runner.is_running and tab.control is not None, timeout=10000)
    slider = tab.form.sliders["lr"]
    for value in (0.5, 1.0, 2.5, 3.0):  # a drag: many values in quick succession
        slider.setValue(value)
    qtbot.waitUntil(lambda: tab.control.params.lr == pytest.approx(3.0), timeout=2000)
    assert tab.form.widgets["lr"].value() == pytest.approx(3.0)
    tab.stop()
    qtbot.waitUntil(lambda: not tab.runner.is_running, timeout=10000)
    tab.shutdown()
