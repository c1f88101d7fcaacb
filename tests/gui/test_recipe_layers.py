"""The Layers tab's channel visualizations carry their recipe: File ▸ Save
writes it, the window opens it back into Layers (the channel over the photo,
one or four pictures), Run again and ``neural-lens-cli rerun`` make the same
pixels.  Small visualizations (32 px) so each run takes a moment."""
from __future__ import annotations

import numpy as np
import pytest

from engine.cli import main
from engine.generation import ClassVizParams
from engine.imaging import load_image, read_png_params
from guiapp.recipe_open import RECIPE

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def layers(window, monkeypatch, qtbot, photo_dir):
    monkeypatch.setattr("guiapp.tabs.layers_channel.VIZ_PARAMS", ClassVizParams(size=32, steps=400))
    monkeypatch.setattr("engine.cli.rerun._open_model", lambda name, device, **options: window.ctx.model)
    tab = window.tab_widgets["Layers"]
    window.tabs.setCurrentWidget(tab)
    assert tab.open_file(str(photo_dir / "chelsea.png"))
    qtbot.waitUntil(lambda: tab.layer_slider.isEnabled() and tab.mosaic_panel.image is not None, timeout=30000)
    tab.layer_slider.setValue(list(tab.acts).index("blocks.5"))
    return tab


def _stopped_visualization(qtbot, tab, frames: int = 2) -> None:
    seen = []
    tab.detail.viz_job.frame.connect(seen.append)
    qtbot.waitUntil(lambda: len(seen) >= frames, timeout=60000)
    tab.detail.viz_job.stop()
    qtbot.waitUntil(lambda: not tab.detail.viz_job.is_running and tab.recipes.recipe is not None, timeout=60000)


def _rerun_cli(capsys, path, tmp_path) -> None:
    again = tmp_path / "cli-again.png"
    assert main(["rerun", str(path), "--out", str(again)]) == 0, capsys.readouterr().err
    assert again.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("four", [False, True])
def test_a_channel_visualization_saves_its_recipe_opens_back_into_layers_and_runs_again(
        four, qtbot, window, layers, tmp_path, messages, capsys):
    tab = layers
    tab.detail.diverse.setChecked(four)
    tab.select_channel(3)
    _stopped_visualization(qtbot, tab)
    recipe = tab.recipes.recipe
    assert recipe.job == ("diverse" if four else "classviz") and recipe.inputs == {"objective": "blocks.5:3"}
    assert recipe.timeline.stop_at is not None and recipe.params.size == 32
    saved = tmp_path / "channel.png"
    assert tab.save_visualization(str(saved))
    assert read_png_params(saved)["recipe"] == recipe.as_dict()
    shown = tab.current.copy()
    assert np.array_equal(load_image(saved), shown)
    _rerun_cli(capsys, saved, tmp_path)

    # another channel, the other checkbox state; then the saved picture opened from another tab
    tab.detail.diverse.setChecked(not four)
    tab.select_channel(7)
    _stopped_visualization(qtbot, tab, 1)
    window.tabs.setCurrentWidget(window.tab_widgets["Dreaming"])
    assert window.open_path(str(saved))
    assert "Diverse visualizations" in window.recipe_opener.box.text() if four else True
    assert window.recipe_opener.choose(str(saved), RECIPE)
    assert window.current_tab() is tab and tab.channel == 3 and tab.current_layer == "blocks.5"
    assert tab.detail.diverse.isChecked() == four and not tab.detail.viz_job.is_running
    assert np.array_equal(tab.current, shown) and "blocks.5:3" in tab.detail.channel_panel._title.text()
    assert "from its recipe" in tab.detail.viz_panel._title.text()
    assert "Opened the recipe of channel.png" in messages[-1] and "Not restored" not in messages[-1]

    assert window.run_recipe_again()
    qtbot.waitUntil(lambda: not tab.again_job.is_running and tab.again_job.last_end is not None, timeout=60000)
    assert tab.detail.viz_status.text() == "Run again: same pixels."
    assert np.array_equal(tab.again, shown) and np.array_equal(tab.current, shown)
    again = tmp_path / "again.png"
    assert tab.save_visualization(str(again))
    assert read_png_params(again)["recipe"] == recipe.as_dict() and again.read_bytes() == saved.read_bytes()


def test_a_channel_visualization_opens_into_layers_without_a_photo_and_says_so(qtbot, window, monkeypatch,
                                                                               tmp_path, capsys):
    """One made by the command line (``classviz --objective``), opened where no photo is analysed yet."""
    monkeypatch.setattr("engine.cli.generate.open_model", lambda args: window.ctx.model)
    made = tmp_path / "made.png"
    assert main(["classviz", "--objective", "blocks.4:2", "--size", "32", "--steps", "3", "--out", str(made)]) == 0
    capsys.readouterr()
    tab = window.tab_widgets["Layers"]
    window.open_path(str(made))
    assert window.recipe_opener.choose(str(made), RECIPE)
    assert window.current_tab() is tab and tab.channel is None
    assert np.array_equal(tab.current, load_image(made)) and tab.status.text() == "Open a photo to see blocks.4:2 over it."
    assert window.copy_recipe_command().startswith("neural-lens-cli --device cpu classviz --objective blocks.4:2")
