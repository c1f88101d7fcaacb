"""The model-randomisation sanity check (Adebayo, Gilmer, Muelly, Goodfellow,
Hardt & Kim, "Sanity Checks for Saliency Maps", NeurIPS 2018, §3):
re-initialise the network's weights from the top (logits) down, recompute
the map, and measure its Spearman rank correlation with the map of the
trained network.  A map that explains the *model* must change when the
model does; a map that merely shows the image's edges does not.

The shared model is never touched: the check works on a deep copy.
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

__all__ = ["parameter_modules", "randomized_copy", "spearman", "RandomizationStep", "cascading_randomization",
           "cascade", "cascade_tops"]


def parameter_modules(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """Modules that own parameters and can re-initialise themselves
    (``reset_parameters``: convolutions, linear layers, normalisation), from
    the top of the network (the last registered) down."""
    found = [
        (name, m) for name, m in net.named_modules()
        if hasattr(m, "reset_parameters") and any(True for _ in m.parameters(recurse=False))
    ]
    return found[::-1]


#: held while the global random state is seeded and drawn from: two threads of one process (Dask
#: workers with ``processes=False``) would otherwise interleave their draws and get other weights
_SEEDED = threading.Lock()


def randomized_copy(model, top: int, *, seed: int = 0):
    """A deep copy of ``model`` (a Classifier) with its ``top`` highest
    parameter modules re-initialised with PyTorch's default initialisers
    (Kaiming-uniform weights; BatchNorm reset to weight 1, bias 0 and
    running statistics 0/1).  The global random state is left as it was.

    Returns ``(copy, names)`` with the names of the re-initialised modules.
    """
    modules = parameter_modules(model.net)
    if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= len(modules):
        raise ValueError(f"top must be an integer between 0 and {len(modules)}, got {top!r}")
    clone = copy.deepcopy(model)
    chosen = parameter_modules(clone.net)[:top]
    devices = [clone.device] if clone.device.type == "cuda" else []
    with _SEEDED, torch.random.fork_rng(devices=devices):   # one thread at a time seeds and draws the global RNG
        torch.manual_seed(int(seed))
        with torch.no_grad():
            for _, module in chosen:
                module.reset_parameters()
    for p in clone.net.parameters():
        p.requires_grad_(False)
    return clone, [name for name, _ in chosen]


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 0..n-1, ties sharing their average rank."""
    _, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts)
    return (ends - (counts + 1) / 2.0)[inverse.reshape(-1)]


def spearman(a, b) -> float:
    """Spearman rank correlation of two maps (any shape, same size): the
    Pearson correlation of their (tie-averaged) ranks.  0 when either map is
    constant."""
    x = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    y = b.detach().cpu().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    x, y = x.reshape(-1).astype(np.float64), y.reshape(-1).astype(np.float64)
    if x.size != y.size:
        raise ValueError(f"maps differ in size: {x.size} vs {y.size}")
    rx, ry = _average_ranks(x), _average_ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denom = np.sqrt(np.sum(rx * rx) * np.sum(ry * ry))
    return float(np.sum(rx * ry) / denom) if denom > 0 else 0.0


@dataclass(frozen=True)
class RandomizationStep:
    top: int  # number of parameter modules re-initialised, from the top
    modules: tuple[str, ...]
    spearman: float
    map: np.ndarray | None = None  # the randomised model's (H,W) map, when kept

    @property
    def deepest(self) -> str:
        """The lowest module re-initialised (the cascade reached down to it)."""
        return self.modules[-1] if self.modules else ""


def cascade_tops(modules: int, pictures: int = 6) -> list[int]:
    """``pictures`` numbers of top modules to re-initialise, from 1 (the
    logits) to ``modules`` (all), evenly spaced, without repeats."""
    if modules < 1 or pictures < 1:
        raise ValueError("need at least one module and one picture")
    return sorted({int(round(v)) for v in np.linspace(1, modules, min(pictures, modules))})


def cascade(model, x: torch.Tensor, attribute: Callable[[object, torch.Tensor, int], torch.Tensor], target: int,
            tops: Sequence[int], *, seed: int = 0, reference: torch.Tensor | None = None,
            keep_maps: bool = True, control=None) -> Iterator[RandomizationStep]:
    """The steps of :func:`cascading_randomization` one at a time (for a
    strip that fills in as it goes), each with the randomised model's map
    when ``keep_maps``.  ``reference``: the trained model's map, if already
    computed.  With a :class:`~engine.jobs.Control`, a cancellation raises
    :class:`~engine.jobs.Cancelled` between steps."""
    if reference is None:
        reference = attribute(model, x, target)
    for k in tops:
        if control is not None:
            control.raise_if_cancelled()
        clone, names = randomized_copy(model, k, seed=seed)
        sal = attribute(clone, x, target)
        kept = sal.detach().cpu().numpy().reshape(reference.shape[-2:]).astype(np.float32) if keep_maps else None
        yield RandomizationStep(k, tuple(names), spearman(reference, sal), kept)
        del clone


def cascading_randomization(
    model,
    x: torch.Tensor,
    attribute: Callable[[object, torch.Tensor, int], torch.Tensor],
    target: int,
    tops: Sequence[int] = (1, 4, 16),
    *,
    seed: int = 0,
) -> list[RandomizationStep]:
    """Adebayo et al.'s cascading randomisation: for each ``k`` in ``tops``
    re-initialise the top ``k`` parameter modules of a copy of the model and
    report the Spearman correlation between ``attribute(copy, x, target)``
    and ``attribute(model, x, target)``.  ``attribute`` returns a map, e.g.
    ``lambda m, x, t: vanilla_saliency(m, x, t)``.  The target stays fixed
    (the trained model's class), as in the paper."""
    return list(cascade(model, x, attribute, target, tops, seed=seed, keep_maps=False))
