"""DeepDream and guided DeepDream, at any image size.

Mordvintsev, Olah & Tyka, "Inceptionism: Going Deeper into Neural Networks"
(2015) and google/deepdream's ``dream.ipynb``.  Each step::

    g = dJ/dx            J = 0.5 ||a_l(x)||^2        (gradient = activations)
                     or  J = sum_i max_j <a_i(x), g_j>   (guided by a guide image)
    x <- clip(x + lr * g / mean|g|)                  (lr in pixel units)

on a randomly rolled (jittered) image, computed tile by tile
(:mod:`.tiling`) so memory stays bounded for large images.  Octaves: the
image is dreamed from the coarsest scale ``1/octave_scale^(octaves-1)`` up to
full size; at each scale the dream's detail (current image minus the scaled
original) is carried up and added to the next scale's original.  The network
runs only up to the chosen layer.
"""
from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..imaging import fit_within
from ..jobs import Control, Frame
from ..params import Params, param
from .loop import NormalizedStep, optimize
from .objectives import GuidedDot, layer_l2
from .tiling import context_margin, layer_stride, tiled_gradient

__all__ = ["DreamParams", "Octave", "skipped_note", "deepdream", "layer_objective", "guide_objective", "octave_sizes",
           "GUIDE_SIZE", "MIN_OCTAVE_SIDE"]

#: The guide image is shrunk to fit this many pixels before its features are taken.
GUIDE_SIZE = 448
#: Octaves whose shorter side would be below this are skipped.
MIN_OCTAVE_SIDE = 32


@dataclass(frozen=True)
class DreamParams(Params):
    """Live parameters of :func:`deepdream`.

    ``steps`` per octave; ``lr``: mean pixel change per step (0..255 units);
    ``jitter``: maximum random roll in pixels; ``octaves``/``octave_scale``:
    number of scales and the ratio between them (read whenever an octave
    starts: the remaining octaves are those of the new pyramid larger than the
    current one); ``tile``: tile side in pixels (0 = whole image at once);
    ``overlap``: context margin of each tile in pixels, or -1 (default) for
    the layer's measured context (:func:`~.tiling.context_margin`: 32 px for
    early layers up to 192 px for the last ones on EfficientNet-Lite0).
    """

    steps: int = param(10, "Steps per octave", low=0, high=10_000,
                       help="Optimisation steps at each scale; change it to run longer or stop earlier")
    lr: float = param(1.5, "Learning rate", low=0.0, high=100.0, step=0.1, decimals=3, unit="grey levels",
                      help="Mean pixel change per step (0..255 units)",
                      slider=(0.0, 5.0))
    jitter: int = param(32, "Jitter", low=0, high=512, unit="px", help="Largest random shift of the image each step",
                        slider=(0, 64))
    octaves: int = param(4, "Octaves", low=1, high=12, help="Number of scales, dreamed from the smallest up",
                         slider=(1, 8))
    octave_scale: float = param(1.4, "Octave scale", low=1.0, strict_low=True, high=4.0, step=0.05,
                                help="Size ratio between octaves",
                                slider=(1.05, 2.0))
    tile: int = param(512, "Tile", low=0, high=8192, step=64, unit="px",
                      help="Process large images in tiles of this size (at least 64); 0 = whole image")
    overlap: int = param(-1, "Tile context", low=-1, high=1024, step=32, unit="px", special="auto",
                         help="Context margin around each tile; -1 = measured for the layer")

    def check(self) -> None:
        if 0 < self.tile < 64:
            raise ValueError(f"tile must be 0 (no tiling) or at least 64 pixels, got {self.tile}")


def octave_sizes(height: int, width: int, octaves: int, scale: float) -> list[tuple[int, int]]:
    """(h, w) of each octave, smallest first, ending with the full size;
    octaves whose shorter side would drop below :data:`MIN_OCTAVE_SIDE` are left out."""
    sizes = []
    for k in range(octaves - 1, -1, -1):
        h, w = int(round(height / scale**k)), int(round(width / scale**k))
        if k == 0 or min(h, w) >= MIN_OCTAVE_SIDE:
            sizes.append((h, w))
    return sizes


def _resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    shrinking = size[0] < x.shape[-2]
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=shrinking)


def _guide_objective(model, guide: np.ndarray, layer: str) -> GuidedDot:
    with torch.no_grad():
        g = model.features(model.preprocess(fit_within(np.asarray(guide, dtype=np.uint8), GUIDE_SIZE)), layer)
    return GuidedDot(g)


def _objective(model, layer: str, guide: np.ndarray | None):
    return layer_l2 if guide is None else _guide_objective(model, guide, layer)


def layer_objective(model, image: np.ndarray, layer: str, *, guide: np.ndarray | None = None, tile: int = 512) -> float:
    """The dream objective of an uint8 image per feature position: the mean of
    ``0.5 ||a_i||^2`` (or, with ``guide``, of ``max_j <a_i, g_j>``), computed
    tile by tile without gradients."""
    x = model.preprocess(np.asarray(image, dtype=np.uint8))
    with torch.no_grad():
        _, total, count = tiled_gradient(model, x, layer, _objective(model, layer, guide), tile=tile,
                                         overlap=context_margin(model, layer) if tile else 0, with_grad=False)
    return float(total) / max(1, count)


def guide_objective(model, image: np.ndarray, layer: str, guide: np.ndarray, tile: int = 512) -> float:
    """Mean best-match dot product of ``image``'s features with ``guide``'s."""
    return layer_objective(model, image, layer, guide=guide, tile=tile)


@dataclass(frozen=True)
class Octave:
    """Which octave a DeepDream frame shows: its number (from 1), its size
    ``(height, width)``, how many octaves the run dreams (``of``), and how many
    of the ``asked`` octaves were too small to dream (``skipped``: their shorter
    side would be under :data:`MIN_OCTAVE_SIDE`)."""

    index: int
    size: tuple[int, int]
    of: int = 0
    skipped: int = 0
    asked: int = 0

    def describe(self) -> str:
        """``octave 1 of 3``, and why not 4 when the smallest was left out."""
        return f"octave {self.index} of {self.of}" + (f" ({self.note()})" if self.skipped else "")

    def note(self) -> str:
        return skipped_note(self.skipped, self.asked)


def skipped_note(skipped: int, asked: int) -> str:
    """``the smallest of 4 octaves, under 32 px, skipped``, or "" when none was."""
    if skipped <= 0:
        return ""
    which = "the smallest" if skipped == 1 else f"the {skipped} smallest"
    return f"{which} of {asked} octaves, under {MIN_OCTAVE_SIDE} px, skipped"


def deepdream(
    model,
    image: np.ndarray,
    layer: str,
    params: DreamParams | None = None,
    control: Control | None = None,
    *,
    guide: np.ndarray | None = None,
    seed: int = 0,
) -> Iterator[Frame]:
    """Dream on ``image`` (uint8 HxWx3, any size) at ``layer``; with
    ``guide`` (uint8 image) the guided objective is used.

    Yields frames (the current octave's image, so early frames are smaller)
    with metrics ``objective`` (per-position objective of the last step) and
    ``octave``, and ``info`` an :class:`Octave`; the last frame is the
    full-size result with ``final=True``, its ``extra["skipped"]`` saying which
    octaves were too small to dream (:func:`skipped_note`; "" when none).
    Continue = run again on the result.  Returns the final uint8 image.
    """
    control = control or Control(params or DreamParams())
    if not isinstance(control.params, DreamParams):
        raise ValueError("deepdream needs DreamParams in control.params")
    model.layer(layer)
    source = np.asarray(image, dtype=np.uint8)
    if source.ndim != 3 or source.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 RGB image, got shape {source.shape}")
    height, width = source.shape[:2]
    dreamer = _Dreamer(model, source, layer, _objective(model, layer, guide), seed)
    x = detail = None
    current: tuple[int, int] = (0, 0)
    done = octave = 0
    cancelled = False
    metrics: dict[str, float] = {}
    info = Octave(0, current)
    while True:
        p: DreamParams = control.params
        sizes = octave_sizes(height, width, p.octaves, p.octave_scale)
        remaining = [s for s in sizes if s[0] * s[1] > current[0] * current[1]]
        if not remaining or control.cancelled:
            break
        size, octave = remaining[0], octave + 1
        base = dreamer.base_at(size)
        x = (base + _resize(detail, size)) if detail is not None else base.clone()
        x.requires_grad_(True)
        info = Octave(octave, size, octave - 1 + len(remaining), p.octaves - len(sizes), p.octaves)
        result = yield from dreamer.octave(x, control, info, done, len(remaining))
        done += result.steps
        metrics = dict(result.metrics, octave=float(octave))
        current = size
        detail = x.detach() - base  # what the dream added, carried up to the next octave
        del base
        if result.cancelled:
            cancelled = True
            break
    final = dreamer.final_image(x, detail, (height, width))
    yield Frame(step=done, total=done, image=final, metrics=metrics,
                extra={"layer": layer, "guided": guide is not None, "cancelled": cancelled or control.cancelled,
                       "skipped": skipped_note(info.skipped, info.asked)}, final=True)
    return final


class _Dreamer:
    """The fixed pieces of one dream: the model and layer, the objective, the jitter's random
    numbers, the original (uint8, on the device; each octave makes its float copy) and the
    layer's context margin, measured once when a step first needs it."""

    def __init__(self, model, source: np.ndarray, layer: str, objective, seed: int) -> None:
        self.model, self.source, self.layer, self.objective = model, source, layer, objective
        self.rng = random.Random(int(seed))
        self.stride = layer_stride(model, layer)
        self.original = torch.from_numpy(source.copy()).to(model.device).permute(2, 0, 1).unsqueeze(0)
        self.lo, self.hi = model.input_range

    @functools.cached_property
    def measured_margin(self) -> int:
        return context_margin(self.model, self.layer)

    def overlap(self, p: DreamParams) -> int:
        return p.overlap if p.overlap >= 0 else self.measured_margin

    def base_at(self, size: tuple[int, int]) -> torch.Tensor:
        """The normalised original at ``size`` (normalised in place: one full-size float copy)."""
        return _resize(self.original.float().sub_(self.model.mean).div_(self.model.std), size)

    def octave(self, x: torch.Tensor, control: Control, info: Octave, done: int, n_left: int):
        """Optimise ``x`` at one scale (a generator of frames; returns the loop's result)."""
        return (yield from optimize(
            tensors=[x], gradient=functools.partial(self.gradient, x), rule=NormalizedStep([x], self.model.std),
            control=control, steps=lambda p: p.steps, render=functools.partial(self.render, x),
            after_step=functools.partial(self.clamp, x), step_offset=done,
            total=lambda p: done + n_left * p.steps, info=lambda: info,
        ))

    def gradient(self, x: torch.Tensor, p: DreamParams, step: int) -> dict[str, torch.Tensor]:
        """``x.grad``: minus the objective's gradient on a randomly rolled copy, tile by tile."""
        rng = self.rng
        dy = rng.randint(-p.jitter, p.jitter) if p.jitter else 0
        dx = rng.randint(-p.jitter, p.jitter) if p.jitter else 0
        rolled = torch.roll(x.detach(), shifts=(dy, dx), dims=(-2, -1)) if (dy or dx) else x.detach()
        offset = (rng.randrange(p.tile), rng.randrange(p.tile)) if p.tile else (0, 0)
        g, total, count = tiled_gradient(self.model, rolled, self.layer, self.objective, tile=p.tile,
                                         overlap=self.overlap(p), offset=offset, stride=self.stride)
        del rolled
        if dy or dx:
            g = torch.roll(g, shifts=(-dy, -dx), dims=(-2, -1))
        x.grad = g.neg_()  # the rule descends a loss; the loss is -J
        return {"objective": total / max(1, count)}

    def clamp(self, x: torch.Tensor, p: DreamParams, step: int) -> None:
        x.clamp_(min=self.lo, max=self.hi)

    def render(self, x: torch.Tensor) -> np.ndarray:
        return self.model.deprocess(x.detach())

    def final_image(self, x: torch.Tensor | None, detail: torch.Tensor | None, size: tuple[int, int]) -> np.ndarray:
        """The full-size result; stopped at a smaller octave, its detail is carried up to full size."""
        if x is None:
            return self.source.copy()
        if tuple(x.shape[-2:]) == tuple(size):
            return self.model.deprocess(x.detach())
        with torch.no_grad():
            return self.model.deprocess((self.base_at(size) + _resize(detail, size)).clamp_(min=self.lo, max=self.hi))
