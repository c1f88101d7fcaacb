"""Lucid's decorrelated colour space, shared by the Fourier and MACO images
and by the natural magnitude spectrum they are measured against.

A generated image is made in a *decorrelated* colour space ``d`` and mapped
to RGB by ``rgb = sigmoid(C_n d)``, ``C_n`` the square root of ImageNet's
colour correlation matrix divided by its largest column norm (Olah et al.,
"Feature Visualization", Distill 2017)."""
from __future__ import annotations

import torch

__all__ = ["COLOR_CORRELATION_SQRT", "colour_matrix", "decorrelate"]

#: Square root of the colour correlation matrix of ImageNet photos (RGB,
#: 0..1 pixels), the constant Lucid uses to decorrelate colour.
COLOR_CORRELATION_SQRT = ((0.26, 0.09, 0.02), (0.27, 0.00, -0.05), (0.27, -0.09, 0.03))


def colour_matrix(device: torch.device | str | None = None) -> torch.Tensor:
    """``C_n`` (3x3): decorrelated colour -> RGB logits."""
    c = torch.tensor(COLOR_CORRELATION_SQRT, dtype=torch.float32, device=device)
    return c / c.norm(dim=0).max()


def decorrelate(rgb01: torch.Tensor) -> torch.Tensor:
    """The inverse map: RGB in 0..1, shape (N,3,H,W), to ``d`` (pixels clipped
    to 0.1%..99.9% so that the inverse sigmoid stays finite)."""
    inverse = torch.linalg.inv(colour_matrix(rgb01.device))
    return torch.einsum("ij,njhw->nihw", inverse, torch.logit(rgb01.clamp(1e-3, 1 - 1e-3)))
