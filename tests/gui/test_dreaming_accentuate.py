"""The Dreaming tab's feature accentuation (source photo + class) and MACO
choice under pytest-qt on the real model: the accentuated picture is the
photo pushed towards the class, the importance mask is shown beside it, the
closeness is live, and choosing MACO loads its recipe."""
from __future__ import annotations

import numpy as np
import pytest

from engine.generation.classviz import MACO_LR
from engine.imaging import read_png_params
from guiapp.tabs.dreaming_tab import ACCENTUATE, CLASSVIZ, DreamingTab


@pytest.fixture
def tab(open_tab):
    return open_tab(DreamingTab)


def _set(tab, **values):
    for name, value in values.items():
        tab.form.widgets[name].setValue(value)


def test_accentuate_pushes_the_photo_towards_the_class_with_its_mask(qtbot, tab, photo_dir, tmp_path):
    tab.set_mode(ACCENTUATE)
    assert tab.source_panel.isVisible() and tab.picker.isVisible() and not tab.layer.isVisible()
    assert not tab.start() and "source image" in tab.status.text()
    assert tab.source_panel.load_file(str(photo_dir / "chelsea.png"))
    tab.picker.set_class(1)  # goldfish
    _set(tab, size=64, steps=400)
    assert tab.start()
    qtbot.waitUntil(lambda: tab.mask_panel.image is not None and tab.job.is_running, timeout=30000)
    tab.form.widgets["closeness"].setValue(20.0)  # live
    assert tab.control.params.closeness == pytest.approx(20.0)
    _set(tab, steps=12)
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=60000)
    assert tab.current.shape == (64, 64, 3) and tab.mask_panel.image.shape == (64, 64, 3)
    assert "distance" in tab.plot.data and tab.run_info.label == tab.ctx.model.labels[1]
    out = tmp_path / "accentuated.png"
    assert tab.save_result(str(out))
    params = read_png_params(out)
    assert params["mode_key"] == ACCENTUATE and params["recipe"]["job"] == "accentuate"
    assert params["source"] == "chelsea.png"


def test_choosing_maco_loads_its_recipe_and_shows_the_mask(qtbot, tab):
    tab.set_mode(CLASSVIZ)
    assert tab.mask_panel.isVisible()
    combo = tab.form.widgets["parameterization"]
    combo.setCurrentIndex(combo.findData("maco"))
    assert tab.params[CLASSVIZ].parameterization == "maco" and tab.params[CLASSVIZ].lr == pytest.approx(MACO_LR)
    _set(tab, size=32, steps=3)
    tab.picker.set_class(9)
    assert tab.start()
    qtbot.waitUntil(lambda: not tab.job.is_running and tab.history.count() == 1, timeout=60000)
    mask = tab.mask_panel.image
    assert mask.shape == (32, 32, 3) and int(mask.max()) == 255 and float(np.std(mask)) > 0
