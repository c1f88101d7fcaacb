"""Grad-CAM (Selvaraju, Cogswell, Das, Vedantam, Parikh & Batra, "Grad-CAM:
Visual Explanations from Deep Networks via Gradient-based Localization",
ICCV 2017) on any named layer of a classifier."""
from __future__ import annotations

import threading

import torch
import torch.nn.functional as F

from ._common import AUTO_BATCH, batch_size_for, check_batch, class_scores, frozen_parameters, resolve_targets

__all__ = ["grad_cam", "default_cam_layer"]


def default_cam_layer(model) -> str:
    """The model's own choice (:meth:`Classifier.default_layer`, e.g. a ViT's
    next-to-last block), else the last named layer (the last convolutional feature map)."""
    chosen = model.default_layer("cam") if hasattr(model, "default_layer") else None
    return chosen.layer if chosen is not None else model.layer_names[-1]


def grad_cam(model, x: torch.Tensor, target=None, *, layer: str | None = None, batch_size: int = AUTO_BATCH) -> torch.Tensor:
    """Class activation map of the feature maps ``A^k`` (K,h,w) of ``layer``:

        ``alpha_k = 1/(h w) sum_ij dS_c/dA^k_ij``
        ``L_c = ReLU(sum_k alpha_k A^k)``

    with ``S_c`` the logit of the target class, upsampled bilinearly to the
    input's H x W.  The layer's output is captured with a forward hook that
    makes it a fresh leaf of the graph, so the backward pass stops there;
    the hook ignores forward passes of other threads through the same model.

    Returns (N,H,W) float32, non-negative, on the model's device.  Raises
    ``ValueError`` for an unknown layer or one whose output is not (N,K,h,w).
    """
    x = check_batch(model, x)
    batch_size = batch_size_for(model, x, batch_size)
    name = layer or default_cam_layer(model)
    module = model.layer(name)
    targets = resolve_targets(model, x, target, batch_size=batch_size)
    maps = []
    with frozen_parameters(model.net), torch.enable_grad():
        for i in range(0, x.shape[0], batch_size):
            captured: list[torch.Tensor] = []

            def hook(_module, _inputs, output, captured=captured, owner=threading.get_ident()):  # noqa: B008
                if threading.get_ident() != owner:
                    return None  # another thread's forward pass through the shared model
                if not isinstance(output, torch.Tensor) or output.dim() != 4:
                    raise ValueError(f"layer {name!r} does not output a (N,K,h,w) feature map")
                leaf = output.detach().requires_grad_(True)
                captured.append(leaf)
                return leaf

            handle = module.register_forward_hook(hook)
            try:
                score = class_scores(model, x[i : i + batch_size], targets[i : i + batch_size]).sum()
            finally:
                handle.remove()
            if len(captured) != 1:
                raise ValueError(f"layer {name!r} ran {len(captured)} times in one forward pass; Grad-CAM needs exactly one")
            acts = captured[0]
            (grad,) = torch.autograd.grad(score, acts)
            weights = grad.mean(dim=(2, 3), keepdim=True)
            cam = F.relu((weights * acts).sum(dim=1, keepdim=True)).detach()
            if cam.shape[-2:] != x.shape[-2:]:
                cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)
            maps.append(cam[:, 0])
    return torch.cat(maps)
