"""One entry point for the saliency methods, driven by a frozen, validated
parameter set (the GUI changes it live, the CLI builds it from options)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from ..params import Params, param
from ._common import REDUCTIONS
from .integrated import BASELINES
from .methods import METHOD_TABLE, METHOD_TITLES, METHODS, method

__all__ = ["METHODS", "METHOD_TITLES", "SaliencyParams", "compute_saliency"]


@dataclass(frozen=True)
class SaliencyParams(Params):
    """Parameters of a saliency computation; invalid values raise ``ValueError``.

    * ``method``: one of :data:`METHODS`.
    * ``reduction``: channel reduction of ``|gradient|`` (``max`` as in
      Simonyan et al. §3.1, or ``sum``); not used by Grad-CAM.
    * ``samples``, ``noise``, ``seed``: the noise tunnel's N, sigma as a
      fraction of the input range and seed (SmoothGrad, SmoothGrad²,
      VarGrad).
    * ``steps``, ``baseline``: Integrated Gradients' path points and baseline
      (``black`` or ``blurred``).
    * ``layer``: Grad-CAM's layer (``None``: the model's last named layer).
    * ``batch_size``: images per forward/backward pass (bounds memory); 0
      (default, "auto"): the batch the model's device runs fastest
      (:func:`engine.device.device_tuning`; 8 at 224 px on a CPU).
    """

    method: str = param("vanilla", "Method", choices=METHOD_TITLES, help="The attribution method")
    reduction: str = param("max", "Channels", choices=REDUCTIONS,
                           help="max_c |grad| as in Simonyan et al. §3.1, or the sum over colour channels")
    samples: int = param(25, "Samples", low=1, high=1000, help="SmoothGrad, SmoothGrad², VarGrad: number of noisy copies",
                         slider=(1, 100))
    noise: float = param(0.15, "Noise", low=0.0, high=1.0, step=0.05,
                         help="SmoothGrad, SmoothGrad², VarGrad: noise sigma as a fraction of the input range",
                         slider=(0.0, 0.5))
    steps: int = param(50, "Steps", low=1, high=2000, help="Integrated Gradients: points on the path from the baseline",
                       slider=(1, 200))
    baseline: str = param("black", "Baseline", choices=BASELINES, help="Integrated Gradients: where the path starts")
    layer: str | None = param(None, "Layer", kind="text", optional=True,
                              help="Grad-CAM: the feature map whose gradients weight the channels (default: the last)")
    batch_size: int = param(0, "Batch size", low=0, high=1024, special="auto",
                            help="Images per forward/backward pass (bounds memory); auto = the fastest for the device")
    seed: int = param(0, "Seed", low=0, high=2**31 - 1, help="SmoothGrad, SmoothGrad², VarGrad: random seed of the noise")

    def describe(self) -> dict:
        """The parameters that matter for this method (for saved files)."""
        fields = METHOD_TABLE[self.method].fields
        return {k: v for k, v in asdict(self).items() if k in fields}


def compute_saliency(model, x: torch.Tensor, target=None, params: SaliencyParams | None = None, *,
                     control=None) -> torch.Tensor:
    """The (N,H,W) non-negative map of ``params.method`` for the normalised
    batch ``x`` and ``target`` (``None``: the predicted class of each image).
    ``control`` (optional) lets SmoothGrad and Integrated Gradients stop
    between batches by raising :class:`~engine.jobs.Cancelled`."""
    p = params or SaliencyParams()
    return method(p.method).compute(model, x, target, p, control)
