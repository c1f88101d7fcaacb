"""A parameterised image seen as a greyscale network sees it.

A 1-channel network (:class:`engine.models.input_adapters.GreyInput`) reads
only the luma of the RGB picture the tools hand it.  An image optimised for it
from noise keeps whatever colour its random start had: the colour never
reaches the network, so nothing pulls it anywhere, and the picture shows
colour the network never saw.  :class:`GreyImage` wraps any parameterisation
so that its :meth:`image` is the luma, in all three channels: what is drawn,
saved and scored is exactly what the network reads.
"""
from __future__ import annotations

import torch

from ..models.input_adapters import LUMA

__all__ = ["GreyImage", "as_seen_by"]


class GreyImage:
    """``param`` with :meth:`image` replaced by its luma (normalised model space,
    ``mean``/``std`` per channel in pixel units, shape (1,3,1,1)); every other
    attribute (tensors, step rule, follow, low-pass, assign ...) is ``param``'s own."""

    def __init__(self, param, *, mean: torch.Tensor, std: torch.Tensor) -> None:
        self.param, self.mean, self.std = param, mean, std
        self.luma = torch.tensor(LUMA, dtype=mean.dtype, device=mean.device).view(1, 3, 1, 1)

    def image(self) -> torch.Tensor:
        pixels = self.param.image() * self.std + self.mean
        grey = (pixels * self.luma).sum(dim=1, keepdim=True)
        return (grey - self.mean) / self.std

    def __getattr__(self, name: str):
        return getattr(self.param, name)


def as_seen_by(model, param):
    """``param`` wrapped in :class:`GreyImage` when ``model`` reads greyscale, else ``param``."""
    return GreyImage(param, mean=model.mean, std=model.std) if getattr(model, "greyscale", False) else param
