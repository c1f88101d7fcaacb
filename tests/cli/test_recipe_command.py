"""A recipe as a command line (engine/recipe_command.py): a run that went as
its form said is one generating command, which makes the same pixels; any
other is ``rerun`` of its saved PNG."""
from __future__ import annotations

import shlex

import numpy as np
import pytest
from recipe_fixtures import make_like_window, small_photos

from engine.cli import main
from engine.generation import ClassVizParams, DreamParams
from engine.gradients.fooling import FoolParams
from engine.imaging import load_image
from engine.recipe_command import NoCommand, command_line

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def photos(tmp_path_factory, photo):
    return small_photos(tmp_path_factory.mktemp("photos with spaces"), photo)


@pytest.mark.parametrize("job, params, inputs, roles, output", [
    ("classviz", ClassVizParams.defaults("fourier", size=32, steps=4), {"target": 76}, (), "image"),
    ("classviz", ClassVizParams.defaults("pixels", size=32, steps=4), {"objective": "blocks.8:12"}, (), "image"),
    ("guided", DreamParams(steps=2, octaves=2, tile=0, lr=2.25), {"layer": "blocks.4"}, ("source", "guide"), "image"),
    ("fooling", FoolParams(lr=0.7, max_iter=3), {"target": 9}, ("source",), "difference"),
])
def test_a_plain_run_is_one_command_that_makes_the_same_pixels(job, params, inputs, roles, output, tmp_path,
                                                                 shared_model, photos, capsys):
    files = {role: photos[role] for role in roles}
    _, picture, recipe = make_like_window(tmp_path, job, shared_model, params, inputs=inputs, files=files, seed=4,
                                          output=output)
    again = tmp_path / "again.png"
    command = command_line(recipe, out=str(again))
    argv = shlex.split(command)
    assert argv[0] == "neural-lens-cli" and "--model" in argv
    assert not roles or "'" in command  # the photo's folder (spaces) is quoted
    assert main(argv[1:]) == 0, capsys.readouterr().err
    assert np.array_equal(load_image(again), picture)


def test_a_changed_or_stopped_run_is_rerun_of_its_saved_picture(tmp_path, shared_model):
    path, _, recipe = make_like_window(tmp_path, "classviz", shared_model,
                                       ClassVizParams.defaults("pixels", size=32, steps=30), inputs={"target": 1},
                                       change={"lr": 3.0}, stop_at=4)
    with pytest.raises(NoCommand, match="its parameters changed while it ran.*save the picture"):
        command_line(recipe)
    assert command_line(recipe, saved=str(path), out="x y.png") == f"neural-lens-cli rerun {path} --out 'x y.png'"
