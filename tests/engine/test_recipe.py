"""Reading a recipe back (engine/recipe_read.py): every
field checked, the parameters through their declared specs; a damaged,
hand-edited or newer recipe is refused naming the field."""
from __future__ import annotations

import copy
import json

import numpy as np
import pytest

from engine.generation import ClassVizParams, DreamParams
from engine.imaging import save_png
from engine.job_record import JobRecord
from engine.recipe import FORMAT_VERSION, FileRef, Recipe, RecipeError
from engine.recipe_read import read_recipe, recipe_from_dict

SHA = "ab" * 32
MADE_WITH = {"app": "0.1.0", "python": "3.11.9", "torch": "2.9.0", "torchvision": "0.24.0", "numpy": "2.1.0",
             "device": "cpu", "torch_threads": 2, "channels_last": True, "fold_batchnorm": True}


def good() -> dict:
    dream = Recipe(job="guided", model="efficientnet_lite0", weights_sha256=SHA, params=DreamParams(steps=5), seed=7,
                   inputs={"layer": "blocks.8"},
                   files={"source": FileRef("/photos/cat.png", SHA, SHA), "guide": FileRef(None, None, SHA)},
                   timeline=JobRecord(changes=((40, {"lr": 2.5}),), stop_at=90, emits=((0, 3),), events=120),
                   steps_done=4, made_with=MADE_WITH,
                   continues=Recipe(job="classviz", model="efficientnet_lite0", weights_sha256=SHA,
                                    params=ClassVizParams.defaults("pixels"), seed=0, inputs={"target": 76},
                                    made_with=MADE_WITH))
    return json.loads(json.dumps(dream.as_dict()))


def test_a_recipe_reads_back_as_it_was_written():
    recipe = recipe_from_dict(good())
    assert recipe.as_dict() == good()
    assert recipe.params == DreamParams(steps=5) and recipe.timeline.changes == ((40, {"lr": 2.5}),)
    assert recipe.continues.inputs == {"target": 76} and recipe.continues.params.parameterization == "pixels"


def _set(data: dict, path: str, value) -> dict:
    data = copy.deepcopy(data)
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if value is KeyError:
        del node[last]
    elif isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


@pytest.mark.parametrize("path, value, message", [
    ("params.lr", 1e9, "recipe.params.lr: learning rate (lr) must be"),
    ("params.octaves", 2.5, "recipe.params.octaves"),
    ("params.steps", "5", "recipe.params.steps"),
    ("params.lr", KeyError, "recipe.params lacks lr"),
    ("params.speed", 3, "recipe.params has unknown field(s): speed"),
    ("seed", -1, "recipe.seed must be a whole number"),
    ("seed", "7", "recipe.seed"),
    ("job", "painting", "recipe.job must be one of"),
    ("output", "difference", "recipe.output must be one of image for guided"),
    ("inputs", {"target": 3}, "recipe.inputs must give layer"),
    ("inputs.layer", "", "recipe.inputs.layer must be a non-empty text"),
    ("files.guide", KeyError, "recipe.files lacks guide"),
    ("files.source.sha256", "xyz", "recipe.files.source.sha256 must be a SHA-256"),
    ("files.source.path", None, "recipe.files.source: path and sha256 go together"),
    ("files.painting", {"path": None, "sha256": None, "pixels_sha256": SHA}, "recipe.files has unknown field"),
    ("model.weights_sha256", KeyError, "recipe.model lacks weights_sha256"),
    ("model", "lite0", "recipe.model must be an object"),
    ("timeline.changes.0.values", {"lr": -3.0}, "recipe.timeline.changes[0].values: learning rate"),
    ("continues.timeline", {"changes": [{"event": 0, "values": {"size": 64}}], "events": 3},
     "recipe.continues.timeline.changes[0].values.size: not a parameter that changes while a job runs"),
    ("timeline.changes.0.event", 500, "recipe.timeline.changes[0].event 500 is out of order"),
    ("timeline.stop_at", 1.5, "recipe.timeline.stop_at must be a whole number"),
    ("steps_done", None, "recipe.steps_done"),
    ("made_with.torch_threads", "2", "recipe.made_with.torch_threads must be a int"),
    ("made_with", {}, "recipe.made_with lacks"),
    ("continues.params.size", 100_000, "recipe.continues.params.size"),
    ("continues.inputs.target", -2, "recipe.continues.inputs.target"),
    ("format", 0, "recipe.format must be 1"),
    ("format", FORMAT_VERSION + 1, f"recipe.format is {FORMAT_VERSION + 1}: made by a newer Neural Lens"),
    ("surprise", 1, "recipe has unknown field(s): surprise"),
    ("job", KeyError, "recipe lacks job"),
])
def test_a_damaged_or_hand_edited_recipe_is_refused_naming_the_field(path, value, message):
    data = _set(good(), path, value)
    with pytest.raises(RecipeError) as info:
        recipe_from_dict(data)
    assert message in str(info.value)


def test_a_png_without_a_recipe_says_so(tmp_path):
    image = np.zeros((4, 4, 3), np.uint8)
    save_png(tmp_path / "plain.png", image)
    save_png(tmp_path / "old.png", image, {"mode": "DeepDream", "lr": 1.5})
    (tmp_path / "junk.png").write_bytes(b"not a png")
    with pytest.raises(RecipeError, match="plain.png: has no Neural Lens parameters"):
        read_recipe(tmp_path / "plain.png")
    with pytest.raises(RecipeError, match="old.png: has parameters but no recipe"):
        read_recipe(tmp_path / "old.png")
    with pytest.raises(RecipeError, match="junk.png: cannot read its recipe"):
        read_recipe(tmp_path / "junk.png")
    with pytest.raises(RecipeError, match="gone.png: no such file"):
        read_recipe(tmp_path / "gone.png")
    save_png(tmp_path / "bad.png", image, {"recipe": _set(good(), "params.lr", 1e9)})
    with pytest.raises(RecipeError, match=r"bad.png: recipe.params.lr"):
        read_recipe(tmp_path / "bad.png")
