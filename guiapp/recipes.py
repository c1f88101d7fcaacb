"""The recipe of a tab's result (:mod:`engine.recipe`): made when its run
ends, from what the tab gave the job when it started (model, seed, class or
layer, the photos and their paths, the recipe of the picture a Continue
started from) and the job's exact record (``TabJob.control.record()``)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from engine.jobs import Control
from engine.recipe import Recipe, RecipeError
from engine.recipe_command import NoCommand, command_line
from engine.recipe_jobs import JOBS
from engine.recipe_read import read_recipe
from engine.rerun import record_run

__all__ = ["recipe_maker", "dreaming_recipe_maker", "RunRecipe", "command_for", "entry_command", "copy_command"]

log = logging.getLogger(__name__)


def recipe_maker(job: str, control: Control, *, model, seed: int, target: int | None = None, layer: str | None = None,
                 objective: str | None = None, photos: dict[str, tuple[str | None, np.ndarray | None]] | None = None,
                 warm: bool = False, continues: Recipe | None = None) -> Callable[..., Recipe | None]:
    """Called when the run starts; returns ``make(steps_done, output="image")``,
    called when it has ended: the run's :class:`Recipe`, or ``None`` (logged)
    when one cannot be made (a photo file that cannot be read for its hash; a
    ``warm`` start from a picture whose own recipe is not known)."""
    kind = JOBS[job]
    inputs: dict[str, Any] = {"objective": objective} if objective is not None else \
        {"target": target} if ("target",) in kind.inputs else {"layer": layer}
    files = {role: photos[role] for role in kind.files if photos and role in photos}

    def make(steps_done: int, output: str = "image") -> Recipe | None:
        if warm and continues is None:
            log.info("no recipe for this %s result: it continued a picture without one", job)
            return None
        try:
            return record_run(job, model=model, control=control, seed=seed, inputs=inputs, files=files,
                              steps_done=steps_done, output=output, continues=continues)
        except (OSError, ValueError) as exc:
            log.warning("no recipe for this %s result: %s", job, exc)
            return None

    return make


class RunRecipe:
    """The recipe of a tab's latest run: :meth:`start` with its maker when the
    run starts, :meth:`settle` once it has ended (again later: the same recipe)."""

    def __init__(self) -> None:
        self._make: Callable[..., Recipe | None] | None = None
        self.recipe: Recipe | None = None

    def start(self, make: Callable[..., Recipe | None]) -> None:
        self._make, self.recipe = make, None

    def settle(self, steps: int, failed: bool = False) -> Recipe | None:
        if self._make is not None:
            self.recipe = None if failed else self._make(steps)
            self._make = None
        return self.recipe


def dreaming_recipe_maker(tab, key: str, model, warm: bool, parent: Recipe | None) -> Callable[..., Recipe | None]:
    """:func:`recipe_maker` for the run the Dreaming tab just started in mode
    ``key`` (its choices as the job got them; ``parent``: for a Continue, the
    recipe of the picture it goes on from)."""
    return recipe_maker(key, tab.job.control, model=model, seed=tab.seed.value(), target=tab.picker.current_class(),
                        layer=tab.layer.currentText(), warm=warm, continues=parent if warm else None,
                        photos={"source": (tab.source_panel.path, tab.source_panel.image),
                                "guide": (tab.guide_panel.path, tab.guide_panel.image)})


def command_for(tab, recipe: Recipe | None = None) -> str:
    """The command line of ``tab``'s current result (or of ``recipe``, a history
    entry's): the generating command, else ``rerun`` of the file it was saved to
    (when the tab's last saved file holds this very recipe);
    :class:`~engine.recipe_command.NoCommand` says why not."""
    if recipe is None:
        recipe = tab.recipes.recipe if tab.recipes is not None else None
    if recipe is None:
        where = f"the {tab.title} tab" if tab.title else "this tab"
        raise NoCommand(f"{where} has no finished result with a recipe")
    saved = tab.last_saved
    try:
        if saved is None or read_recipe(saved) != recipe:
            saved = None
    except RecipeError:
        saved = None
    return command_line(recipe, saved=saved)


def entry_command(tab, entry: dict) -> str:
    """:func:`command_for` a history entry (its saved ``recipe``); :class:`NoCommand` without one."""
    from engine.recipe_read import recipe_from_dict

    if entry.get("recipe") is None:
        raise NoCommand("this result has no recipe (its run did not record one)")
    return command_for(tab, recipe_from_dict(entry["recipe"]))


def copy_command(ctx, make: Callable[[], str | None]) -> str | None:
    """``make()``'s command on the clipboard and the status bar, or the status bar says why there is none."""
    from PySide6.QtGui import QGuiApplication

    try:
        text = make()
    except ValueError as exc:
        ctx.show_status(f"No command to copy: {exc}", 10000)
        return None
    if text is None:
        ctx.show_status("No command to copy: this tab makes no pictures.", 5000)
        return None
    QGuiApplication.clipboard().setText(text)
    ctx.show_status(f"Copied: {text}", 10000)
    return text
