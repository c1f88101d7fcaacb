"""The Saliency tab's recipes (issue #26): the map's recipe, taken when the
map arrives (its removal curves, computed after it by the same job, are
measurements of it, not part of it), with the colour map and opacity the
tab shows now and the picture saved (``overlay`` or ``map``); and the way
back: the photo, class, method and every
parameter put back, after which the tab makes the map again, as it does for
any change (:func:`guiapp.recipe_restore.restore_saliency`)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from engine.recipe import Recipe
from engine.rerun import record_run

from ..recipes import RunRecipe

__all__ = ["SaliencyRecipes"]


class SaliencyRecipes(RunRecipe):
    """:class:`RunRecipe` of the tab's current map: :meth:`begin` when a map
    starts, :meth:`settle` when it arrives; :attr:`recipe` is it with the
    look shown now and :attr:`output` (the overlay, or the map when a map's recipe was opened);
    :attr:`made`: the recipe as recorded."""

    #: a map being made when a recipe is opened is dropped (the tab makes the recipe's map instead)
    remade_from_inputs = True

    def __init__(self, tab) -> None:
        super().__init__()
        self.tab, self.output, self.made = tab, "overlay", None

    def begin(self, control, image: np.ndarray, path: str | None) -> None:
        tab, model = self.tab, self.tab.ctx.model
        self.start(lambda _steps: record_run("saliency", model=model, control=control, seed=0, steps_done=1,
                                             inputs={"target": tab.result.target, **self._look()},
                                             files={"source": (path, image)}, output="overlay"))

    def _look(self) -> dict:
        return {"cmap": self.tab.form.colormap(), "opacity": self.tab.form.overlay_opacity()}

    @property
    def recipe(self) -> Recipe | None:
        made = self.made
        return None if made is None else replace(made, output=self.output, inputs={**made.inputs, **self._look()})

    @recipe.setter
    def recipe(self, value: Recipe | None) -> None:
        self.made = value

    def saved_as(self, what: str) -> dict:
        """The ``recipe`` entry of the saved ``what`` (``overlay`` or ``map``)."""
        made = self.recipe
        return {} if made is None else {"recipe": replace(made, output=what).as_dict()}

    def shown(self) -> np.ndarray | None:
        """The picture the recipe makes, as the tab shows it now (what Run again compares with)."""
        return self.tab.map_image() if self.output == "map" else self.tab.overlay_image()
