"""All saliency methods at once on one photo: each method's map, its time,
its removal curves under each fill-in (:mod:`.removal`), its pointing game
and relevance mass when boxes are given (:mod:`.localization`) and its
sanity score (``|ρ|``, the absolute Spearman rank correlation of its map
with the map of the fully randomised model, :mod:`.sanity`; lower is
better), plus a random map as the reference row (seeded by the photo,
:func:`reference_seed`: a different random map on each photo).

The rows of one photo share work: SmoothGrad, SmoothGrad² and VarGrad are
read from one noise tunnel (one draw of noise; their maps are what each
method alone gives with the same seed) on the trained and on the randomised
network, and the random-order removal curve of a fill-in is measured once
(it does not depend on the map).  A row's ``seconds`` is what its map costs
alone (for a tunnel method, the whole tunnel's time).

The job yields one frame per method as soon as that row is ready (the
window's table and the folder report fill in as they go) and returns the
:class:`MethodTable`.  Metric names (columns) and whether higher is better:
:func:`metric_columns`; ranks per metric and the agreement of two metrics:
:mod:`.ranking`.
"""
from __future__ import annotations

import math
import time
import zlib
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..jobs import Cancelled, Control, Frame
from .attribution import SaliencyParams, compute_saliency
from .curves import Curve, random_map
from .fill_in import check_fill
from .localization import Box, localization
from .methods import METHOD_TABLE, METHODS
from .removal import RemovalCurves, removal_curves
from .sanity import parameter_modules, randomized_copy, spearman
from .smoothgrad import TUNNEL_MAPS, TunnelSums, noise_tunnel

__all__ = ["REFERENCE", "reference_seed", "MethodScore", "MethodTable", "metric_columns", "evaluate_methods", "EVAL_PARAMS"]

#: the reference row: a uniformly random map
REFERENCE = "random"

#: each method's parameters in the evaluation (the defaults, fewer samples and steps: seconds, not minutes)
EVAL_PARAMS = SaliencyParams(samples=16, steps=32)


@dataclass(frozen=True)
class MethodScore:
    """One row: a method's map and what it scored."""

    method: str
    seconds: float
    saliency: np.ndarray                     # (H,W) float32
    curves: dict[str, RemovalCurves]         # by fill-in
    hit: float = math.nan                    # pointing game: 1 hit, 0 miss, nan without boxes
    mass: float = math.nan                   # relevance mass in the boxes
    sanity: float = math.nan                 # Spearman ρ with the fully randomised model's map

    def metrics(self) -> dict[str, float]:
        out = {"seconds": self.seconds}
        for fill, c in self.curves.items():
            out |= {f"morf:{fill}": c.morf.auc, f"lerf:{fill}": c.lerf.auc, f"gap:{fill}": c.gap}
        # |ρ|: a map that stays (anti-)correlated with the trained network's is not about the model
        return out | {"pointing": self.hit, "mass": self.mass, "sanity": abs(self.sanity)}


def metric_columns(fills: Sequence[str]) -> list[tuple[str, bool]]:
    """``(metric, higher_is_better)`` in table order."""
    cols = []
    for fill in fills:
        cols += [(f"morf:{fill}", False), (f"lerf:{fill}", True), (f"gap:{fill}", True)]
    return cols + [("pointing", True), ("mass", True), ("sanity", False), ("seconds", False)]


@dataclass(frozen=True)
class MethodTable:
    target: int
    label: str
    fills: tuple[str, ...]
    rows: list[MethodScore] = field(default_factory=list)
    area: float = math.nan                   # the boxes' share of the image (chance level of both box metrics)

    def columns(self) -> list[tuple[str, bool]]:
        return metric_columns(self.fills)


class _Shared:
    """What the rows of one photo share: one noise tunnel per network for
    SmoothGrad, SmoothGrad² and VarGrad (one draw of noise, as
    :func:`~.method_maps.method_maps`), and the random-order removal curve
    per fill-in (it does not depend on the map)."""

    def __init__(self) -> None:
        self.tunnels: dict[int, tuple[TunnelSums, float]] = {}
        self.references: dict[str, Curve] = {}

    def saliency(self, model, x, target, name, params, control) -> tuple[torch.Tensor, float]:
        """The map and the seconds it costs alone (a tunnel method: the whole tunnel's)."""
        start = time.perf_counter()
        if name not in TUNNEL_MAPS:
            sal = compute_saliency(model, x, target, replace(params, method=name), control=control)[0]
            return sal, time.perf_counter() - start
        if id(model) not in self.tunnels:
            sums = noise_tunnel(model, x, target, samples=params.samples, noise=params.noise,
                                reduction=params.reduction, batch_size=params.batch_size, seed=params.seed,
                                control=control)
            self.tunnels[id(model)] = (sums, time.perf_counter() - start)
        sums, seconds = self.tunnels[id(model)]
        return TUNNEL_MAPS[name](sums, params.reduction)[0], seconds

    def curves(self, model, x, sal, target, fill, points, params, control) -> RemovalCurves:
        out = removal_curves(model, x, sal, target, fill=fill, points=points, batch_size=params.batch_size,
                             seed=params.seed, control=control, reference=self.references.get(fill))
        self.references[fill] = out.random
        return out


def reference_seed(x: torch.Tensor, seed: int) -> int:
    """The random reference map's seed on the input ``x``: ``seed`` + 7 mixed
    with a CRC-32 of ``x``'s bytes, so each photo gets its own random map
    (the same one every time) and its pointing game averages over photos."""
    data = x.detach().cpu().contiguous().numpy().tobytes()
    return (seed + 7 + zlib.crc32(data)) % 2**63


def _score(model, x, target, name, params, fills, boxes, points, sanity_model, control, shared) -> MethodScore:
    if name == REFERENCE:
        start = time.perf_counter()
        sal = random_map(*x.shape[-2:], seed=reference_seed(x, params.seed), device=x.device)
        seconds = time.perf_counter() - start
    else:
        sal, seconds = shared.saliency(model, x, target, name, params, control)
    curves = {fill: shared.curves(model, x, sal, target, fill, points, params, control) for fill in fills}
    saliency = sal.detach().cpu().numpy().astype(np.float32)
    score = MethodScore(name, seconds, saliency, curves)
    if boxes:
        loc = localization(saliency, boxes)
        score = replace(score, hit=float(loc.hit), mass=loc.mass)
    if sanity_model is not None and name != REFERENCE:
        other = shared.saliency(sanity_model, x, target, name, params, control)[0]
        score = replace(score, sanity=spearman(sal, other))
    return score


def evaluate_methods(model, image: np.ndarray, target: int | None = None, *, methods: Sequence[str] = METHODS,
                     fills: Sequence[str] = ("noisy-linear",), boxes: Sequence[Box] = (), points: int = 11,
                     sanity: bool = True, params: SaliencyParams = EVAL_PARAMS, prepared: bool = False,
                     control: Control | None = None) -> Generator[Frame, None, MethodTable | None]:
    """Score ``methods`` (then the random reference row) on the model's view of ``image``.

    Frames: one per row, ``info`` the :class:`MethodTable` so far.  Returns
    the table, or ``None`` when cancelled (``control``)."""
    for name in methods:
        if name not in METHOD_TABLE:
            raise ValueError(f"unknown saliency method {name!r}; choose from {', '.join(METHODS)}")
    fills = tuple(check_fill(f) for f in fills)
    control = control or Control(params)
    view = np.asarray(image).copy() if prepared else model.prepare(image)
    x = model.preprocess(view)
    if target is None:
        target = model.classify(view, 1, prepared=True)[0].index
    sanity_model = randomized_copy(model, len(parameter_modules(model.net)), seed=params.seed)[0] if sanity else None
    area = localization(np.ones(x.shape[-2:]), boxes).area if boxes else math.nan
    table = MethodTable(int(target), model.labels[target], fills, [], area)
    names = [*methods, REFERENCE]
    shared = _Shared()
    for i, name in enumerate(names):
        try:
            control.raise_if_cancelled()
            row = _score(model, x, int(target), name, params, fills, boxes, points, sanity_model, control, shared)
        except Cancelled:
            return None
        table = replace(table, rows=[*table.rows, row])
        yield Frame(step=i + 1, total=len(names), image=view, info=table, final=i + 1 == len(names))
    return table
