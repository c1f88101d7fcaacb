"""What image generation maximises (or, for inversion, minimises).

Each objective maps network outputs to a scalar.  Layer objectives are
*sums* over feature positions (so tiles add up) and come with a
``per_position`` normaliser for reporting.

* :func:`class_logit` -- ``S_c(x)``, the unnormalised class score
  (Simonyan, Vedaldi & Zisserman 2014, "Deep Inside Convolutional Networks").
* :func:`layer_l2` -- DeepDream's ``0.5 ||a_l(x)||^2``, whose gradient with
  respect to the activations is the activations themselves (Mordvintsev, Olah
  & Tyka, "Inceptionism", 2015; google/deepdream ``objective_L2``).
* :class:`GuidedDot` -- guided DeepDream (end of google/deepdream's
  ``dream.ipynb``): for each position ``i`` of the current image, the dot
  product with the best-matching guide activation vector,
  ``sum_i max_j <a_i, g_j>``; the gradient at ``a_i`` is ``g_{j*(i)}``.
* :func:`feature_distance` -- ``||a_l(x) - a_l(x0)||^2 / ||a_l(x0)||^2``, the
  relative reconstruction error of feature inversion (Mahendran & Vedaldi
  2015).
"""
from __future__ import annotations

import torch

__all__ = ["class_logit", "layer_l2", "GuidedDot", "feature_distance", "positions"]

#: Largest (positions x guide vectors) similarity block computed at once.
_BLOCK_ELEMENTS = 1 << 24


def positions(features: torch.Tensor) -> int:
    """Number of spatial positions of an (N,C,H,W) feature map (N*H*W)."""
    return features.shape[0] * features.shape[-2] * features.shape[-1]


def class_logit(logits: torch.Tensor, index: int) -> torch.Tensor:
    """The score of class ``index`` for the first image of the batch."""
    return logits[0, index]


def layer_l2(features: torch.Tensor) -> torch.Tensor:
    """``0.5 * sum(a^2)``; d/da = a (the DeepDream gradient)."""
    return 0.5 * features.pow(2).sum()


def feature_distance(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Relative squared distance ``||a - a0||^2 / ||a0||^2``."""
    return (features - target).pow(2).sum() / target.pow(2).sum().clamp_min(1e-12)


class GuidedDot:
    """Guided DeepDream objective for one layer.

    ``guide_features`` is the (1,C,H,W) activation map of the guide image at
    the layer; at most ``max_vectors`` of its position vectors are kept (an
    even subsample) so the matching stays bounded.
    """

    def __init__(self, guide_features: torch.Tensor, max_vectors: int = 8192) -> None:
        g = guide_features.detach()
        c = g.shape[1]
        vectors = g.permute(1, 0, 2, 3).reshape(c, -1)  # (C, M)
        if vectors.shape[1] > max_vectors:
            keep = torch.linspace(0, vectors.shape[1] - 1, max_vectors, device=g.device).round().long()
            vectors = vectors[:, keep]
        self.vectors = vectors.contiguous()

    @property
    def channels(self) -> int:
        return self.vectors.shape[0]

    @torch.no_grad()
    def best_match(self, features: torch.Tensor) -> torch.Tensor:
        """Index of the best-matching guide vector for every position, (P,)."""
        a = features.detach().permute(0, 2, 3, 1).reshape(-1, self.channels)  # (P, C)
        rows = max(1, _BLOCK_ELEMENTS // max(1, self.vectors.shape[1]))
        out = torch.empty(a.shape[0], dtype=torch.long, device=a.device)
        for start in range(0, a.shape[0], rows):
            out[start : start + rows] = (a[start : start + rows] @ self.vectors).argmax(dim=1)
        return out

    def __call__(self, features: torch.Tensor) -> torch.Tensor:
        """``sum_i <a_i, g_{j*(i)}>`` with the match ``j*`` held fixed."""
        if features.shape[1] != self.channels:
            raise ValueError(f"guide has {self.channels} channels but the layer has {features.shape[1]}")
        match = self.best_match(features)
        target = self.vectors[:, match]  # (C, P)
        a = features.permute(1, 0, 2, 3).reshape(self.channels, -1)
        return (a * target).sum()
