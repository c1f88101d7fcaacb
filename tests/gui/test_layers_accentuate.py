"""The Layers tab's "Accentuate in this photo": the open channel pushed in the
open photo (feature accentuation) instead of visualized from noise; it and
"4 diverse visualizations" exclude each other."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.generation import AccentParams
from engine.generation.unit_objectives import Unit, UnitObjective
from engine.imaging import model_view
from guiapp.tabs.layers_tab import CELL, GAP, LayersTab


@pytest.fixture
def tab(open_tab, monkeypatch):
    monkeypatch.setattr("guiapp.tabs.layers_channel.ACCENT_PARAMS", AccentParams.defaults(steps=10))
    return open_tab(LayersTab)


def test_accentuate_the_open_channel_in_the_photo(qtbot, tab, ctx, photo_dir):
    assert tab.open_file(str(photo_dir / "chelsea.png"))
    qtbot.waitUntil(lambda: tab.layer_slider.isEnabled() and tab.mosaic_panel.image is not None, timeout=30000)
    tab.layer_slider.setValue(ctx.model.layer_names.index("blocks.5"))
    tab.mosaic_panel.clicked.emit(GAP + CELL / 2, GAP + CELL / 2)
    detail = tab.detail
    detail.diverse.setChecked(True)
    detail.accent.setChecked(True)
    assert not detail.diverse.isChecked() and "accentuated in this photo" in detail.viz_panel._title.text()
    qtbot.waitUntil(lambda: not detail.viz_job.is_running and detail.viz_panel.image is not None
                    and detail.viz_panel.image.shape == (224, 224, 3), timeout=60000)
    objective = UnitObjective((Unit("blocks.5", tab.channel),))
    photo = model_view(tab.image, 224, ctx.model.crop_fraction)
    with torch.no_grad():
        before = float(objective(ctx.model, ctx.model.preprocess(photo)))
        after = float(objective(ctx.model, ctx.model.preprocess(detail.viz_panel.image)))
    assert after > before
    rms = float(np.sqrt(np.mean((detail.viz_panel.image.astype(float) - photo) ** 2)))
    assert rms < 40.0  # still the photo
    detail.diverse.setChecked(True)
    assert not detail.accent.isChecked() and "4 diverse" in detail.viz_panel._title.text()
    detail.viz_job.stop()
    detail.patches_job.stop()
    qtbot.waitUntil(lambda: not detail.viz_job.is_running and not detail.patches_job.is_running, timeout=10000)
