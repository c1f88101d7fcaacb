"""One entry point for the saliency methods, driven by a frozen, validated
parameter set (the GUI changes it live, the CLI builds it from options)."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch

from ._common import REDUCTIONS
from .gradcam import grad_cam
from .integrated import BASELINES, integrated_gradients_map
from .smoothgrad import smoothgrad
from .vanilla import vanilla_saliency

__all__ = ["METHODS", "SaliencyParams", "compute_saliency"]

#: Method names as the CLI and GUI spell them.
METHODS = ("vanilla", "smoothgrad", "integrated-gradients", "gradcam")


def _positive_int(name: str, value, upper: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= upper:
        raise ValueError(f"{name} must be an integer between 1 and {upper}, got {value!r}")


@dataclass(frozen=True)
class SaliencyParams:
    """Parameters of a saliency computation; invalid values raise ``ValueError``.

    * ``method``: one of :data:`METHODS`.
    * ``reduction``: channel reduction of ``|gradient|`` (``max`` as in
      Simonyan et al. §3.1, or ``sum``); not used by Grad-CAM.
    * ``samples``, ``noise``: SmoothGrad's N and sigma as a fraction of the
      input range.
    * ``steps``, ``baseline``: Integrated Gradients' path points and baseline
      (``black`` or ``blurred``).
    * ``layer``: Grad-CAM's layer (``None``: the model's last named layer).
    * ``batch_size``: images per forward/backward pass (bounds memory).
    * ``seed``: SmoothGrad's noise seed.
    """

    method: str = "vanilla"
    reduction: str = "max"
    samples: int = 25
    noise: float = 0.15
    steps: int = 50
    baseline: str = "black"
    layer: str | None = None
    batch_size: int = 16
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown saliency method {self.method!r}; choose one of {', '.join(METHODS)}")
        if self.reduction not in REDUCTIONS:
            raise ValueError(f"unknown channel reduction {self.reduction!r}; choose one of {', '.join(REDUCTIONS)}")
        _positive_int("samples", self.samples, 1000)
        if isinstance(self.noise, bool) or not isinstance(self.noise, (int, float)) or not math.isfinite(self.noise) or not 0 <= self.noise <= 1:
            raise ValueError(f"noise must be a fraction of the input range in [0, 1], got {self.noise!r}")
        _positive_int("steps", self.steps, 2000)
        if self.baseline not in BASELINES:
            raise ValueError(f"unknown baseline {self.baseline!r}; choose one of {', '.join(BASELINES)}")
        if self.layer is not None and (not isinstance(self.layer, str) or not self.layer):
            raise ValueError(f"layer must be a layer name or None, got {self.layer!r}")
        _positive_int("batch_size", self.batch_size, 1024)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")

    def describe(self) -> dict:
        """The parameters that matter for this method (for saved files)."""
        d = asdict(self)
        keep = {"method", "batch_size"}
        if self.method != "gradcam":
            keep.add("reduction")
        if self.method == "smoothgrad":
            keep |= {"samples", "noise", "seed"}
        if self.method == "integrated-gradients":
            keep |= {"steps", "baseline"}
        if self.method == "gradcam":
            keep.add("layer")
        return {k: v for k, v in d.items() if k in keep}


def compute_saliency(model, x: torch.Tensor, target=None, params: SaliencyParams | None = None, *,
                     control=None) -> torch.Tensor:
    """The (N,H,W) non-negative map of ``params.method`` for the normalised
    batch ``x`` and ``target`` (``None``: the predicted class of each image).
    ``control`` (optional) lets SmoothGrad and Integrated Gradients stop
    between batches by raising :class:`~engine.jobs.Cancelled`."""
    p = params or SaliencyParams()
    if p.method == "vanilla":
        return vanilla_saliency(model, x, target, reduction=p.reduction, batch_size=p.batch_size)
    if p.method == "smoothgrad":
        return smoothgrad(model, x, target, samples=p.samples, noise=p.noise, reduction=p.reduction,
                          batch_size=p.batch_size, seed=p.seed, control=control)
    if p.method == "integrated-gradients":
        return integrated_gradients_map(model, x, target, baseline=p.baseline, steps=p.steps,
                                        reduction=p.reduction, batch_size=p.batch_size, control=control)
    return grad_cam(model, x, target, layer=p.layer, batch_size=p.batch_size)
