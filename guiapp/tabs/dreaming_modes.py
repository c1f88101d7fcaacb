"""The Dreaming tab's modes as a table: for each, its parameters, what it
needs (a layer or a class, a source photo, a guide) and the engine job it
starts.  Adding a mode is adding a row."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from engine.generation import ClassVizParams, DreamParams, InversionParams, class_visualization, deepdream, feature_inversion
from engine.jobs import Control, Frame

__all__ = ["CLASSVIZ", "INVERSION", "DREAM", "GUIDED", "MODES", "MODE_TABLE", "Mode", "Inputs"]

CLASSVIZ, INVERSION, DREAM, GUIDED = ("Class visualization", "Feature inversion", "DeepDream", "Guided DeepDream")


@dataclass(frozen=True)
class Inputs:
    """What a mode's job is made from: the tab's choices when Start is pressed."""

    model: object
    source: np.ndarray | None
    guide: np.ndarray | None
    layer: str
    target: int
    seed: int
    init: np.ndarray | None  # warm start (Continue)


@dataclass(frozen=True)
class Mode:
    """One row of the Dreaming tab's table of modes."""

    defaults: Callable[[], object]         # the mode's parameters when the tab opens
    job: Callable[[Inputs, Control], Iterator[Frame]]
    uses_layer: bool = True
    uses_source: bool = True
    uses_guide: bool = False
    preferred_layer: str | None = None


MODE_TABLE: dict[str, Mode] = {
    CLASSVIZ: Mode(lambda: ClassVizParams.defaults("fourier"), uses_layer=False, uses_source=False,
                   job=lambda i, c: class_visualization(i.model, i.target, control=c, seed=i.seed, init=i.init)),
    INVERSION: Mode(InversionParams, preferred_layer="blocks.5",
                    job=lambda i, c: feature_inversion(i.model, i.source, i.layer, control=c, seed=i.seed, init=i.init)),
    DREAM: Mode(DreamParams, preferred_layer="blocks.8",
                job=lambda i, c: deepdream(i.model, i.init if i.init is not None else i.source, i.layer, control=c,
                                           seed=i.seed)),
    GUIDED: Mode(DreamParams, uses_guide=True, preferred_layer="blocks.8",
                 job=lambda i, c: deepdream(i.model, i.init if i.init is not None else i.source, i.layer, control=c,
                                            guide=i.guide, seed=i.seed)),
}
MODES = tuple(MODE_TABLE)
