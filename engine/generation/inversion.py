"""Feature inversion: an image whose features at one layer match a photo's.

Mahendran & Vedaldi, "Understanding Deep Image Representations by Inverting
Them" (CVPR 2015)::

    x* = argmin_x  ||a_l(x) - a_l(x0)||^2 / ||a_l(x0)||^2
                   + tv * TV(x)/n + l2 * ||x||^2/n

from seeded noise, with Adam.  The network runs only up to layer ``l``
(``Classifier.features`` stops the forward pass there).  Shallow layers
reconstruct almost the photo; deep layers keep the semantics (object parts,
textures) and lose the exact geometry and colours.
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..imaging import model_view
from ..jobs import Control, Frame, interrupt_here
from ..params import Params, param
from .classviz import renderer
from .grey_image import as_seen_by
from .loop import AdamStep, optimize
from .objectives import feature_distance
from .parameterizations import PARAMETERIZATION_TITLES, make_parameterization
from .prior_params import l2_weight, periodic_blur_every, periodic_blur_sigma, tv_weight
from .regularizers import l2_penalty, total_variation

__all__ = ["InversionParams", "feature_inversion", "relative_feature_distance"]


@dataclass(frozen=True)
class InversionParams(Params):
    """Live parameters of :func:`feature_inversion` (``parameterization``
    and ``size`` are read once at the start).

    ``lr``: Adam learning rate (normalised units for pixels; spectrum units
    for fourier).  ``tv``/``l2``: prior weights.  ``blur_every``/``blur_sigma``:
    periodic blur of plain pixels (0 = never).  ``size``: side of the square
    centre crop that is inverted.
    """

    parameterization: str = param("pixels", "Parameterisation", choices=PARAMETERIZATION_TITLES, live=False,
                                  help="How the image is represented while it is optimised")
    size: int = param(224, "Image size", low=16, high=1024, step=16, unit="px", live=False,
                      help="Side of the square centre crop that is inverted")
    steps: int = param(200, "Steps", low=0, high=100_000, step=10,
                       help="Optimisation steps; change it to run longer or stop earlier")
    lr: float = param(0.05, "Learning rate", low=0.0, high=10.0, step=0.01, decimals=3, help="Adam step",
                      slider=(0.0, 0.2))
    tv: float = tv_weight(0.5)
    l2: float = l2_weight(0.0)
    blur_every: int = periodic_blur_every()
    blur_sigma: float = periodic_blur_sigma()


@torch.no_grad()
def relative_feature_distance(model, image: np.ndarray, target: np.ndarray, layer: str) -> float:
    """``||a_l(image) - a_l(target)||^2 / ||a_l(target)||^2`` for two
    same-size uint8 images."""
    a = model.features(model.preprocess(image), layer)
    b = model.features(model.preprocess(target), layer)
    return float(feature_distance(a, b))


def feature_inversion(
    model,
    image: np.ndarray,
    layer: str,
    params: InversionParams | None = None,
    control: Control | None = None,
    *,
    seed: int = 0,
    init: np.ndarray | None = None,
) -> Iterator[Frame]:
    """Reconstruct the centre crop of ``image`` from its ``layer`` features.

    Yields frames with metrics ``distance`` (relative feature distance, the
    objective), ``tv`` and ``l2``; ``Frame.extra["original"]`` of the final
    frame is the crop being inverted.  ``init`` (uint8) warm-starts from an
    image (resized to the crop size).  Returns the final uint8 image.
    """
    control = control or Control(params or InversionParams())
    p0: InversionParams = control.params
    if not isinstance(p0, InversionParams):
        raise ValueError("feature_inversion needs InversionParams in control.params")
    model.layer(layer)  # unknown layer -> ValueError naming the layers
    original = model_view(np.asarray(image, dtype=np.uint8), p0.size, getattr(model, "crop_fraction", 0.875))
    with torch.no_grad():
        target = model.features(model.preprocess(original), layer).detach()
    generator = torch.Generator().manual_seed(int(seed))
    start = None
    if init is not None:
        from ..imaging import resize

        start = model.preprocess(resize(np.asarray(init, dtype=np.uint8), (p0.size, p0.size)))
    param = as_seen_by(model, make_parameterization(p0.parameterization, p0.size, p0.size, mean=model.mean,
                                                    std=model.std, generator=generator, init=start))
    rule = AdamStep(param.tensors)

    def gradient(p: InversionParams, step: int) -> dict[str, torch.Tensor]:
        x = interrupt_here(param.image(), control)
        distance = feature_distance(model.features(x, layer), target)
        tv = total_variation(x)
        l2 = l2_penalty(x)
        (distance + p.tv * tv + p.l2 * l2).backward()
        return {"distance": distance.detach(), "tv": tv.detach(), "l2": l2.detach()}

    after_step, render = functools.partial(param.after_step, model), renderer(model, param)

    first = render()  # drawn now, not after a Stop in the first step (35 ms at 1024 px)
    result = yield from optimize(
        tensors=param.tensors, gradient=gradient, rule=rule, control=control,
        steps=lambda p: p.steps, render=render, after_step=after_step, start_image=first,
    )
    final = result.image if result.image is not None else render()
    yield Frame(step=result.steps, total=control.params.steps, image=final, metrics=result.metrics,
                extra={"original": original, "layer": layer, "cancelled": result.cancelled}, final=True)
    return final
