"""The noise tunnel: SmoothGrad (Smilkov, Thorat, Kim, Viégas & Wattenberg,
"SmoothGrad: removing noise by adding noise", ICML Workshop on Visualization
for Deep Learning 2017), SmoothGrad² (Hooker, Erhan, Kindermans & Kim, "A
Benchmark for Interpretability Methods in Deep Neural Networks", NeurIPS
2019, §4: the mean of the *squared* gradients) and VarGrad (Adebayo, Gilmer,
Goodfellow & Kim, "Local Explanation Methods for Deep Neural Networks Lack
Sensitivity to Parameter Values", ICLR Workshop 2018: their variance).

All three read the same gradients of the same noisy copies, so one pass,
:func:`noise_tunnel`, gathers what each needs and each method is one line."""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ._common import AUTO_BATCH, batch_size_for, check_batch, even_batches, input_gradient, reduce_channels, resolve_targets

__all__ = ["smoothgrad", "smoothgrad_squared", "vargrad", "noise_tunnel", "TunnelSums", "NOISE_BLOCK", "TUNNEL_MAPS"]

#: The noise is drawn this many samples at a time whatever the batch size,
#: so a seed gives the same map at any batch size (16: the batch size of
#: earlier versions, whose maps it reproduces).
NOISE_BLOCK = 16


@dataclass(frozen=True)
class TunnelSums:
    """Per image, over the N noisy copies ``x + e_i``, with ``g_i = dS_c/dx(x + e_i)``
    (each (N_images,...) on the model's device):

    * ``maps``: ``1/N sum_i reduce_c |g_i|`` (N_images,H,W)
    * ``mean``: ``1/N sum_i g_i`` (N_images,3,H,W)
    * ``square``: ``1/N sum_i g_i^2`` (N_images,3,H,W)
    """

    maps: torch.Tensor
    mean: torch.Tensor
    square: torch.Tensor

    def squared(self, reduction: str) -> torch.Tensor:
        """SmoothGrad²'s map: the channel reduction of the mean squared gradient."""
        return reduce_channels(self.square, reduction)

    def variance(self, reduction: str) -> torch.Tensor:
        """VarGrad's map: the channel reduction of the gradient's variance (clamped at 0 against rounding)."""
        return reduce_channels((self.square - self.mean * self.mean).clamp_min(0.0), reduction)


def _check(samples, noise) -> None:
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and 0 <= noise <= 1):
        raise ValueError(f"noise must be a fraction of the input range in [0, 1], got {noise!r}")


def noise_tunnel(model, x: torch.Tensor, target=None, *, samples: int = 25, noise: float = 0.15,
                 reduction: str = "max", batch_size: int = AUTO_BATCH, seed: int = 0, control=None) -> TunnelSums:
    """Gradients of ``samples`` noisy copies ``x + e_i``, ``e_i ~ Normal(0, sigma^2)``
    with ``sigma = noise * (x_max - x_min)`` (the width of the model's valid
    normalised input range, per channel), gathered as :class:`TunnelSums`.

    The target class defaults to the prediction for the *clean* image.  The
    noisy copies go through the network in even batches of at most
    ``batch_size`` (0: the device's); ``seed`` makes the noise reproducible,
    the same at any batch size, without touching the global random state.
    With a :class:`~engine.jobs.Control`, a cancellation raises
    :class:`~engine.jobs.Cancelled` between batches."""
    x = check_batch(model, x)
    batch_size = batch_size_for(model, x, batch_size)
    _check(samples, noise)
    reduce_channels(x[:1, :, :1, :1], reduction)  # refuses an unknown reduction before any work
    targets = resolve_targets(model, x, target, batch_size=batch_size)
    lo, hi = model.input_range
    sigma = (noise * (hi - lo)).to(x.device)  # (1,3,1,1)
    gen = torch.Generator(device=x.device).manual_seed(int(seed))
    maps = torch.zeros(x.shape[0], *x.shape[2:], device=x.device)
    mean, square = torch.zeros_like(x), torch.zeros_like(x)
    for n, (image, t) in enumerate(zip(x, targets)):
        pending = torch.empty((0, *image.shape), device=x.device)
        drawn = 0
        for _start, count in even_batches(samples, batch_size):
            if control is not None:
                control.raise_if_cancelled()
            while pending.shape[0] < count:  # whole blocks of NOISE_BLOCK samples (the last one shorter)
                block = min(NOISE_BLOCK, samples - drawn)
                pending = torch.cat([pending, torch.randn((block, *image.shape), generator=gen, device=x.device)])
                drawn += block
            eps, pending = pending[:count] * sigma, pending[count:]
            grads = input_gradient(model, image.unsqueeze(0) + eps, t.expand(count), batch_size=batch_size)
            maps[n] += reduce_channels(grads, reduction).sum(dim=0)
            mean[n] += grads.sum(dim=0)
            square[n] += (grads * grads).sum(dim=0)
    return TunnelSums(maps / samples, mean / samples, square / samples)


def smoothgrad(model, x: torch.Tensor, target=None, *, samples: int = 25, noise: float = 0.15, reduction: str = "max",
               batch_size: int = AUTO_BATCH, seed: int = 0, control=None) -> torch.Tensor:
    """Average of vanilla saliency maps of noisy copies of the image:

        ``M^(x) = 1/N sum_{i=1..N} M(x + e_i),   e_i ~ Normal(0, sigma^2)``

    where ``M`` is the vanilla map (``|dS_c/dx|`` reduced over channels,
    :func:`~engine.gradients.vanilla.vanilla_saliency`); sigma, batches,
    seed and ``control`` as in :func:`noise_tunnel`.  The paper's
    recommended noise level is 10-20 %; defaults ``N = 25``, ``noise = 0.15``.

    Returns (N_images,H,W) float32, non-negative, on the model's device.
    """
    return noise_tunnel(model, x, target, samples=samples, noise=noise, reduction=reduction, batch_size=batch_size,
                        seed=seed, control=control).maps


def smoothgrad_squared(model, x: torch.Tensor, target=None, *, samples: int = 25, noise: float = 0.15,
                       reduction: str = "max", batch_size: int = AUTO_BATCH, seed: int = 0, control=None) -> torch.Tensor:
    """SmoothGrad² (Hooker et al. 2019, "SG-SQ"): the mean squared gradient,

        ``M_ij = reduce_ch 1/N sum_i (dS_c/dx(x + e_i))_{ch,i,j}^2``

    (``reduce`` = max or sum over colour channels); arguments as :func:`smoothgrad`."""
    return noise_tunnel(model, x, target, samples=samples, noise=noise, reduction=reduction,
                        batch_size=batch_size, seed=seed, control=control).squared(reduction)


def vargrad(model, x: torch.Tensor, target=None, *, samples: int = 25, noise: float = 0.15, reduction: str = "max",
            batch_size: int = AUTO_BATCH, seed: int = 0, control=None) -> torch.Tensor:
    """VarGrad (Adebayo et al. 2018): the variance of the gradient over the noisy copies,

        ``M_ij = reduce_ch ( 1/N sum_i g_i^2 - (1/N sum_i g_i)^2 )``

    (population variance, clamped at 0 against rounding); arguments as :func:`smoothgrad`."""
    return noise_tunnel(model, x, target, samples=samples, noise=noise, reduction=reduction, batch_size=batch_size,
                        seed=seed, control=control).variance(reduction)


#: the methods one noise tunnel gives, each from the same :class:`TunnelSums` (one noise draw for all three)
TUNNEL_MAPS = {"smoothgrad": lambda sums, reduction: sums.maps, "smoothgrad-squared": TunnelSums.squared,
               "vargrad": TunnelSums.variance}
