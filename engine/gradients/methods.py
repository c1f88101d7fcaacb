"""The saliency methods as one table: for each, its name (as the CLI and the
window spell it), its title, the :class:`~.attribution.SaliencyParams`
fields it reads and the call that computes it.  The parameter choices, the
saved-file description, the window's form rows and :func:`compute_saliency`
all read this table, so adding a method is adding a row."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from .gradcam import grad_cam
from .integrated import integrated_gradients_map
from .smoothgrad import smoothgrad, smoothgrad_squared, vargrad
from .vanilla import vanilla_saliency

__all__ = ["Method", "METHOD_TABLE", "METHODS", "METHOD_TITLES", "method"]

#: every method reads these (``batch_size`` bounds memory; it never changes the map)
COMMON = frozenset({"method", "batch_size"})
_TUNNEL = frozenset({"reduction", "samples", "noise", "seed"})


@dataclass(frozen=True)
class Method:
    """One row: ``compute(model, x, target, params, control)`` returns the (N,H,W) map."""

    name: str
    title: str
    short: str                   # a column or row heading
    uses: frozenset[str]         # the SaliencyParams fields it reads, besides COMMON
    compute: Callable[..., torch.Tensor]

    @property
    def fields(self) -> frozenset[str]:
        return COMMON | self.uses


def _tunnel(fn):
    return lambda m, x, t, p, c: fn(m, x, t, samples=p.samples, noise=p.noise, reduction=p.reduction,
                                    batch_size=p.batch_size, seed=p.seed, control=c)


_ROWS = (
    Method("vanilla", "Vanilla gradient (Simonyan 2014)", "Vanilla", frozenset({"reduction"}),
           lambda m, x, t, p, c: vanilla_saliency(m, x, t, reduction=p.reduction, batch_size=p.batch_size)),
    Method("smoothgrad", "SmoothGrad (Smilkov 2017)", "SmoothGrad", _TUNNEL, _tunnel(smoothgrad)),
    Method("smoothgrad-squared", "SmoothGrad² (Hooker 2019)", "SmoothGrad²", _TUNNEL, _tunnel(smoothgrad_squared)),
    Method("vargrad", "VarGrad (Adebayo 2018)", "VarGrad", _TUNNEL, _tunnel(vargrad)),
    Method("integrated-gradients", "Integrated Gradients (Sundararajan 2017)", "IG",
           frozenset({"reduction", "steps", "baseline"}),
           lambda m, x, t, p, c: integrated_gradients_map(m, x, t, baseline=p.baseline, steps=p.steps,
                                                          reduction=p.reduction, batch_size=p.batch_size, control=c)),
    Method("gradcam", "Grad-CAM (Selvaraju 2017)", "Grad-CAM", frozenset({"layer"}),
           lambda m, x, t, p, c: grad_cam(m, x, t, layer=p.layer, batch_size=p.batch_size)),
)

METHOD_TABLE: dict[str, Method] = {row.name: row for row in _ROWS}
#: Method names as the CLI and GUI spell them.
METHODS = tuple(METHOD_TABLE)
METHOD_TITLES = tuple((row.name, row.title) for row in _ROWS)


def method(name: str) -> Method:
    """The row of ``name``; ``ValueError`` naming the choices for an unknown one."""
    try:
        return METHOD_TABLE[name]
    except KeyError:
        raise ValueError(f"unknown saliency method {name!r}; choose one of {', '.join(METHODS)}") from None
