"""Integrated Gradients (Sundararajan, Taly & Yan, "Axiomatic Attribution for
Deep Networks", ICML 2017), with the black baseline of the paper or a
blurred-image baseline (Sturmfels, Lundberg & Lee, "Visualizing the Impact
of Feature Attribution Baselines", Distill 2020)."""
from __future__ import annotations

import torch

from ._common import (
    AUTO_BATCH,
    batch_size_for,
    blur_sigma,
    check_batch,
    even_batches,
    gaussian_blur,
    input_gradient,
    reduce_channels,
    resolve_targets,
)

__all__ = ["BASELINES", "make_baseline", "integrated_gradients", "integrated_gradients_map"]

#: Named baselines: ``black`` (all pixels 0) and ``blurred`` (the image
#: blurred with sigma = 4 % of its shorter side, :func:`~._common.blur_sigma`).
BASELINES = ("black", "blurred")


def make_baseline(model, x: torch.Tensor, baseline: str | torch.Tensor) -> torch.Tensor:
    """The baseline tensor ``x'`` (same shape as ``x``, normalised space)."""
    if isinstance(baseline, torch.Tensor):
        base = baseline.detach().to(device=x.device, dtype=x.dtype)
        if base.dim() == 3:
            base = base.unsqueeze(0)
        try:
            return base.expand_as(x).clone()
        except RuntimeError:
            raise ValueError(f"baseline shape {tuple(baseline.shape)} does not match the input {tuple(x.shape)}") from None
    if baseline == "black":
        lo, _ = model.input_range
        return lo.to(x.device).expand_as(x).clone()
    if baseline == "blurred":
        return gaussian_blur(x, blur_sigma(x))
    raise ValueError(f"unknown baseline {baseline!r}; choose one of {', '.join(BASELINES)}")


def integrated_gradients(
    model,
    x: torch.Tensor,
    target=None,
    *,
    baseline: str | torch.Tensor = "black",
    steps: int = 50,
    batch_size: int = AUTO_BATCH,
    control=None,
) -> torch.Tensor:
    """Signed per-channel attributions (N,3,H,W):

        ``IG_i(x) = (x_i - x'_i) * integral_0^1 dS_c(x' + a (x - x'))/dx_i da``

    approximated by the midpoint rule with ``steps`` points
    ``a_k = (k - 1/2) / steps``.  ``S_c`` is the logit of the target class,
    ``x'`` the baseline, both in the normalised input space.  Completeness:
    ``sum_i IG_i(x) -> S_c(x) - S_c(x')`` as ``steps`` grows (the tests check
    it).  The path points are evaluated in even batches of at most ``batch_size``; with a
    :class:`~engine.jobs.Control`, a cancellation raises
    :class:`~engine.jobs.Cancelled` between batches.
    """
    x = check_batch(model, x)
    batch_size = batch_size_for(model, x, batch_size)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    targets = resolve_targets(model, x, target, batch_size=batch_size)
    base = make_baseline(model, x, baseline)
    alphas = (torch.arange(steps, device=x.device, dtype=x.dtype) + 0.5) / steps
    out = torch.empty_like(x)
    for n in range(x.shape[0]):
        delta = x[n] - base[n]
        total = torch.zeros_like(delta)
        for start, count in even_batches(steps, batch_size):
            if control is not None:
                control.raise_if_cancelled()
            a = alphas[start : start + count].view(-1, 1, 1, 1)
            path = base[n].unsqueeze(0) + a * delta.unsqueeze(0)
            grads = input_gradient(model, path, targets[n].expand(a.shape[0]), batch_size=batch_size)
            total += grads.sum(dim=0)
        out[n] = delta * total / steps
    return out


def integrated_gradients_map(model, x: torch.Tensor, target=None, *, reduction: str = "max", **options) -> torch.Tensor:
    """(N,H,W) map: ``|IG|`` reduced over channels (``max`` or ``sum``);
    ``options`` (baseline, steps, batch_size, control) as for
    :func:`integrated_gradients`."""
    return reduce_channels(integrated_gradients(model, x, target, **options), reduction)
