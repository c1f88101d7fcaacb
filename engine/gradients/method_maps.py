"""Several methods' maps of the same images at once, with one noise draw
for the noise tunnel: SmoothGrad, SmoothGrad² and VarGrad read the same
gradients of the same noisy copies (:func:`~.smoothgrad.noise_tunnel`), so
asking for all three costs one tunnel, not three, and each map equals what
the method alone gives with the same seed."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch

from .attribution import SaliencyParams, compute_saliency
from .methods import method
from .smoothgrad import TUNNEL_MAPS, noise_tunnel

__all__ = ["method_maps"]


def method_maps(model, x: torch.Tensor, target, methods: Sequence[str], params: SaliencyParams | None = None, *,
                control=None) -> dict[str, torch.Tensor]:
    """``{method: (N,H,W) map}`` for the normalised batch ``x`` and
    ``target`` (as :func:`~.attribution.compute_saliency`), in the order of
    ``methods``; the noise-tunnel methods share one tunnel."""
    p = params or SaliencyParams()
    for name in methods:
        method(name)  # an unknown name: ValueError naming the choices, before any work
    tunnel = [m for m in methods if m in TUNNEL_MAPS]
    out: dict[str, torch.Tensor] = {}
    if tunnel:
        sums = noise_tunnel(model, x, target, samples=p.samples, noise=p.noise, reduction=p.reduction,
                            batch_size=p.batch_size, seed=p.seed, control=control)
        out = {m: TUNNEL_MAPS[m](sums, p.reduction) for m in tunnel}
    for name in methods:
        if name not in out:
            out[name] = compute_saliency(model, x, target, replace(p, method=name), control=control)
    return {m: out[m] for m in methods}
