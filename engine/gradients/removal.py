"""Removal curves of one map under one fill-in, as ROAD reports them (Rong,
Leemann, Borisov, Kasneci & Kasneci, "A Consistent and Efficient Evaluation
Strategy for Attribution Methods", ICML 2022, §3-4):

* **MoRF** (most relevant first): remove the pixels in decreasing saliency
  order, replacing them by the fill-in, and follow the target probability
  ``p_c``; a faithful map makes it fall fast: *lower* AUC is better;
* **LeRF** (least relevant first): the reverse order; a faithful map keeps
  ``p_c`` up: *higher* AUC is better;
* **random order**: the reference a map has to beat (its MoRF and LeRF are
  the same in expectation).

``AUC = integral_0^1 p_c(fraction removed) d fraction`` (trapezoids), and the
one-number summary ``gap = AUC_LeRF - AUC_MoRF`` (higher is better; 0 is
what a random map scores in expectation).  Which fill-in is used changes
the ranking of methods (ROAD's point): :mod:`.fill_in`.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ._common import AUTO_BATCH
from .curves import Curve, deletion_curve, random_map
from .fill_in import check_fill

__all__ = ["RemovalCurves", "removal_curves"]


@dataclass(frozen=True)
class RemovalCurves:
    """MoRF, LeRF and random-order curves of one map under ``fill``."""

    fill: str
    morf: Curve
    lerf: Curve
    random: Curve

    @property
    def gap(self) -> float:
        """``AUC_LeRF - AUC_MoRF``: higher is better, about 0 for a random map."""
        return self.lerf.auc - self.morf.auc

    def as_dict(self) -> dict:
        return {"fill": self.fill, "morf": self.morf.as_dict(), "lerf": self.lerf.as_dict(),
                "random": self.random.as_dict(), "gap": self.gap}


def removal_curves(model, x: torch.Tensor, saliency: torch.Tensor, target=None, *, fill: str = "blur",
                   points: int = 21, batch_size: int = AUTO_BATCH, seed: int = 0, control=None,
                   reference: Curve | None = None) -> RemovalCurves:
    """MoRF, LeRF and random-order removal curves of the (H,W) ``saliency``
    map of one normalised image ``x`` for ``target`` (``None``: the
    predicted class) with ``points`` fractions evenly spaced in 0..1.
    ``seed`` sets the random order, the order of ties and the imputation
    noise.  With a :class:`~engine.jobs.Control`, a cancellation raises
    :class:`~engine.jobs.Cancelled` between batches.  The random-order
    curve depends only on the image, target, fill, points and seed, not on
    the map: ``reference``, that curve from an earlier call with the same
    ones, is reused instead of measured again.  Its two ends (nothing and
    everything removed) are also the ends of the MoRF and LeRF curves, which
    measure only the points in between."""
    check_fill(fill)
    common = dict(points=points, substrate=fill, batch_size=batch_size, seed=seed, control=control)
    if reference is None:
        h, w = x.shape[-2:]
        reference = deletion_curve(model, x, random_map(h, w, seed=seed + 1, device=x.device), target, **common)
    ends = (float(reference.probs[0]), float(reference.probs[-1]))  # nothing / everything removed: any order
    morf = deletion_curve(model, x, saliency, target, order="most", ends=ends, **common)
    lerf = deletion_curve(model, x, saliency, target, order="least", ends=ends, **common)
    return RemovalCurves(fill, morf, lerf, reference)
