"""One entry point for the saliency methods, driven by a frozen, validated
parameter set (the GUI changes it live, the CLI builds it from options)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from ..params import Params, param
from ._common import REDUCTIONS
from .gradcam import grad_cam
from .integrated import BASELINES, integrated_gradients_map
from .smoothgrad import smoothgrad
from .vanilla import vanilla_saliency

__all__ = ["METHODS", "METHOD_TITLES", "SaliencyParams", "compute_saliency"]

#: Method names as the CLI and GUI spell them.
METHODS = ("vanilla", "smoothgrad", "integrated-gradients", "gradcam")


METHOD_TITLES = (("vanilla", "Vanilla gradient (Simonyan 2014)"), ("smoothgrad", "SmoothGrad (Smilkov 2017)"),
                 ("integrated-gradients", "Integrated Gradients (Sundararajan 2017)"),
                 ("gradcam", "Grad-CAM (Selvaraju 2017)"))


@dataclass(frozen=True)
class SaliencyParams(Params):
    """Parameters of a saliency computation; invalid values raise ``ValueError``.

    * ``method``: one of :data:`METHODS`.
    * ``reduction``: channel reduction of ``|gradient|`` (``max`` as in
      Simonyan et al. §3.1, or ``sum``); not used by Grad-CAM.
    * ``samples``, ``noise``: SmoothGrad's N and sigma as a fraction of the
      input range.
    * ``steps``, ``baseline``: Integrated Gradients' path points and baseline
      (``black`` or ``blurred``).
    * ``layer``: Grad-CAM's layer (``None``: the model's last named layer).
    * ``batch_size``: images per forward/backward pass (bounds memory); 0
      (default, "auto"): the batch the model's device runs fastest
      (:func:`engine.device.device_tuning`; 8 at 224 px on a CPU).
    * ``seed``: SmoothGrad's noise seed.
    """

    method: str = param("vanilla", "Method", choices=METHOD_TITLES, help="The attribution method")
    reduction: str = param("max", "Channels", choices=REDUCTIONS,
                           help="max_c |grad| as in Simonyan et al. §3.1, or the sum over colour channels")
    samples: int = param(25, "Samples", low=1, high=1000, help="SmoothGrad: number of noisy copies averaged",
                         slider=(1, 100))
    noise: float = param(0.15, "Noise", low=0.0, high=1.0, step=0.05,
                         help="SmoothGrad: noise sigma as a fraction of the input range",
                         slider=(0.0, 0.5))
    steps: int = param(50, "Steps", low=1, high=2000, help="Integrated Gradients: points on the path from the baseline",
                       slider=(1, 200))
    baseline: str = param("black", "Baseline", choices=BASELINES, help="Integrated Gradients: where the path starts")
    layer: str | None = param(None, "Layer", kind="text", optional=True,
                              help="Grad-CAM: the feature map whose gradients weight the channels (default: the last)")
    batch_size: int = param(0, "Batch size", low=0, high=1024, special="auto",
                            help="Images per forward/backward pass (bounds memory); auto = the fastest for the device")
    seed: int = param(0, "Seed", low=0, high=2**31 - 1, help="SmoothGrad: random seed of the noise")

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
