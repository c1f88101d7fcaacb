"""A picture made on a whole network of the user's (ONNX, ``torch.export``) whose
preprocessing was chosen in the window (Model ▸ Preprocessing…, nothing in the
files says it): its recipe carries that preprocessing, ``rerun`` makes the same
bytes, and its command line names no ``--arch`` (which applies to state dicts)."""
from __future__ import annotations

import json

import pytest
from recipe_fixtures import make_like_window

from engine.cli import main
from engine.generation import ClassVizParams
from engine.models import load_model
from engine.models.preprocessing import PRESETS
from engine.recipe_command import NoCommand, command_line
from engine.recipe_read import read_recipe
from tests.user_models import write_export, write_plain_onnx

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _rerun(capsys, *argv: str) -> dict:
    assert main(["rerun", *argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_a_plain_onnx_with_preprocessing_chosen_in_the_window_reruns_identically(tmp_path, capsys):
    from dataclasses import replace

    path = write_plain_onnx(tmp_path)
    chosen = replace(PRESETS["0..1"], input_size=32, crop_fraction=1.0)   # what the window's dialog passes
    model = load_model(str(path), "cpu", preprocessing=chosen)
    params = ClassVizParams.defaults("pixels", size=32, steps=6)
    saved, _, recipe = make_like_window(tmp_path, "classviz", model, params, inputs={"target": 1})
    assert read_recipe(saved).model_file["preprocessing"] == chosen.as_dict()
    assert _rerun(capsys, str(saved), "--out", str(tmp_path / "again.png"))["identical"]
    with pytest.raises(NoCommand, match="preprocessing was chosen in the window"):
        command_line(recipe)   # no option says it: the command is rerun of the saved file
    assert command_line(recipe, saved=str(saved)).startswith("neural-lens-cli rerun ")


def test_a_torch_export_program_reruns_and_its_command_names_no_arch(tmp_path, capsys):
    path = write_export(tmp_path)   # its input shape says 64 px
    model = load_model(str(path), "cpu")
    params = ClassVizParams.defaults("pixels", size=32, steps=6)
    saved, _, recipe = make_like_window(tmp_path, "classviz", model, params, inputs={"target": 2})
    assert "preprocessing" not in recipe.model_file   # the file says it
    assert _rerun(capsys, str(saved), "--out", str(tmp_path / "again.png"))["identical"]
    command = command_line(recipe)
    assert "--arch" not in command and f"--model {path}" in command
    assert main([*command.split()[1:-2], "--out", str(tmp_path / "cli.png")]) == 0


def test_a_pickled_whole_model_reruns_with_trust_code(tmp_path, capsys):
    from tests.user_models import write_pickle

    path = write_pickle(tmp_path)
    model = load_model(str(path), "cpu", trust_code=True)
    saved, _, recipe = make_like_window(tmp_path, "classviz", model, ClassVizParams.defaults("pixels", size=32, steps=4),
                                        inputs={"target": 0})
    assert recipe.model_file["arch"] == "SmallCNN"
    assert _rerun(capsys, str(saved), "--out", str(tmp_path / "again.png"), "--trust-code")["identical"]


def test_a_recipe_of_one_model_file_checked_against_another_names_both(tmp_path):
    """Not "xray.pt2 here has other weights": the loaded model is another file altogether."""
    from engine.recipe import RecipeError
    from engine.rerun import check_model

    made_on = load_model(str(write_export(tmp_path)), "cpu")
    _, _, recipe = make_like_window(tmp_path, "classviz", made_on, ClassVizParams.defaults("pixels", size=32, steps=2),
                                    inputs={"target": 0})
    other = load_model(str(write_plain_onnx(tmp_path)), "cpu")
    with pytest.raises(RecipeError, match=r"^the recipe needs the model small\.pt2 \[[0-9a-f]+\], got plain\.onnx"):
        check_model(recipe, other)
    check_model(recipe, made_on)
