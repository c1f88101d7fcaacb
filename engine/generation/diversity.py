"""Diverse visualizations of one objective (Olah, Mordvintsev & Schubert
2017, "Feature Visualization", section Diversity): a batch of ``count``
images optimised together, each maximising the objective, while a
diversity term pushes their styles apart:

    loss = - sum_n J(x_n) + w * mean_{n != m} cos(G(a(x_n)), G(a(x_m)))

where ``a`` is the activation map of the objective's first layer and ``G``
its Gram matrix (channel correlations, flattened).  The images use the
Fourier parameterisation and the random view of class visualization.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..jobs import Control, Frame, interrupt_here
from ..params import Params, param
from .grey_image import as_seen_by
from .loop import AdamStep, optimize
from .parameterizations import FourierImage
from .transforms import robust_view
from .unit_objectives import UnitObjective

__all__ = ["DiversityParams", "diverse_visualizations", "gram_similarity"]


@dataclass(frozen=True)
class DiversityParams(Params):
    """A batch of visualizations of one objective, pushed apart."""

    count: int = param(4, "Images", low=2, high=8, live=False, help="How many visualizations are made together")
    weight: float = param(50.0, "Diversity weight", low=0.0, high=1e4, step=5.0, decimals=1, slider=(0.0, 200.0),
                          help="Weight of the Gram-matrix similarity between the images (0: independent)")
    size: int = param(128, "Image size", low=32, high=512, step=16, unit="px", live=False,
                      help="Side of each generated square image")
    steps: int = param(256, "Steps", low=0, high=100_000, step=10, help="Optimisation steps")
    lr: float = param(0.05, "Learning rate", low=0.0, high=10.0, step=0.01, decimals=3, slider=(0.0, 0.2),
                      help="Adam step on the Fourier spectra")


def gram_similarity(features: torch.Tensor) -> torch.Tensor:
    """Mean cosine similarity of the (N,C,H,W) maps' Gram matrices over all
    ordered pairs of different images (0 for a single image)."""
    n, c = features.shape[:2]
    if n < 2:
        return features.new_zeros(())
    flat = features.reshape(n, c, -1)
    gram = (flat @ flat.transpose(1, 2)).reshape(n, -1)
    unit = gram / gram.norm(dim=1, keepdim=True).clamp_min(1e-12)
    cos = unit @ unit.T
    return (cos.sum() - cos.diagonal().sum()) / (n * (n - 1))


def _strip(images: list[np.ndarray], gap: int = 4) -> np.ndarray:
    h = images[0].shape[0]
    out = np.full((h, len(images) * (h + gap) - gap, 3), 255, np.uint8)
    for k, im in enumerate(images):
        out[:, k * (h + gap):k * (h + gap) + h] = im
    return out


def diverse_visualizations(model, objective: UnitObjective, params: DiversityParams | None = None,
                           control: Control | None = None, *, seed: int = 0) -> Iterator[Frame]:
    """Job: ``params.count`` images of ``objective`` pushed apart.  Frames show
    them side by side (``extra['images']``: the list) with metrics
    ``objective`` (mean over the images) and ``similarity`` (mean Gram
    cosine); returns the list of uint8 images."""
    control = control or Control(params or DiversityParams())
    p0: DiversityParams = control.params
    objective.check(model)
    generator = torch.Generator().manual_seed(int(seed))
    rng = random.Random(int(seed))
    images = [as_seen_by(model, FourierImage(p0.size, p0.size, mean=model.mean, std=model.std, generator=generator,
                                             decay=1.25)) for _ in range(p0.count)]
    tensors = [t for im in images for t in im.tensors]
    rule = AdamStep(tensors)
    grey = model.from_pixels(torch.full_like(model.mean, 127.5))
    style_layer = objective.layers[0]

    def gradient(p: DiversityParams, step: int) -> dict[str, torch.Tensor]:
        x = interrupt_here(torch.cat([im.image() for im in images]), control)
        view = robust_view(x, rng, pad_width=12, jitter_px=8, scale=0.2, degrees=15.0, fill=grey)
        if view.shape[-1] < model.input_size:
            view = torch.nn.functional.interpolate(view, size=(model.input_size,) * 2, mode="bilinear",
                                                   align_corners=True)
        features = model.features_at(view, objective.layers)
        score = sum(u.weight * features[u.layer][:, u.channel].mean(dim=(-2, -1)) for u in objective.units
                    if u.position is None) + sum(
            u.weight * features[u.layer][:, u.channel, min(u.position[1], features[u.layer].shape[-2] - 1),
                                         min(u.position[0], features[u.layer].shape[-1] - 1)]
            for u in objective.units if u.position is not None)
        similarity = gram_similarity(features[style_layer])
        (-score.sum() + p.weight * similarity).backward()
        return {"objective": score.mean().detach(), "similarity": similarity.detach()}

    def render() -> list[np.ndarray]:
        with torch.no_grad():
            return [model.deprocess(im.image()) for im in images]

    result = yield from optimize(tensors=tensors, gradient=gradient, rule=rule, control=control,
                                 steps=lambda p: p.steps, render=lambda: _strip(render()),
                                 extra=lambda: {"label": objective.label})
    final = render()
    yield Frame(step=result.steps, total=control.params.steps, image=_strip(final), metrics=result.metrics,
                extra={"label": objective.label, "images": final, "cancelled": result.cancelled}, final=True)
    return final
