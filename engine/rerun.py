"""Making a result again from its recipe (:mod:`engine.recipe`).

* :func:`find_photos`: the recipe's source and guide photos, at their saved
  paths or at paths the user names instead, each used only when its SHA-256
  matches; what is missing or changed is said plainly.
* :func:`check_model`: the loaded network has the recipe's weights.
* :func:`replay`: the job rebuilt from the recipe and run as the window runs
  it (the generator made first, then driven through
  :func:`~engine.jobs.interruptibly`), on a :class:`~engine.jobs.Control`
  that replays the recorded timeline; a Continue's parent recipe first.
* :func:`version_differences`: what differs from the machine that made it.
* :func:`run_recorded` runs a job so that its Control records it (as the
  window runs it); :func:`record_run`: the recipe of a run that just ended.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from .jobs import Cancelled, Control, Frame, interruptibly, run_to_end
from .recipe import Recipe, RecipeError, file_ref, file_sha256, made_with, model_file_of, pixels_sha256, weights_sha256
from .recipe_jobs import JOBS, Given

__all__ = ["find_photos", "check_model", "check_inputs", "replay", "version_differences", "record_run", "run_recorded"]


def _chain(recipe: Recipe) -> Iterable[Recipe]:
    while recipe is not None:
        yield recipe
        recipe = recipe.continues


def find_photos(recipe: Recipe, elsewhere: Iterable[str | os.PathLike] = ()) -> dict[str, np.ndarray]:
    """Every photo of ``recipe`` (and of the runs it continues), by its pixels'
    SHA-256: from a path in ``elsewhere`` whose file has the recorded SHA-256
    (or, for a picture that came from no file, the same pixels), else from the
    recorded path.  :class:`RecipeError` says which photo is missing or changed."""
    from .imaging import ImageLoadError, load_image

    candidates = [str(p) for p in elsewhere]
    found: dict[str, np.ndarray] = {}
    for step in _chain(recipe):
        for role, ref in step.files.items():
            if ref.pixels_sha256 in found:
                continue
            for path in candidates + ([ref.path] if ref.path else []):
                if not os.path.isfile(path) or (ref.sha256 is not None and file_sha256(path) != ref.sha256):
                    continue
                try:
                    image = load_image(path)
                except ImageLoadError as exc:
                    raise RecipeError(str(exc)) from None
                if pixels_sha256(image) == ref.pixels_sha256:
                    found[ref.pixels_sha256] = image
                    break
            else:
                raise RecipeError(_missing(role, ref, candidates))
    return found


def _missing(role: str, ref, candidates: list[str]) -> str:
    wanted = f"SHA-256 {ref.sha256}" if ref.sha256 else f"the same pixels (SHA-256 {ref.pixels_sha256})"
    option = f"--{role}"
    if candidates:
        return f"the {role} photo: none of {', '.join(candidates)} has {wanted}"
    if ref.path is None:
        return f"the {role} photo came from no file; name it with {option} PATH (it must have {wanted})"
    if not os.path.isfile(ref.path):
        return f"the {role} photo {ref.path} is not there any more; name where it is now with {option} PATH " \
               f"(it must have {wanted})"
    return f"the {role} photo {ref.path} has changed since (it no longer has {wanted}); name the original with " \
           f"{option} PATH"


def check_model(recipe: Recipe, model) -> None:
    """:class:`RecipeError` unless ``model`` is the recipe's network with the same weights."""
    for step in _chain(recipe):
        if model.name != step.model and step.model_file is None:  # a model file may have moved: its weights tell
            raise RecipeError(f"the recipe needs the model {step.model}, got {model.name}")
        here = weights_sha256(model)
        if here != step.weights_sha256 and model.name != step.model:   # another model, not the file moved
            raise RecipeError(f"the recipe needs the model {step.model}, got {model.name}")
        if here != step.weights_sha256:
            raise RecipeError(f"the model {step.model} here has other weights (SHA-256 {here}) than the one that "
                              f"made it ({step.weights_sha256})")


def check_inputs(recipe: Recipe, model) -> None:
    """The recipe's layer, class or objective exist in ``model`` (else :class:`RecipeError` naming the field)."""
    for step in _chain(recipe):
        inputs = step.inputs
        try:
            if "layer" in inputs:
                model.layer(inputs["layer"])
            if "target" in inputs and inputs["target"] >= len(model.labels):
                raise ValueError(f"class {inputs['target']} is not one of {model.name}'s {len(model.labels)} classes")
            if "objective" in inputs:
                from .generation.unit_objectives import parse_objective

                parse_objective(inputs["objective"]).check(model)
        except ValueError as exc:
            raise RecipeError(f"recipe.inputs: {exc}") from None


def replay(recipe: Recipe, model, photos: dict[str, np.ndarray], *, stop_with: Control | None = None) -> np.ndarray:
    """The recipe's picture made again (``photos`` from :func:`find_photos`).  A Stop
    of ``stop_with`` (the window's Run again job) interrupts it: :class:`~engine.jobs.Cancelled`."""
    return _replayed(recipe, model, photos, stop_with)[0]


def _replayed(recipe: Recipe, model, photos: dict[str, np.ndarray], stop_with: Control | None) -> tuple[np.ndarray, Any]:
    """``(picture, return value)`` of the recipe's run, the run it continues replayed first."""
    kind = JOBS[recipe.job]
    init = parent = None
    if recipe.continues is not None:
        picture, value = _replayed(recipe.continues, model, photos, stop_with)
        init, parent = (None, value) if kind.after else (picture, None)
    images = {role: photos[ref.pixels_sha256] for role, ref in recipe.files.items()}
    control = Control(recipe.params, replay=recipe.timeline, stop_with=stop_with)
    # the generator is made outside the job's scope, as the window makes it on its own thread
    frames = kind.start(Given(model, recipe.inputs, images, recipe.seed, init, parent), control)
    last, value = run_recorded(frames, control)
    if stop_with is not None and stop_with.cancelled:
        raise Cancelled   # stopped part way: not the recipe's picture
    return kind.picture(last, value, recipe.output, recipe.inputs), value


def run_recorded(frames: Iterator[Frame], control: Control, on_frame: Callable[[Frame], None] | None = None):
    """:func:`~engine.jobs.run_to_end` of the generator ``frames`` with ``control``
    active while it computes (:func:`~engine.jobs.interruptibly`), so that its
    :meth:`~engine.jobs.Control.record` is exact: ``(last_frame, return_value)``."""
    return run_to_end(interruptibly(lambda: frames, control), on_frame)


def version_differences(recipe: Recipe, model) -> list[str]:
    """``"torch 2.9.0 (here 2.10.0)"`` for each of ``made_with`` that differs here."""
    here = made_with(model)
    return [f"{name} {value} (here {here[name]})" for name, value in recipe.made_with.items() if here.get(name) != value]


def record_run(job: str, *, model, control: Control, seed: int, inputs: dict[str, Any],
               files: dict[str, tuple[str | None, np.ndarray]] | None = None, steps_done: int = 0,
               output: str = "image", continues: Recipe | None = None) -> Recipe:
    """The recipe of a run that just ended on ``control`` (its initial parameters and
    its record); ``files``: role -> (path or ``None``, the picture the job got)."""
    return Recipe(job=job, model=model.name, weights_sha256=weights_sha256(model), params=control.initial_params,
                  seed=int(seed), inputs=dict(inputs),
                  files={role: file_ref(path, image) for role, (path, image) in (files or {}).items()},
                  timeline=control.record(), steps_done=int(steps_done), output=output, continues=continues,
                  made_with=made_with(model), model_file=model_file_of(model))
