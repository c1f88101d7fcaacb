"""Image transforms for generation, in the model's normalised input space.

Two kinds:

* **Differentiable, random views** applied before the network each step
  (transformation robustness, Mordvintsev et al., "Feature Visualization",
  Distill 2017; Olah et al. 2017): :func:`jitter` (a random circular roll;
  autograd rolls the gradient back, i.e. roll/unroll), :func:`pad`,
  :func:`scale_rotate` (a small random scale and rotation) and
  :func:`robust_view`, the usual pipeline ``pad -> jitter -> scale/rotate ->
  jitter``.
* **In-place image operations** applied after an update (on plain pixels):
  :func:`gaussian_blur` (the periodic blur of Yosinski et al., "Understanding
  Neural Networks Through Deep Visualization", 2015) and clamping to the valid
  pixel range (``Classifier.clamp``).

Randomness comes from a ``random.Random`` owned by the job (seeded), so the
views are reproducible and choosing them costs no device synchronisation.
"""
from __future__ import annotations

import math
import random

import torch
import torch.nn.functional as F

from ..blur import gaussian_blur, gaussian_kernel
from ..jobs import interrupt_here

__all__ = ["jitter", "pad", "scale_rotate", "robust_view", "gaussian_blur", "gaussian_kernel"]


def jitter(x: torch.Tensor, max_shift: int, rng: random.Random) -> torch.Tensor:
    """Roll the image circularly by a random ``(dy, dx)`` in ``[-max_shift, max_shift]``.

    The gradient of the rolled view with respect to ``x`` is the rolled-back
    gradient, so this is the jitter/unjitter of the classic class
    visualization loop expressed once."""
    max_shift = int(max_shift)
    if max_shift <= 0:
        return x
    dy = rng.randint(-max_shift, max_shift)
    dx = rng.randint(-max_shift, max_shift)
    if dy == 0 and dx == 0:
        return x
    return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))


def pad(x: torch.Tensor, width: int, fill: torch.Tensor | None = None) -> torch.Tensor:
    """Pad every side by ``width`` pixels with the per-channel value ``fill``
    (shape (1,3,1,1); grey in the model's space), or zeros when ``None``."""
    width = int(width)
    if width <= 0:
        return x
    out = F.pad(x, (width, width, width, width), value=0.0)
    if fill is not None:
        mask = torch.ones_like(x[:, :1])
        mask = F.pad(mask, (width, width, width, width), value=0.0)
        out = out + (1.0 - mask) * fill
    return out


def scale_rotate(x: torch.Tensor, scale: float, degrees: float, fill: torch.Tensor | None = None) -> torch.Tensor:
    """Resample ``x`` scaled by ``scale`` and rotated by ``degrees`` about
    its centre (bilinear; the output keeps the input size; uncovered corners
    take ``fill``)."""
    if scale == 1.0 and degrees == 0.0:
        return x
    theta = math.radians(degrees)
    cos, sin = math.cos(theta) / scale, math.sin(theta) / scale
    h, w = x.shape[-2:]
    # affine_grid works in [-1, 1] coordinates of each axis; correct the
    # aspect ratio so the rotation is a rotation in pixel space.
    matrix = torch.tensor(
        [[cos, -sin * h / w, 0.0], [sin * w / h, cos, 0.0]], dtype=x.dtype, device=x.device
    ).unsqueeze(0).expand(x.shape[0], 2, 3)
    grid = F.affine_grid(matrix, list(x.shape), align_corners=False)
    if fill is None:
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    shifted = F.grid_sample(x - fill, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return shifted + fill


def robust_view(
    x: torch.Tensor,
    rng: random.Random,
    *,
    pad_width: int,
    jitter_px: int,
    scale: float,
    degrees: float,
    fill: torch.Tensor | None = None,
) -> torch.Tensor:
    """Lucid's transformation-robustness pipeline with live amounts: pad by
    ``pad_width``; jitter by up to ``jitter_px``; scale by a random factor in
    ``[1 - scale, 1 + scale]`` and rotate by a random angle in
    ``[-degrees, degrees]``; jitter again by up to ``jitter_px // 2``."""
    x = interrupt_here(pad(x, pad_width, fill))  # a Stop lands between the pieces (each a while at 1024 px)
    x = interrupt_here(jitter(x, jitter_px, rng))
    s = 1.0 + rng.uniform(-scale, scale) if scale > 0 else 1.0
    a = rng.uniform(-degrees, degrees) if degrees > 0 else 0.0
    x = interrupt_here(scale_rotate(x, s, a, fill))
    return jitter(x, jitter_px // 2, rng)
