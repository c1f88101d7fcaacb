"""The importance mask of a generated image: where the objective's gradient
fell, accumulated over the optimisation (MACO, Fel et al., NeurIPS 2023, "Unlocking
Feature Visualization for Deeper Networks with MAgnitude Constrained
Optimization", section 3.2: the attribution of the visualization to its own
pixels, shown as a transparency beside or over the picture)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["Importance", "ImportanceMap"]


@dataclass(frozen=True)
class ImportanceMap:
    """``Frame.info`` of class visualization and feature accentuation: the
    importance mask so far (float32 HxW in 0..1, the picture's size), or
    ``None`` before the first step."""

    mask: np.ndarray | None


class Importance:
    """Sums ``|d loss / d x|`` over the colour channels and the steps, for the
    image tensors it is asked to :meth:`watch` (one (1,3,H,W) image a step)."""

    def __init__(self) -> None:
        self.total: torch.Tensor | None = None

    def watch(self, x: torch.Tensor) -> None:
        """Add ``x``'s gradient to the sum when the backward pass reaches it."""
        if x.requires_grad:
            x.register_hook(self._add)

    def _add(self, grad: torch.Tensor) -> None:
        amount = grad.detach().abs().sum(dim=1)[0]
        self.total = amount if self.total is None else self.total + amount

    def mask(self) -> np.ndarray | None:
        """The sum so far scaled to 0..1 (float32 HxW; its 99th percentile is 1, so a few
        strong pixels do not make the rest black), or ``None`` before the first step."""
        if self.total is None:
            return None
        total = self.total.float()
        top = torch.quantile(total.flatten()[:: max(1, total.numel() // 65536)], 0.99)
        return (total / top.clamp_min(1e-12)).clamp(0.0, 1.0).cpu().numpy()
