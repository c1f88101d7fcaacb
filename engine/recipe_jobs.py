"""The jobs a recipe can name, as a table: each kind's parameter class, the
inputs and photos it needs, how its engine generator is started, and which
picture of its run is the saved one -- the same rules the window and the CLI
follow, so a replay saves the same picture."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .generation import ClassVizParams, DreamParams, InversionParams, class_visualization, deepdream, feature_inversion
from .generation.accentuation import AccentParams, accentuate
from .gradients.fooling import FoolParams, fool
from .jobs import Control, Frame

__all__ = ["JobKind", "JOBS", "Given"]


@dataclass(frozen=True)
class Given:
    """What a replayed job is made from: the model, the recipe's inputs, the
    photos (by role), the seed and the picture a Continue started from."""

    model: Any
    inputs: dict[str, Any]
    images: dict[str, np.ndarray]
    seed: int
    init: np.ndarray | None = None


def _target(g: Given) -> Any:
    if "objective" in g.inputs:
        from .generation.unit_objectives import parse_objective

        return parse_objective(g.inputs["objective"])
    return g.inputs["target"]


def _last_image(frame: Frame | None, value: Any, output: str) -> np.ndarray:
    """The generators' picture: their return value, or (a Stop inside a
    network pass, which ends a job without one) the last frame's image -- as
    the Dreaming tab takes it."""
    if isinstance(value, np.ndarray):
        return value
    if frame is None or frame.image is None:
        raise ValueError("the job ended before it made a picture")
    return frame.image


def _fool_picture(frame: Frame | None, value: Any, output: str) -> np.ndarray:
    if value is None:
        raise ValueError("the fooling job ended without a result")
    return value.difference()[0] if output == "difference" else value.image


@dataclass(frozen=True)
class JobKind:
    """One row: ``inputs`` it needs (one of a tuple of alternatives),
    ``files`` (photo roles), ``start(given, control)`` -> the generator,
    ``picture(last_frame, value, output)``, the ``outputs`` it saves."""

    title: str
    params: type
    inputs: tuple[tuple[str, ...], ...]
    files: tuple[str, ...]
    start: Callable[[Given, Control], Iterator[Frame]]
    picture: Callable[[Frame | None, Any, str], np.ndarray] = _last_image
    outputs: tuple[str, ...] = ("image",)


def _dream(g: Given, c: Control, guided: bool) -> Iterator[Frame]:
    image = g.init if g.init is not None else g.images["source"]
    return deepdream(g.model, image, g.inputs["layer"], control=c, guide=g.images["guide"] if guided else None,
                     seed=g.seed)


JOBS: dict[str, JobKind] = {
    "classviz": JobKind("Class visualization", ClassVizParams, (("target",), ("objective",)), (),
                        lambda g, c: class_visualization(g.model, _target(g), control=c, seed=g.seed, init=g.init)),
    "accentuate": JobKind("Feature accentuation", AccentParams, (("target",), ("objective",)), ("source",),
                          lambda g, c: accentuate(g.model, g.init if g.init is not None else g.images["source"],
                                                  _target(g), control=c, seed=g.seed)),
    "inversion": JobKind("Feature inversion", InversionParams, (("layer",),), ("source",),
                         lambda g, c: feature_inversion(g.model, g.images["source"], g.inputs["layer"], control=c,
                                                        seed=g.seed, init=g.init)),
    "deepdream": JobKind("DeepDream", DreamParams, (("layer",),), ("source",), lambda g, c: _dream(g, c, False)),
    "guided": JobKind("Guided DeepDream", DreamParams, (("layer",),), ("source", "guide"),
                      lambda g, c: _dream(g, c, True)),
    "fooling": JobKind("Fooling", FoolParams, (("target",),), ("source",),
                       lambda g, c: fool(g.model, g.images["source"], g.inputs["target"], control=c),
                       picture=_fool_picture, outputs=("image", "difference")),
}
