"""One Gaussian blur for the whole engine: the periodic blur of the classic
class-visualization loop (Yosinski et al. 2015) and the blurred baselines and
substrates of Integrated Gradients and the deletion/insertion curves."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["gaussian_kernel", "gaussian_blur"]


def gaussian_kernel(sigma: float, device: torch.device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """A normalised 1-D Gaussian of radius ``ceil(3 sigma)`` (at least 1)."""
    radius = max(1, int(math.ceil(3.0 * sigma)))
    t = torch.arange(-radius, radius + 1, device=device, dtype=dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


def gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of an (N,C,H,W) tensor with standard deviation
    ``sigma`` pixels, reflecting at the borders; returns a new tensor.

    ``sigma == 0`` gives an unchanged copy; a negative or non-finite sigma is
    a ``ValueError``.  Along an axis shorter than the kernel the kernel is cut
    to the image (reflection needs ``radius < size``) and renormalised."""
    sigma = float(sigma)
    if not (math.isfinite(sigma) and sigma >= 0):
        raise ValueError(f"blur sigma must be a non-negative number, got {sigma}")
    if sigma == 0:
        return x.clone()
    k = gaussian_kernel(sigma, x.device, x.dtype)
    c = x.shape[1]
    h, w = x.shape[-2:]
    r = k.numel() // 2
    ry, rx = min(r, h - 1), min(r, w - 1)
    ky = k[r - ry : r + ry + 1] / k[r - ry : r + ry + 1].sum()
    kx = k[r - rx : r + rx + 1] / k[r - rx : r + rx + 1].sum()
    out = x
    if rx > 0:
        out = F.conv2d(F.pad(out, (rx, rx, 0, 0), mode="reflect"), kx.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)
    if ry > 0:
        out = F.conv2d(F.pad(out, (0, 0, ry, ry), mode="reflect"), ky.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)
    return out if out is not x else x.clone()
