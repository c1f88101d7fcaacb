"""``rerun`` of the kinds added after the generators: a saliency overlay and
map, a strip of diverse channel visualizations, a fooling image carried onto
the photo at its own size -- made as the window makes them (a live change
and a Stop where the job has them) and by the command line, made again from
the PNG: the same bytes.  Tiny sizes, a few steps each."""
from __future__ import annotations

import json
import shlex

import numpy as np
import pytest
from recipe_fixtures import make_like_window

from engine.cli import main
from engine.generation.diversity import DiversityParams
from engine.gradients.attribution import SaliencyParams
from engine.gradients.fooling import FoolParams
from engine.imaging import load_image, read_png_params, save_png
from engine.recipe_command import NoCommand, command_line

pytestmark = pytest.mark.usefixtures("one_torch_thread")

SMOOTH = SaliencyParams(method="smoothgrad", samples=3, seed=5)
LOOK = {"cmap": "viridis", "opacity": 0.6}


def rerun(capsys, path, again) -> dict:
    assert main(["rerun", str(path), "--out", str(again), "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("output", ["overlay", "map"])
def test_a_saliency_picture_reruns_to_the_same_bytes_and_its_seed_matters(output, tmp_path, rerun_model, small_photo,
                                                                         capsys):
    files = {"source": small_photo["source"]}
    inputs = {"target": 281, **LOOK}
    path, picture, recipe = make_like_window(tmp_path, "saliency", rerun_model, SMOOTH, inputs=inputs, files=files,
                                             output=output)
    assert recipe.output == output and picture.shape == (224, 224, 3)
    again = tmp_path / "again.png"
    assert rerun(capsys, path, again)["identical"] and again.read_bytes() == path.read_bytes()
    _, other, _ = make_like_window(tmp_path, "saliency", rerun_model, SaliencyParams(method="smoothgrad", samples=3,
                                                                                     seed=6),
                                   inputs=inputs, files=files, output=output, name="other.png")
    assert not np.array_equal(other, picture)   # the noise is the recipe's seed, not chance


def test_a_diverse_strip_with_a_live_change_and_a_stop_reruns_to_the_same_bytes(tmp_path, rerun_model, capsys):
    params = DiversityParams(count=2, size=32, steps=30, lr=0.05)
    path, picture, recipe = make_like_window(tmp_path, "diverse", rerun_model, params,
                                             inputs={"objective": "blocks.8:12"}, seed=3, change={"weight": 5.0},
                                             stop_at=4)
    assert recipe.timeline.changes and recipe.timeline.stop_at is not None and picture.shape[1] > 2 * 32
    again = tmp_path / "again.png"
    assert rerun(capsys, path, again)["identical"] and again.read_bytes() == path.read_bytes()


def test_a_full_size_fooling_image_replays_its_fooling_run_then_its_own_steps(tmp_path, rerun_model, small_photo,
                                                                             capsys):
    files = {"source": small_photo["source"]}
    kept: dict = {}
    _, _, fooled = make_like_window(tmp_path, "fooling", rerun_model, FoolParams(lr=0.5, max_iter=30),
                                    inputs={"target": 9}, files=files, change={"lr": 2.0}, name="fooled.png",
                                    keep=kept)
    path, picture, recipe = make_like_window(tmp_path, "fullsize", rerun_model, FoolParams(lr=0.5, max_iter=6),
                                             inputs={"target": 9}, files=files, continues=fooled,
                                             parent=kept["value"], change={"lr": 1.5})
    assert picture.shape == small_photo["source"][1].shape and recipe.continues == fooled
    again = tmp_path / "again.png"
    assert rerun(capsys, path, again)["identical"] and again.read_bytes() == path.read_bytes()
    meta = read_png_params(path)
    meta["recipe"]["continues"] = None  # a full-size image says which fooling run it was carried from
    save_png(path, picture, meta)
    assert main(["rerun", str(path), "--out", str(again)]) != 0
    assert "recipe.continues must be the recipe of the fooling run" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["saliency", "{source}", "--method", "smoothgrad", "--samples", "2", "--seed", "4", "--points", "3",
     "--cmap", "hot", "--opacity", "0.3"],
    ["classviz", "--objective", "blocks.8:12", "--diverse", "2", "--size", "32", "--steps", "3"],
    ["fool", "{source}", "--target", "9", "--max-iter", "3", "--full-size"],
])
def test_the_command_lines_pictures_of_these_kinds_rerun_to_the_same_bytes(argv, tmp_path, shared_model, rerun_model,
                                                                           small_photo, capsys):
    made = tmp_path / "made.png"
    assert main([a.format(source=small_photo["source"][0]) for a in argv] + ["--out", str(made)]) == 0
    capsys.readouterr()
    job = read_png_params(made)["recipe"]["job"]
    assert job == {"saliency": "saliency", "classviz": "diverse", "fool": "fullsize"}[argv[0]]
    assert rerun(capsys, made, tmp_path / "again.png")["identical"]
    assert (tmp_path / "again.png").read_bytes() == made.read_bytes()


@pytest.mark.parametrize("field, value, message", [
    ("cmap", "rainbow", "recipe.inputs.cmap must be one of inferno"),
    ("opacity", 2, "recipe.inputs.opacity must be a number in 0..1, got 2"),
    ("opacity", True, "recipe.inputs.opacity must be a number in 0..1, got True"),
])
def test_a_bad_saliency_look_is_refused_naming_the_field(field, value, message, tmp_path, rerun_model, small_photo,
                                                         fails_in_one_line):
    path, _, _ = make_like_window(tmp_path, "saliency", rerun_model, SaliencyParams(), files={"source":
                                  small_photo["source"]}, inputs={"target": 1, **LOOK}, output="overlay")
    meta = read_png_params(path)
    meta["recipe"]["inputs"][field] = value
    save_png(path, load_image(path), meta)
    fails_in_one_line(["rerun", str(path), "--out", str(tmp_path / "again.png")], message)


def test_a_saliency_overlay_is_one_command_a_map_is_rerun(tmp_path, shared_model, small_photo, capsys):
    files = {"source": small_photo["source"]}
    _, picture, recipe = make_like_window(tmp_path, "saliency", shared_model, SMOOTH, inputs={"target": 281, **LOOK},
                                          files=files, output="overlay")
    again = tmp_path / "again.png"
    argv = shlex.split(command_line(recipe, out=str(again)))
    assert argv[:4] == ["neural-lens-cli", "--device", "cpu", "saliency"] and "--layer" not in argv
    assert main(argv[1:]) == 0, capsys.readouterr().err
    assert np.array_equal(load_image(again), picture)
    _, _, as_map = make_like_window(tmp_path, "saliency", shared_model, SMOOTH, inputs={"target": 281, **LOOK},
                                    files=files, output="map", name="map.png")
    with pytest.raises(NoCommand, match="no single command makes this kind of picture"):
        command_line(as_map)


def test_a_replay_is_interrupted_by_the_control_it_stops_with(tmp_path, rerun_model):
    """The window's Run again: its job's Stop is the replay's (``Control(stop_with=)``)."""
    from engine.generation import ClassVizParams
    from engine.jobs import Cancelled, Control
    from engine.rerun import replay

    _, picture, recipe = make_like_window(tmp_path, "classviz", rerun_model,
                                          ClassVizParams.defaults("pixels", size=32, steps=5), inputs={"target": 9})
    running = Control(None)
    assert np.array_equal(replay(recipe, rerun_model, {}, stop_with=running), picture)
    running.cancel()
    with pytest.raises(Cancelled):
        replay(recipe, rerun_model, {}, stop_with=running)
