"""Vanilla class saliency (Simonyan, Vedaldi & Zisserman, "Deep Inside
Convolutional Networks: Visualising Image Classification Models and
Saliency Maps", ICLR Workshop 2014, §3.1)."""
from __future__ import annotations

import torch

from ._common import AUTO_BATCH, batch_size_for, check_batch, input_gradient, reduce_channels, resolve_targets

__all__ = ["vanilla_saliency"]


def vanilla_saliency(model, x: torch.Tensor, target=None, *, reduction: str = "max",
                     batch_size: int = AUTO_BATCH) -> torch.Tensor:
    """Image-specific class saliency map.

    With ``S_c(x)`` the unnormalised score (logit) of class ``c`` and
    ``w = dS_c/dx`` its gradient with respect to the normalised input tensor
    ``x`` (3,H,W), the map is

        ``M_ij = max_ch |w_{ch,i,j}|``        (``reduction="max"``, §3.1)

    or ``sum_ch |w_{ch,i,j}|`` with ``reduction="sum"``.  One backward pass
    per image, ``batch_size`` images per pass; each image's map equals the
    map computed for it alone.

    Args:
        model: a :class:`engine.models.Classifier`.
        x: normalised (N,3,H,W) tensor (``model.preprocess``).
        target: ``None`` (each image's predicted class), a class index, or
            one index per image.
    Returns:
        (N,H,W) float32 tensor on the model's device, non-negative.
    """
    x = check_batch(model, x)
    batch_size = batch_size_for(model, x, batch_size)
    targets = resolve_targets(model, x, target, batch_size=batch_size)
    return reduce_channels(input_gradient(model, x, targets, batch_size=batch_size), reduction)
