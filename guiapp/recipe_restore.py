"""A recipe put back into the tab that makes its kind of picture
(:func:`guiapp.recipe_open.restore` says what could not be): the Dreaming
tab's mode, class or layer, seed and parameters; the Fooling tab's photo,
target class and parameters; the picture shown as the current result."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.recipe import Recipe

__all__ = ["restore_dreaming", "restore_fooling", "shown_picture"]


def restore_dreaming(tab, recipe: Recipe, picture: np.ndarray, photo: Callable) -> None:
    from .tabs.dreaming_modes import MODE_TABLE, RunInfo

    key = recipe.job
    tab.params[key] = recipe.params
    tab.set_mode(key)   # stops a running job
    tab.form.set_params(recipe.params)
    model = tab.ctx.model
    target = recipe.inputs.get("target")
    if target is not None and model is not None and target < len(model.labels):
        tab.picker.set_class(target)
    if "layer" in recipe.inputs:
        tab.layer.setCurrentText(recipe.inputs["layer"])
    tab.seed.setValue(int(min(recipe.seed, tab.seed.maximum())))
    photo(tab.source_panel, recipe.files.get("source"))
    photo(tab.guide_panel, recipe.files.get("guide"))
    label = model.labels[target] if target is not None and model is not None and target < len(model.labels) else None
    tab.run_info = RunInfo(mode=key, model=recipe.model, seed=recipe.seed, warm_start=recipe.continues is not None,
                           layer=recipe.inputs.get("layer"), target=target, label=label)
    tab.current, tab.current_mode = picture, key
    tab.result_panel.set_image(picture)
    tab.result_panel.set_title(f"Result (from its recipe: {MODE_TABLE[key].title})")
    tab.recipes.recipe = recipe
    tab.restored = (recipe, picture)
    tab._update_buttons()


def restore_fooling(tab, recipe: Recipe, picture: np.ndarray, photo: Callable) -> None:
    photo(tab.classify.image_panel, recipe.files.get("source"))
    tab.form.set_params(recipe.params)
    if tab.ctx.model is not None and recipe.inputs["target"] < len(tab.ctx.model.labels):
        tab.picker.set_class(recipe.inputs["target"])
    panel = tab.diff_panel if recipe.output == "difference" else tab.fooled_panel
    panel.set_image(picture)
    tab.recipes.recipe = recipe
    tab.restored = (recipe, picture)
    tab._update_buttons()


def shown_picture(tab) -> np.ndarray | None:
    """The picture the tab's current recipe made (what Run again compares with)."""
    restored = getattr(tab, "restored", None)
    if restored is not None and restored[0] is tab.recipes.recipe:
        return restored[1]
    if hasattr(tab, "current"):
        return tab.current
    return tab.result.image if getattr(tab, "result", None) is not None else None
