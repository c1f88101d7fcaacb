"""ROAR, RemOve And Retrain (Hooker, Erhan, Kindermans & Kim, "A Benchmark
for Interpretability Methods in Deep Neural Networks", NeurIPS 2019).

An attribution method ranks each image's pixels.  For a fraction ``t``, the
top ``t`` of the pixels of every training *and* test image (all channels of
a pixel together) are replaced by the per-channel mean of the training
images; a fresh model is trained on the modified training set and its
accuracy measured on the modified test set.  The more of what the class
needs a ranking puts first, the faster the accuracy falls as ``t`` grows;
a random ranking is the reference (Hooker et al.: vanilla gradients,
Integrated Gradients and SmoothGrad do no better than random on ImageNet,
SmoothGrad² and VarGrad do).  Retraining makes train and test images alike,
so a drop is not just the removal making the pictures unlike anything the
model was trained on (the artefact of removal curves without retraining);
the shape of what was removed can still give the class away (the leak that
ROAD's imputation, :mod:`.fill_in`, addresses).

``fit(images, labels)`` trains and returns the fresh model (any
``torch.nn.Module`` giving logits): ROAR is independent of the network.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass

import torch

from ..jobs import Cancelled, Control, Frame

__all__ = ["pixel_order", "remove_top", "channel_mean", "accuracy", "RoarScore", "roar", "UNMODIFIED"]

#: the ranking name of the row trained and tested on the unmodified images (fraction 0)
UNMODIFIED = "none"


def pixel_order(maps: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """(N, H*W) pixel indices of each (N,H,W) map, most relevant first; equal
    values in a seeded random order (a constant map gives a random ranking)."""
    if maps.ndim != 3:
        raise ValueError(f"maps must be (N,H,W), got shape {tuple(maps.shape)}")
    flat = maps.detach().reshape(maps.shape[0], -1).float().cpu()
    gen = torch.Generator().manual_seed(int(seed))
    shuffle = torch.stack([torch.randperm(flat.shape[1], generator=gen) for _ in range(flat.shape[0])])
    order = torch.sort(torch.gather(flat, 1, shuffle), dim=1, descending=True, stable=True).indices
    return torch.gather(shuffle, 1, order)


def remove_top(images: torch.Tensor, order: torch.Tensor, fraction: float, fill: torch.Tensor) -> torch.Tensor:
    """A copy of the (N,C,H,W) ``images`` with the first ``round(fraction * H * W)``
    pixels of each ``order`` row set to ``fill`` (C,) in every channel."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"the fraction removed must be in [0, 1], got {fraction}")
    n, c, h, w = images.shape
    if order.shape != (n, h * w):
        raise ValueError(f"order must be (N, H*W) = ({n}, {h * w}), got {tuple(order.shape)}")
    k = int(round(fraction * h * w))
    removed = torch.zeros(n, h * w, dtype=torch.bool)
    removed.scatter_(1, order[:, :k].cpu(), True)
    removed = removed.view(n, 1, h, w).to(images.device)
    return torch.where(removed, fill.view(1, c, 1, 1).to(images), images)


def channel_mean(images: torch.Tensor) -> torch.Tensor:
    """The (C,) mean of each channel over a (N,C,H,W) set: ROAR's fill-in."""
    return images.mean(dim=(0, 2, 3))


@torch.no_grad()
def accuracy(net: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, batch: int = 256) -> float:
    """The share of ``images`` whose top logit is their label."""
    net.eval()
    hits = sum(int((net(images[i:i + batch]).argmax(1) == labels[i:i + batch].to(images.device)).sum())
               for i in range(0, len(images), batch))
    return hits / max(len(images), 1)


@dataclass(frozen=True)
class RoarScore:
    ranking: str        # the method whose maps ranked the pixels (UNMODIFIED: nothing removed)
    fraction: float     # the share of each image's pixels removed
    accuracy: float     # test accuracy of the model retrained on the modified training set
    seconds: float      # removing, retraining and testing


Data = tuple[torch.Tensor, torch.Tensor]  # (N,C,H,W) images, (N,) labels


def _run(name: str, fraction: float, train: Data, test: Data, orders, fill, fit) -> RoarScore:
    start = time.perf_counter()
    if orders is None:
        x_train, x_test = train[0], test[0]
    else:
        x_train, x_test = (remove_top(d[0], o, fraction, fill) for d, o in zip((train, test), orders))
    net = fit(x_train, train[1])
    return RoarScore(name, fraction, accuracy(net, x_test, test[1]), time.perf_counter() - start)


def roar(train: Data, test: Data, maps: Mapping[str, tuple[torch.Tensor, torch.Tensor]],
         fractions: Sequence[float], fit: Callable[[torch.Tensor, torch.Tensor], torch.nn.Module], *,
         seed: int = 0, control: Control | None = None) -> Generator[Frame, None, list[RoarScore]]:
    """Retrain on the unmodified images, then for each ranking in ``maps``
    (``{name: (train maps (N,H,W), test maps)}``) and each fraction, with
    that share of each image's top pixels replaced by the training set's
    channel mean.  One frame per retraining (``info``: the scores so far);
    returns the scores (those finished, when ``control`` stops it)."""
    for name, (m_train, m_test) in maps.items():
        if m_train.shape[0] != len(train[0]) or m_test.shape[0] != len(test[0]):
            raise ValueError(f"{name}: one map per training and test image is needed")
    fill = channel_mean(train[0])
    runs = [(UNMODIFIED, 0.0)] + [(name, float(t)) for name in maps for t in fractions]
    orders = {name: (pixel_order(a, seed), pixel_order(b, seed + 1)) for name, (a, b) in maps.items()}
    scores: list[RoarScore] = []
    for i, (name, fraction) in enumerate(runs):
        if control is not None and control.cancelled:
            break
        try:
            scores.append(_run(name, fraction, train, test, orders.get(name), fill, fit))
        except Cancelled:   # stopped inside a retraining (``fit`` may raise it): the finished ones are kept
            break
        yield Frame(step=i + 1, total=len(runs), info=list(scores), metrics={"accuracy": scores[-1].accuracy},
                    final=i + 1 == len(runs))
    return scores
