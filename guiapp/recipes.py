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
from engine.recipe import Recipe
from engine.recipe_jobs import JOBS
from engine.rerun import record_run

__all__ = ["recipe_maker", "dreaming_recipe_maker"]

log = logging.getLogger(__name__)


def recipe_maker(job: str, control: Control, *, model, seed: int, target: int | None = None, layer: str | None = None,
                 photos: dict[str, tuple[str | None, np.ndarray | None]] | None = None,
                 warm: bool = False, continues: Recipe | None = None) -> Callable[..., Recipe | None]:
    """Called when the run starts; returns ``make(steps_done, output="image")``,
    called when it has ended: the run's :class:`Recipe`, or ``None`` (logged)
    when one cannot be made (a photo file that cannot be read for its hash; a
    ``warm`` start from a picture whose own recipe is not known)."""
    kind = JOBS[job]
    inputs: dict[str, Any] = {"target": target} if ("target",) in kind.inputs else {"layer": layer}
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


def dreaming_recipe_maker(tab, key: str, model, warm: bool) -> Callable[..., Recipe | None]:
    """:func:`recipe_maker` for the run the Dreaming tab just started in mode
    ``key`` (its choices as the job got them; a Continue is the recipe of the
    picture it goes on from)."""
    return recipe_maker(key, tab.job.control, model=model, seed=tab.seed.value(), target=tab.picker.current_class(),
                        layer=tab.layer.currentText(), warm=warm, continues=tab._recipe if warm else None,
                        photos={"source": (tab.source_panel.path, tab.source_panel.image),
                                "guide": (tab.guide_panel.path, tab.guide_panel.image)})
