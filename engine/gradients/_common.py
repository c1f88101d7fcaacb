"""Plumbing shared by the gradient methods: target resolution, input
gradients of class scores, channel reduction and a Gaussian blur.

Input space.  Every method here differentiates with respect to the
*normalised* tensor the network sees, ``x = (pixels - mean) / std``
(see :class:`engine.models.Classifier`), and returns maps for that tensor's
pixel grid.  The class score is the *unnormalised* score, i.e. the logit
``S_c(x)`` before the softmax (Simonyan et al. 2014, §3.1).

Autograd hygiene, as captum does it: the caller's tensor is never modified
(each chunk becomes a fresh leaf that requires grad), and the network's
parameters have their ``requires_grad`` flags saved, switched off for the
computation (no weight gradients are computed) and restored afterwards.
"""
from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from ..blur import gaussian_blur

__all__ = [
    "REDUCTIONS",
    "check_batch",
    "check_batch_size",
    "AUTO_BATCH",
    "batch_size_for",
    "even_batches",
    "frozen_parameters",
    "resolve_targets",
    "class_scores",
    "input_gradient",
    "reduce_channels",
    "gaussian_blur",
    "blur_sigma",
]

#: Channel reductions of ``|gradient|``: ``max`` as in Simonyan et al. §3.1, or ``sum``.
REDUCTIONS = ("max", "sum")


def check_batch(model, x: torch.Tensor) -> torch.Tensor:
    """Validate a normalised (N,3,H,W) float tensor and put it on the model's device."""
    if not isinstance(x, torch.Tensor):
        raise TypeError("expected a normalised (N,3,H,W) tensor; use model.preprocess(image)")
    if x.dim() == 3:
        x = x[None]
    if x.dim() != 4 or x.shape[1] != 3:
        raise ValueError(f"expected a (N,3,H,W) tensor, got shape {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError("the batch is empty")
    if not torch.isfinite(x).all():
        raise ValueError("the input tensor contains NaN or infinite values")
    return x.detach().to(device=model.device, dtype=torch.float32)


#: ``batch_size=AUTO_BATCH``: as many images per pass as the model's device
#: runs fastest (:attr:`engine.models.Classifier.tuning`, :func:`engine.device.device_tuning`).
AUTO_BATCH = 0


def check_batch_size(batch_size: int) -> int:
    """A positive integer, or :data:`AUTO_BATCH` (0); else ``ValueError``."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < AUTO_BATCH:
        raise ValueError(f"batch_size must be a positive integer or 0 (auto), got {batch_size!r}")
    return batch_size


def batch_size_for(model, x: torch.Tensor, batch_size: int) -> int:
    """``batch_size`` checked, with :data:`AUTO_BATCH` resolved for ``x``'s image size
    from the model's device tuning (16 for a model without one)."""
    if check_batch_size(batch_size) != AUTO_BATCH:
        return batch_size
    tuning = getattr(model, "tuning", None)
    return tuning.batch_for(*x.shape[-2:]) if tuning is not None else 16


@contextlib.contextmanager
def frozen_parameters(net: nn.Module) -> Iterator[None]:
    """Switch off ``requires_grad`` on every parameter for the duration and
    restore each flag afterwards (no weight gradients are built)."""
    saved = [(p, p.requires_grad) for p in net.parameters()]
    try:
        for p, _ in saved:
            p.requires_grad_(False)
        yield
    finally:
        for p, flag in saved:
            p.requires_grad_(flag)


def even_batches(total: int, batch_size: int) -> list[tuple[int, int]]:
    """``(start, count)`` of the fewest batches of at most ``batch_size`` that
    cover ``total`` items, as even as possible (25 at 8: 7, 6, 6, 6 rather
    than 8, 8, 8, 1, whose last image would run at batch 1's cost)."""
    n = -(-total // batch_size)
    base, extra = divmod(total, n)
    out, start = [], 0
    for k in range(n):
        count = base + (k < extra)
        out.append((start, count))
        start += count
    return out


def resolve_targets(model, x: torch.Tensor, target, *, batch_size: int = AUTO_BATCH) -> torch.Tensor:
    """Class indices (N,) long on the model's device.

    ``target`` may be ``None`` (the predicted class of each image), an int
    (the same class for all), or one index per image (sequence or tensor).
    """
    n = x.shape[0]
    classes = len(model.labels)
    if target is None:
        batch_size = batch_size_for(model, x, batch_size)
        with torch.inference_mode():
            preds = [model.logits(x[i : i + batch_size]).argmax(dim=1) for i in range(0, n, batch_size)]
        return torch.cat(preds)  # made outside inference mode: a plain tensor autograd may save
    if isinstance(target, bool):
        raise ValueError(f"invalid target class {target!r}")
    if isinstance(target, int):
        indices = [target] * n
    elif isinstance(target, torch.Tensor):
        indices = [int(t) for t in target.reshape(-1).tolist()]
    elif isinstance(target, Sequence) and not isinstance(target, str):
        indices = [int(t) for t in target]
    else:
        raise ValueError(f"invalid target {target!r}: give a class index, one index per image, or None")
    if len(indices) != n:
        raise ValueError(f"{len(indices)} targets given for {n} images")
    for t in indices:
        if not 0 <= t < classes:
            raise ValueError(f"target class {t} is out of range 0..{classes - 1}")
    return torch.tensor(indices, dtype=torch.long, device=x.device)


def class_scores(model, x: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Unnormalised scores ``S_c(x)`` (logits) of the target classes, shape (N,)."""
    return model.logits(x).gather(1, targets.view(-1, 1)).squeeze(1)


def input_gradient(model, x: torch.Tensor, targets: torch.Tensor, *, batch_size: int = AUTO_BATCH) -> torch.Tensor:
    """``dS_c/dx`` for each image, shape (N,3,H,W), computed in chunks of
    ``batch_size`` (:data:`AUTO_BATCH`: the device's).  Images of a chunk are
    independent (eval mode), so the gradient of the summed scores is each
    image's own gradient."""
    batch_size = batch_size_for(model, x, batch_size)
    grads = []
    with frozen_parameters(model.net), torch.enable_grad():
        for i in range(0, x.shape[0], batch_size):
            leaf = x[i : i + batch_size].detach().requires_grad_(True)
            score = class_scores(model, leaf, targets[i : i + batch_size]).sum()
            (grad,) = torch.autograd.grad(score, leaf)
            grads.append(grad)
    return torch.cat(grads)


def reduce_channels(values: torch.Tensor, reduction: str = "max") -> torch.Tensor:
    """(N,C,H,W) -> (N,H,W): ``max_c |v|`` (Simonyan et al. §3.1) or ``sum_c |v|``."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"unknown channel reduction {reduction!r}; choose one of {', '.join(REDUCTIONS)}")
    magnitude = values.abs()
    return magnitude.amax(dim=1) if reduction == "max" else magnitude.sum(dim=1)


def blur_sigma(x: torch.Tensor) -> float:
    """The blur used for blurred baselines and substrates: sigma = 4% of the
    shorter image side (9 pixels at 224x224), enough to remove object detail
    while keeping the colour layout."""
    return 0.04 * min(x.shape[-2:])
