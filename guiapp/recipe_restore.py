"""A recipe put back into the tab that makes its kind of picture
(:func:`guiapp.recipe_open.restore` says what could not be): the Dreaming
tab's mode, class or layer, seed and parameters; the Fooling tab's photo,
target class and parameters; the Saliency tab's photo, class, method,
parameters and look; the Layers tab's channel (over the photo
analysed there, if any); the picture shown as the current result.
:data:`RESTORE`: the function of each tab (by title)."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from engine.recipe import Recipe

__all__ = ["restore_dreaming", "restore_fooling", "restore_layers", "restore_saliency", "restored_picture",
           "save_restored", "shown_picture", "RESTORE"]


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
    tab.result = None   # (a result made before is not this recipe's: File ▸ Save writes the opened picture)
    for panel in (tab.fooled_panel, tab.diff_panel):
        panel.clear()
    tab.form.set_params(recipe.params)
    if tab.ctx.model is not None and recipe.inputs["target"] < len(tab.ctx.model.labels):
        tab.picker.set_class(recipe.inputs["target"])
    panel = tab.diff_panel if recipe.output == "difference" else tab.fooled_panel
    panel.set_image(picture)
    tab.recipes.recipe = recipe
    tab.restored = (recipe, picture)
    tab._update_buttons()


def restore_layers(tab, recipe: Recipe, picture: np.ndarray, _photo: Callable) -> None:
    from superqt.utils import signals_blocked

    from engine.generation.unit_objectives import parse_objective

    unit = parse_objective(recipe.inputs["objective"]).units[0]
    with signals_blocked(tab.detail.diverse):
        tab.detail.diverse.setChecked(recipe.job == "diverse")
    shown = tab.ctx.model is not None and tab.show_channel_of_recipe(unit.layer, unit.channel)
    panel = tab.detail.viz_panel
    panel.set_image(picture)
    p = recipe.params
    panel.set_title(f"What excites {unit} most (from its recipe: {p.size} px, {recipe.steps_done} steps)")
    if not shown:
        tab.status.setText(f"Open a photo to see {unit} over it.")
    tab.recipes.recipe = recipe
    tab.restored = (recipe, picture)


def restore_saliency(tab, recipe: Recipe, picture: np.ndarray, photo: Callable) -> None:
    """The photo (when it is still there), class, method, parameters, layer, colour map and opacity; the tab
    then makes the map again, as for any change (the same pixels), ``picture`` shown until it has."""
    from superqt.utils import signals_blocked

    photo(tab.classify.image_panel, recipe.files.get("source"))
    form, p = tab.form, recipe.params
    form.fields.set_values(p)   # also the seed and batch size, which have no row
    with signals_blocked(form.cmap), signals_blocked(form.opacity), signals_blocked(form.layer):
        form.cmap.setCurrentText(recipe.inputs["cmap"])
        form.opacity.setValue(recipe.inputs["opacity"])
        if p.layer is not None:
            form.layer.setCurrentText(p.layer)
    form._show_rows()
    (tab.map_panel if recipe.output == "map" else tab.overlay_panel).set_image(picture)
    tab.recipes.recipe, tab.recipes.output = recipe, recipe.output
    tab.restored = (recipe, picture)
    tab.set_target(recipe.inputs["target"])


def restored_picture(tab) -> np.ndarray | None:
    """The picture opened with the tab's current recipe (``None``: the tab has made a result since)."""
    restored = getattr(tab, "restored", None)
    if restored is not None and restored[0] is getattr(tab.recipes, "made", tab.recipes.recipe):
        return restored[1]
    return None


def save_restored(tab, path: str) -> bool:
    """Save the picture opened from its recipe, with the parameters it was opened with (the same recipe)."""
    from engine.imaging import save_png

    picture, meta = restored_picture(tab), getattr(tab, "restored_meta", None)
    if picture is None or meta is None:
        return False
    return tab.write_file("the result", path, lambda: save_png(path, picture, meta))


def shown_picture(tab) -> np.ndarray | None:
    """The picture the tab's current recipe made (what Run again compares with)."""
    restored = restored_picture(tab)
    if restored is not None:
        return restored
    if hasattr(tab.recipes, "shown"):
        return tab.recipes.shown()
    if hasattr(tab, "current"):
        return tab.current
    return tab.result.image if getattr(tab, "result", None) is not None else None


RESTORE = {"Dreaming": restore_dreaming, "Fooling": restore_fooling, "Layers": restore_layers,
           "Saliency": restore_saliency}
