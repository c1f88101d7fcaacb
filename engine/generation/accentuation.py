"""Feature accentuation: what in *this* photo drives a class or a channel.

Hamblin, Fel, Saha, Konkle & Alvarez, "Feature Accentuation: Revealing
'What' Features Respond to in Natural Images" (2024): instead of starting
from noise, the optimisation starts from the user's photo and pushes a
class (or a channel, a neuron: any :class:`.unit_objectives.UnitObjective`)
while a penalty keeps the picture close to the photo::

    x* = argmax_x  S(T(x)) - closeness * D(x, x0)

``D`` is the relative squared distance ``||a(x) - a(x0)||^2 / ||a(x0)||^2``
either of the pixels (normalised input, ``space="pixels"``) or of the
activations of the middle named layer (``space="features"``, the paper's choice: the
picture may change its pixels as long as the network still sees the same
things at that layer).  The photo's features that the objective likes are
strengthened, the rest kept: the picture shows where and what.  The image
is Lucid's Fourier parameterisation warm-started at the photo (no contrast
cap: a photo keeps its own), with the class visualization's random views
(transformation robustness); ``closeness`` is live: lower it while the job
runs to accentuate more, raise it to pull the picture back.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..imaging import model_view
from ..jobs import Control, Frame
from ..params import param
from .classviz import ClassVizParams, Goal, generate
from .objectives import feature_distance
from .parameterizations import make_parameterization
from .unit_objectives import UnitObjective

__all__ = ["AccentParams", "accentuate", "SPACES", "closeness_layer"]

SPACES = (("pixels", "Pixels"), ("features", "Features at the middle layer"))


@dataclass(frozen=True)
class AccentParams(ClassVizParams):
    """:class:`.classviz.ClassVizParams` plus the closeness to the photo:
    ``closeness`` (live) weighs the relative squared distance ``D`` to the
    photo, in ``space`` (pixels, or the activations at the network's middle
    named layer, :func:`closeness_layer`).  ``size`` is the side of the photo's
    square centre view (the view the network classifies)."""

    closeness: float = param(100.0, "Closeness", low=0.0, high=1e6, step=10.0, decimals=1, slider=(0.0, 2000.0),
                             help="Weight of the distance to the photo: lower accentuates more, higher keeps the "
                                  "photo (live)")
    space: str = param("pixels", "Kept close in", choices=SPACES, live=False,
                       help="Where the distance to the photo is measured: its pixels, or the network's features "
                            "at its middle layer")

    @classmethod
    def defaults(cls, parameterization: str = "fourier", **changes) -> AccentParams:
        """The recommended settings (then ``changes``): the Fourier image, free contrast, 96 steps."""
        base = cls(parameterization=parameterization, contrast=0.0, steps=96, lr=0.02)
        return replace(base, **changes)


def closeness_layer(model) -> str:
    """The layer whose features stay close in space ``features``: the middle of
    the model's named layers (``ValueError`` when it names none)."""
    names = model.layer_names
    if not names:
        raise ValueError(f"model {model.name!r} names no layers: keep the photo close in space 'pixels'")
    return names[len(names) // 2]


def accentuate(model, photo: np.ndarray, target: int | str | UnitObjective, params: AccentParams | None = None,
               control: Control | None = None, *, seed: int = 0) -> Iterator[Frame]:
    """Accentuate class ``target`` (index or name) or a unit objective in ``photo`` (uint8 HxWx3).

    Frames as :func:`.classviz.class_visualization`'s, with the metric
    ``distance`` (``D`` to the photo) and, in every frame's extra,
    ``original``: the photo's centre view being accentuated.  Returns the final uint8 image.
    """
    control = control or Control(params or AccentParams.defaults())
    if params is not None and control.params is not params:
        raise ValueError("pass the parameters either as params or inside control, not both")
    p0 = control.params
    if not isinstance(p0, AccentParams):
        raise ValueError("accentuate needs AccentParams in control.params")
    goal = Goal.of(model, target)
    original = model_view(np.asarray(photo, dtype=np.uint8), p0.size, getattr(model, "crop_fraction", 0.875))
    x0 = model.preprocess(original)
    image = make_parameterization(p0.parameterization, p0.size, p0.size, mean=model.mean, std=model.std,
                                  generator=torch.Generator().manual_seed(int(seed)), init=x0, decay=p0.decay,
                                  contrast=p0.contrast)
    penalty = _penalty(model, x0, p0)
    return (yield from generate(model, goal, image, control, random.Random(int(seed)), coarse_to_fine=False,
                                penalty=penalty, extra={"original": original}))


def _penalty(model, x0: torch.Tensor, p0: AccentParams):
    """``penalty(p, x) -> (closeness * D, D)`` for :func:`.classviz.generate`."""
    if p0.space == "pixels":
        def measure(x: torch.Tensor) -> torch.Tensor:
            return feature_distance(x, x0)
    else:
        layer = closeness_layer(model)
        with torch.no_grad():
            anchor = model.features(x0, layer).detach()

        def measure(x: torch.Tensor) -> torch.Tensor:
            return feature_distance(model.features(x, layer), anchor)

    def penalty(p: AccentParams, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        distance = measure(x)
        return p.closeness * distance, distance.detach()

    return penalty
