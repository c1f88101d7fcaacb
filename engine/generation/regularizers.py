"""Image priors used as penalties during image generation.

Both work on a (N,3,H,W) tensor in the model's normalised input space and
return a scalar that the optimisation loop *subtracts* from the objective
(times its weight).

* :func:`l2_penalty` -- ``R(x) = ||x||_2^2 / n``, the weight decay of
  Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional Networks" (2014).
* :func:`total_variation` -- ``TV_beta(x) = sum (dx^2 + dy^2)^(beta/2) / n``,
  the smoothness prior of Mahendran & Vedaldi, "Understanding Deep Image
  Representations by Inverting Them" (CVPR 2015).

Both are means over elements rather than sums, so their weights do not depend
on the image size.
"""
from __future__ import annotations

import torch

__all__ = ["l2_penalty", "total_variation"]


def l2_penalty(x: torch.Tensor) -> torch.Tensor:
    """Mean squared value of the image, ``||x||^2 / numel``."""
    return x.pow(2).mean()


def total_variation(x: torch.Tensor, beta: float = 2.0) -> torch.Tensor:
    """Mean of ``(dx^2 + dy^2)^(beta / 2)`` over the (H-1)x(W-1) interior
    grid; ``beta = 2`` is the squared-gradient form, ``beta = 1`` the
    edge-preserving one (a small epsilon keeps its gradient finite)."""
    if x.shape[-1] < 2 or x.shape[-2] < 2:
        return x.new_zeros(())
    dx = x[..., :-1, 1:] - x[..., :-1, :-1]
    dy = x[..., 1:, :-1] - x[..., :-1, :-1]
    squared = dx.pow(2) + dy.pow(2)
    if beta == 2.0:
        return squared.mean()
    return (squared + 1e-8).pow(beta / 2.0).mean()
