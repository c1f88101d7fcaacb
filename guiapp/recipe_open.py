"""Opening a result's recipe in the window, and Run again (issue #26).

* :func:`recipe_in`: what a file carries -- ``None`` (an ordinary photo, or a
  Neural Lens picture without a recipe), a :class:`~engine.recipe.Recipe`, or
  the :class:`~engine.recipe.RecipeError` of a damaged one.
* :class:`RecipeOpener`: the window's File ▸ Open, Open Recent and drops go
  through :meth:`RecipeOpener.open`; a PNG with a recipe offers "Open its
  recipe" or "Use as a photo" (a non-blocking box whose buttons call
  :meth:`RecipeOpener.choose`, which tests call directly).
* :func:`restore`: the recipe into its tab (Dreaming or Fooling): mode, class
  or layer, seed, every parameter, the photos found by SHA-256, the picture
  as the current result; what cannot be restored is said on the status line.
* :func:`run_again`: the current result's recipe replayed
  (:func:`engine.rerun.replay`, its recorded timeline) as a :class:`TabJob`,
  then "same pixels" or the largest pixel difference.
"""
from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
from PySide6.QtWidgets import QMessageBox

from engine.recipe import Recipe, RecipeError

__all__ = ["recipe_in", "RecipeOpener", "restore", "run_again", "compare_pixels", "tab_title", "RECIPE", "PHOTO"]

RECIPE, PHOTO = "recipe", "photo"


def recipe_in(path: str) -> Recipe | RecipeError | None:
    """The recipe a PNG carries; ``None`` for a file without one."""
    from PIL import Image

    from engine.imaging import read_png_params
    from engine.recipe import RECIPE_KEY
    from engine.recipe_read import read_recipe

    if not str(path).lower().endswith(".png") or not os.path.isfile(path):
        return None
    try:
        data = read_png_params(path)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # not readable as a Neural Lens PNG: the photo loader says what is wrong
    if not isinstance(data, dict) or RECIPE_KEY not in data:
        return None
    try:
        return read_recipe(path)
    except RecipeError as exc:
        return exc


def tab_title(recipe: Recipe) -> str:
    """The tab a recipe opens in: a channel's visualization (one unit, as the Layers tab
    makes them) in Layers, a saliency map in Saliency, a fooling image in Fooling, the rest in Dreaming."""
    from engine.generation.unit_objectives import parse_objective

    if recipe.job == "diverse" or (recipe.job == "classviz" and "objective" in recipe.inputs
                                   and _one_channel(parse_objective(recipe.inputs["objective"]))):
        return "Layers"
    return {"saliency": "Saliency", "fooling": "Fooling", "fullsize": "Fooling"}.get(recipe.job, "Dreaming")


def _one_channel(objective) -> bool:
    return len(objective.units) == 1 and objective.units[0].weight == 1 and objective.units[0].position is None


def compare_pixels(a: np.ndarray, b: np.ndarray) -> str:
    """"same pixels", or the largest difference (0..255) between two pictures."""
    if a.shape != b.shape:
        return f"a different size ({b.shape[1]}×{b.shape[0]} instead of {a.shape[1]}×{a.shape[0]})"
    largest = int(np.abs(a.astype(np.int16) - b.astype(np.int16)).max())
    return "same pixels" if largest == 0 else f"largest pixel difference {largest} (0..255)"


class RecipeOpener:
    """The window's way of opening a file: ``open_photo(path)`` is the usual way
    (the current tab's ``open_file``); ``tab_for(job)`` the tab a recipe opens in."""

    def __init__(self, window, open_photo: Callable[[str], bool], tab_for: Callable[[str], object]) -> None:
        self.window, self.open_photo, self.tab_for = window, open_photo, tab_for
        self.box: QMessageBox | None = None

    def open(self, path: str, as_photo: Callable[[str], bool] | None = None) -> bool:
        """Open ``path``: a file with a recipe asks first; ``as_photo`` opens it as a
        photo (default: the window's way; a panel's own for a drop on that panel)."""
        found = recipe_in(path)
        if found is None:
            return (as_photo or self.open_photo)(path)
        if self.box is not None:
            self.box.close()   # the newest file's question replaces an unanswered one
        self.box = self._ask(path, found, as_photo)
        return True

    def dropped_on(self, panel, path: str) -> bool:
        """A file dropped on an image panel: ``True`` (asked here) when it carries a recipe,
        "Use as a photo" then loading it into that panel."""
        if recipe_in(path) is None:
            return False
        return self.open(path, as_photo=panel.load_file)

    def _ask(self, path: str, found: Recipe | RecipeError, as_photo=None) -> QMessageBox:
        name = os.path.basename(path)
        box = QMessageBox(self.window)
        box.setWindowTitle("Open a Neural Lens result")
        if isinstance(found, RecipeError):
            box.setIcon(QMessageBox.Icon.Warning)
            box.setText(f"{name} was made by Neural Lens, but its recipe cannot be read:\n{found}\n\n"
                        "You can still use it as a photo.")
        else:
            box.setText(f"{name} was made by Neural Lens ({_describe(found, self.window.ctx.model)}). "
                        "Open its recipe, or use it as a photo?")
        recipe_button = box.addButton("Open its recipe", QMessageBox.ButtonRole.AcceptRole)
        recipe_button.setEnabled(not isinstance(found, RecipeError))
        photo_button = box.addButton("Use as a photo", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(photo_button if isinstance(found, RecipeError) else recipe_button)
        recipe_button.clicked.connect(lambda: self.choose(path, RECIPE, found))
        photo_button.clicked.connect(lambda: self.choose(path, PHOTO, found, as_photo))
        box.open()
        return box

    def choose(self, path: str, choice: str, found: Recipe | RecipeError | None = None,
               as_photo: Callable[[str], bool] | None = None) -> bool:
        """What the box's buttons do: ``RECIPE`` restores it, ``PHOTO`` opens it as a photo."""
        if found is None:
            found = recipe_in(path)
        if choice == PHOTO or not isinstance(found, Recipe):
            return (as_photo or self.open_photo)(path)
        tab = self.tab_for(found)
        if tab is None:
            return False
        self.window.tabs.setCurrentWidget(tab)
        busy = [getattr(tab, "again_job", None)]
        if not getattr(tab.recipes, "remade_from_inputs", False):   # (Saliency drops a map its inputs overtake)
            busy.append(recipe_job(tab))
        if any(job.is_running for job in busy if job is not None):
            tab.ctx.show_status(f"The {tab.title} tab is running a job: Stop it, then open the recipe again.", 8000)
            return False
        return restore(tab, found, path)


def recipe_job(tab):
    """The tab's job whose pictures carry recipes (its ``recipe_job``, else its ``job``)."""
    return getattr(tab, "recipe_job", None) or tab.job


def _describe(recipe: Recipe, model=None) -> str:
    """What made it, its class named when ``model`` (the one loaded) is the recipe's."""
    from engine.recipe_jobs import JOBS

    target = recipe.inputs.get("target")
    subject = recipe.inputs.get("layer") or recipe.inputs.get("objective") or f"class {target}"
    labels = getattr(model, "labels", ()) if getattr(model, "name", None) == recipe.model else ()
    if isinstance(target, int) and 0 <= target < len(labels):
        subject = f"{labels[target]} (class {target})"
    units = "objective" in recipe.inputs and recipe.job == "classviz"   # units, not a class
    title = "Visualization" if units else JOBS[recipe.job].title
    return f"{title} of {subject} on {recipe.model}, seed {recipe.seed}"


def _candidates(tab) -> list[str]:
    """The photos open in the tab: used instead of a moved one when their SHA-256 matches."""
    panels = [getattr(tab, name, None) for name in ("source_panel", "guide_panel")]
    if hasattr(tab, "classify"):
        panels.append(tab.classify.image_panel)
    paths = [getattr(p, "path", None) for p in panels if p is not None]
    return [path for path in paths if path and os.path.isfile(path)]


def _model_problem(tab, recipe: Recipe) -> str | None:
    from engine.models import list_models
    from engine.rerun import check_model

    model = tab.ctx.model
    if model is None or (model.name != recipe.model and recipe.model_file is None):
        installed = recipe.model in {info.name for info in list_models()}
        where = "load it from the Model menu" if installed else "it is not installed here"
        return f"the model {recipe.model} (weights SHA-256 {recipe.weights_sha256[:16]}…): {where}"
    try:
        check_model(recipe, model)
    except RecipeError as exc:
        return str(exc)
    return None


def _problems(tab, recipe: Recipe) -> list[str]:
    """What cannot be restored: the model (name and hash), the photos."""
    from engine.rerun import find_photos

    problems = [p for p in (_model_problem(tab, recipe),) if p]
    try:
        find_photos(recipe, _candidates(tab))
    except RecipeError as exc:
        problems.append(str(exc).replace("--source PATH", "File ▸ Open").replace("--guide PATH",
                                                                                 "Choose guide image…"))
    return problems


def _photo(panel, ref) -> None:
    """A panel's photo from the recipe's file when it is still there with its hash."""
    from engine.recipe import file_sha256

    if ref is not None and ref.path and os.path.isfile(ref.path) and file_sha256(ref.path) == ref.sha256:
        panel.load_file(ref.path)


def restore(tab, recipe: Recipe, path: str) -> bool:
    """``recipe`` into ``tab`` (Dreaming or Fooling) with the picture at ``path`` as its result."""
    from engine.imaging import ImageLoadError, load_image

    try:
        picture = load_image(path)
    except ImageLoadError as exc:
        tab.ctx.error("Cannot open the result", str(exc))
        return False
    from engine.imaging import read_png_params

    from .recipe_restore import RESTORE

    problems = _problems(tab, recipe)
    RESTORE[tab_title(recipe)](tab, recipe, picture, _photo)
    tab.restored_meta = read_png_params(path)   # what Save writes with the opened picture (guiapp/recipe_restore.py)
    said = f"Opened the recipe of {os.path.basename(path)}: {_describe(recipe, tab.ctx.model)}."
    if recipe.timeline.changes or recipe.timeline.stop_at is not None:
        said += " Its live changes and Stop are replayed by Run again."
    if problems:
        said += " Not restored: " + "; ".join(problems) + "."
    recipe_job(tab).say(said)
    tab.ctx.show_status(said, 15000)
    return True


def run_again(tab) -> bool:
    """Replay the recipe of ``tab``'s current result on its "Run again" job."""
    from engine.rerun import check_inputs, check_model, find_photos, replay

    from .recipe_restore import shown_picture
    from .tab_job import TabJob

    recipe = tab.recipes.recipe if tab.recipes is not None else None
    shown = shown_picture(tab) if recipe is not None else None
    if recipe is None or shown is None:
        tab.ctx.show_status(f"Nothing to run again: the {tab.title} tab has no result with a recipe.", 8000)
        return False
    model = tab.ctx.model

    def make_job(_params, control):
        if model is None:
            raise ValueError(f"load {recipe.model} first")
        try:
            check_model(recipe, model)
            check_inputs(recipe, model)
            photos = find_photos(recipe, _candidates(tab))
        except RecipeError as exc:
            raise ValueError(f"cannot run it again: {exc}") from None

        def frames():
            return replay(recipe, model, photos, stop_with=control)   # Stop interrupts it
            yield  # a generator: the replay runs on the job's thread

        return frames()

    def ended(end, result) -> None:
        tab.again_job.ended.disconnect(ended)
        if isinstance(result, np.ndarray):
            tab.again = result
            if hasattr(tab, "show_again"):
                tab.show_again(result)
            tab.again_job.say(f"Run again: {compare_pixels(shown, result)}.")

    job = recipe_job(tab)
    if getattr(tab, "again_job", None) is None:
        tab.again_job = TabJob(tab, "Run again", status=job.status, progress=job.progress)
        if hasattr(tab, "_update_buttons"):   # its Stop button stops the replay too
            tab.again_job.connect_slots(running=lambda _running: tab._update_buttons())
    if job.is_running or tab.again_job.is_running:
        tab.ctx.show_status("Wait for the running job to end (or Stop it), then Run again.", 5000)
        return False
    if not tab.again_job.launch(make_job, params=recipe.params, title="Run again"):
        return False
    tab.again_job.ended.connect(ended)
    return True
