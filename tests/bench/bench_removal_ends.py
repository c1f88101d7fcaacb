"""Benchmark of the removal curves of one photo's maps (not run by CI):
every MoRF and LeRF curve measuring all its points (before) against taking
its two ends, nothing and everything removed, from the random-order curve
(after; :func:`engine.gradients.removal_curves`).  The maps are the
vanilla gradient, Grad-CAM and random maps (the cost of a curve does not
depend on the map), 7 maps as in the folder report.  Prints both times,
their ratio and the largest AUC difference (float rounding: the network
sees different batches).

    python tests/bench/bench_removal_ends.py [--photo coffee.jpg] [--fill noisy-linear,blur,black]
        [--points 6] [--repeat 1]
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.gradients import deletion_curve, grad_cam, random_map, removal_curves, vanilla_saliency  # noqa: E402
from engine.imaging import load_image  # noqa: E402
from engine.models import load_model  # noqa: E402
from tests.bench._util import before_after, print_before_after, removal_args  # noqa: E402


def maps(model, x, target) -> list[torch.Tensor]:
    h, w = x.shape[-2:]
    return [vanilla_saliency(model, x, target)[0], grad_cam(model, x, target)[0],
            *(random_map(h, w, seed=s) for s in range(5))]


def before(model, x, target, sals, fills, points) -> dict:
    out = {}
    for fill in fills:
        common = dict(points=points, substrate=fill, seed=0)
        deletion_curve(model, x, random_map(*x.shape[-2:], seed=1), target, **common)  # the random order, once
        for i, sal in enumerate(sals):
            morf = deletion_curve(model, x, sal, target, order="most", **common).auc
            lerf = deletion_curve(model, x, sal, target, order="least", **common).auc
            out[fill, i] = (morf, lerf)
    return out


def after(model, x, target, sals, fills, points) -> dict:
    out = {}
    for fill in fills:
        reference = None
        for i, sal in enumerate(sals):
            c = removal_curves(model, x, sal, target, fill=fill, points=points, seed=0, reference=reference)
            reference = c.random
            out[fill, i] = (c.morf.auc, c.lerf.auc)
    return out


def main() -> int:
    args = removal_args(__doc__, 6, 1)
    fills = args.fills
    model = load_model(device="cpu")
    view = model.prepare(load_image(ROOT / "resources" / "samples" / args.photo))
    x = model.preprocess(view)
    target = model.classify(view, 1, prepared=True)[0].index
    sals = maps(model, x, target)
    times, results = before_after({name: (lambda fn=fn: fn(model, x, target, sals, fills, args.points))
                                   for name, fn in (("before", before), ("after", after))}, args.repeat)
    diff = max(abs(a - b) for k in results["before"] for a, b in zip(results["before"][k], results["after"][k]))
    print_before_after(f"Lite0 on {args.photo}, fills {args.fill}, {args.points} points, 1 thread, {len(sals)} maps, "
                       f"median of {args.repeat}",
                       {"before": "before (every point measured)", "after": "after (ends shared)"},
                       times, f"largest AUC difference {diff:.1e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
