"""SmoothGrad (Smilkov, Thorat, Kim, Viégas & Wattenberg, "SmoothGrad:
removing noise by adding noise", ICML Workshop on Visualization for Deep
Learning 2017)."""
from __future__ import annotations

import math

import torch

from ._common import AUTO_BATCH, batch_size_for, check_batch, even_batches, input_gradient, reduce_channels, resolve_targets

__all__ = ["smoothgrad", "NOISE_BLOCK"]

#: The noise is drawn this many samples at a time whatever the batch size,
#: so a seed gives the same map at any batch size (16: the batch size of
#: earlier versions, whose maps it reproduces).
NOISE_BLOCK = 16


def smoothgrad(
    model,
    x: torch.Tensor,
    target=None,
    *,
    samples: int = 25,
    noise: float = 0.15,
    reduction: str = "max",
    batch_size: int = AUTO_BATCH,
    seed: int = 0,
    control=None,
) -> torch.Tensor:
    """Average of vanilla saliency maps of noisy copies of the image:

        ``M^(x) = 1/N sum_{i=1..N} M(x + e_i),   e_i ~ Normal(0, sigma^2)``

    where ``M`` is the vanilla map (``|dS_c/dx|`` reduced over channels,
    :func:`~engine.gradients.vanilla.vanilla_saliency`) and
    ``sigma = noise * (x_max - x_min)`` with ``x_max - x_min`` the width of
    the model's valid normalised input range (per channel).  The paper's
    recommended noise level is 10-20 %; defaults ``N = 25``, ``noise = 0.15``.
    The target class defaults to the prediction for the *clean* image.  The
    noisy copies go through the network in even batches of at most ``batch_size`` (0: the
    device's batch, :attr:`engine.models.Classifier.tuning`); ``seed`` makes
    the noise reproducible, the same at any batch size, without touching the
    global random state.  With a :class:`~engine.jobs.Control`, a
    cancellation raises :class:`~engine.jobs.Cancelled` between batches.

    Returns (N_images,H,W) float32, non-negative, on the model's device.
    """
    x = check_batch(model, x)
    batch_size = batch_size_for(model, x, batch_size)
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise ValueError(f"samples must be a positive integer, got {samples!r}")
    if not (isinstance(noise, (int, float)) and math.isfinite(noise) and 0 <= noise <= 1):
        raise ValueError(f"noise must be a fraction of the input range in [0, 1], got {noise!r}")
    targets = resolve_targets(model, x, target, batch_size=batch_size)
    lo, hi = model.input_range
    sigma = (noise * (hi - lo)).to(x.device)  # (1,3,1,1)
    gen = torch.Generator(device=x.device).manual_seed(int(seed))
    total = torch.zeros(x.shape[0], x.shape[2], x.shape[3], device=x.device)
    for n, (image, t) in enumerate(zip(x, targets)):
        acc = torch.zeros(x.shape[2], x.shape[3], device=x.device)
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
            noisy = image.unsqueeze(0) + eps
            grads = input_gradient(model, noisy, t.expand(count), batch_size=batch_size)
            acc += reduce_channels(grads, reduction).sum(dim=0)
        total[n] = acc / samples
    return total
