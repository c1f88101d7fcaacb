"""What the window says of a result it opens: "Fooling of triangle (class 2)"
when the model loaded is the one that made it (its class names are known),
"class 2" otherwise (another model's class 2 is another class)."""
from __future__ import annotations

from types import SimpleNamespace

from guiapp.recipe_open import _describe


def _recipe(**inputs):
    return SimpleNamespace(job="fooling", model="shapes.safetensors [61f6069699]", seed=0, inputs=inputs)


def test_the_class_is_named_by_the_model_that_made_it():
    shapes = SimpleNamespace(name="shapes.safetensors [61f6069699]", labels=("circle", "square", "triangle"))
    other = SimpleNamespace(name="efficientnet_lite0", labels=("tench", "goldfish", "great white shark"))
    assert _describe(_recipe(target=2), shapes) == "Fooling of triangle (class 2) on shapes.safetensors [61f6069699], seed 0"
    assert _describe(_recipe(target=2), other).startswith("Fooling of class 2 on")
    assert _describe(_recipe(target=2)).startswith("Fooling of class 2 on")
    assert _describe(_recipe(target=7), shapes).startswith("Fooling of class 7 on")   # not one of its classes


def test_a_channels_visualization_is_not_called_a_class_visualization():
    recipe = SimpleNamespace(job="classviz", model="blocks.pt2 [fed03ec833]", seed=0, inputs={"objective": "blocks.5:1"})
    assert _describe(recipe) == "Visualization of blocks.5:1 on blocks.pt2 [fed03ec833], seed 0"
