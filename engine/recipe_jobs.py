"""The jobs a recipe can name, as a table: each kind's parameter class, the
inputs and photos it needs, how its engine generator is started, and which
picture of its run is the saved one -- the same rules the window and the CLI
follow, so a replay saves the same picture.

A kind with ``after`` set is made from another run's result: its recipe's
``continues`` is that run's recipe (a full-size fooling image is carried
over from the fooling run it ``continues``), replayed first, and its return
value is handed on as :attr:`Given.parent`."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .generation import ClassVizParams, DreamParams, InversionParams, class_visualization, deepdream, feature_inversion
from .generation.accentuation import AccentParams, accentuate
from .generation.diversity import DiversityParams, diverse_visualizations
from .gradients.attribution import SaliencyParams
from .gradients.fooling import FoolParams, fool
from .gradients.fooling_full_size import fool_full_size
from .gradients.heatmap import colorize, overlay
from .gradients.job import saliency_job
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
    parent: Any = None   # the return value of the run an ``after`` kind is made from


def _target(g: Given) -> Any:
    return _objective(g) if "objective" in g.inputs else g.inputs["target"]


def _objective(g: Given):
    from .generation.unit_objectives import parse_objective

    return parse_objective(g.inputs["objective"])


def _last_image(frame: Frame | None, value: Any, output: str, inputs: dict) -> np.ndarray:
    """The generators' picture: their return value, or (a Stop inside a
    network pass, which ends a job without one) the last frame's image -- as
    the Dreaming tab takes it."""
    if isinstance(value, np.ndarray):
        return value
    if frame is None or frame.image is None:
        raise ValueError("the job ended before it made a picture")
    return frame.image


def _fool_picture(frame: Frame | None, value: Any, output: str, inputs: dict) -> np.ndarray:
    if value is None:
        raise ValueError("the fooling job ended without a result")
    return value.difference()[0] if output == "difference" else value.image


def _saliency_picture(frame: Frame | None, value: Any, output: str, inputs: dict) -> np.ndarray:
    """The overlay (or the coloured map) as the Saliency tab and ``saliency`` draw it."""
    if value is None:
        raise ValueError("the saliency job ended without a map")
    if output == "map":
        return colorize(value.saliency, inputs["cmap"])
    return overlay(value.view, value.saliency, opacity=inputs["opacity"], cmap=inputs["cmap"])


def _saliency(g: Given, c: Control) -> Iterator[Frame]:
    """The map only: what the saved pictures show (their removal curves are measurements of it)."""
    return saliency_job(g.model, g.images["source"], g.inputs["target"], control=c, curves=False)


@dataclass(frozen=True)
class JobKind:
    """One row: ``inputs`` it needs (one of a tuple of alternatives),
    ``files`` (photo roles), ``start(given, control)`` -> the generator,
    ``picture(last_frame, value, output, inputs)``, the ``outputs`` it saves;
    ``after``: the job whose result it is made from (module docstring)."""

    title: str
    params: type
    inputs: tuple[tuple[str, ...], ...]
    files: tuple[str, ...]
    start: Callable[[Given, Control], Iterator[Frame]]
    picture: Callable[[Frame | None, Any, str, dict], np.ndarray] = _last_image
    outputs: tuple[str, ...] = ("image",)
    after: str | None = None


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
    "fullsize": JobKind("Fooling image at the photo's size", FoolParams, (("target",),), ("source",),
                        lambda g, c: fool_full_size(g.model, g.images["source"], g.parent, control=c),
                        picture=lambda _f, value, _o, _i: value.image, after="fooling"),
    "diverse": JobKind("Diverse visualizations", DiversityParams, (("objective",),), (),
                       lambda g, c: diverse_visualizations(g.model, _objective(g), control=c, seed=g.seed)),
    "saliency": JobKind("Saliency map", SaliencyParams, (("target", "cmap", "opacity"),), ("source",), _saliency,
                        picture=_saliency_picture, outputs=("overlay", "map")),
}
