"""Benchmark of the all-methods evaluation of one photo (not run by CI).

``evaluate_methods`` (every method + the random reference row, removal
curves under each fill-in, the sanity score) against the way it was done
before, measured in the same run on the same photo: each noise-tunnel
method (SmoothGrad, SmoothGrad², VarGrad) drawing its own tunnel, on the
trained and on the randomised network, and every row measuring the
random-order removal curve again.  Now the three share one tunnel per
network and the random-order curve is measured once per fill-in.  Prints
both times, their ratio and whether the two tables are identical (they
must be: the same maps and curves, computed once).

    python tests/bench/bench_eval_speed.py [--model shapes|lite0] [--photo coffee.jpg]
        [--fill noisy-linear,blur,black] [--repeat 3]
"""
from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from engine.gradients import METHODS  # noqa: E402
from engine.gradients.attribution import compute_saliency  # noqa: E402
from engine.gradients.curves import random_map  # noqa: E402
from engine.gradients.evaluation import EVAL_PARAMS, REFERENCE, evaluate_methods, reference_seed  # noqa: E402
from engine.gradients.localization import localization  # noqa: E402
from engine.gradients.removal import removal_curves  # noqa: E402
from engine.gradients.sanity import parameter_modules, randomized_copy, spearman  # noqa: E402
from engine.imaging import load_image  # noqa: E402
from engine.jobs import run_to_end  # noqa: E402
from engine.models import load_model  # noqa: E402
from tests.bench._util import before_after, print_before_after, removal_args  # noqa: E402


def before(model, image, fills, points, boxes) -> dict:
    """The evaluation as it was: every row computes its own map, tunnel and random-order curve."""
    p = EVAL_PARAMS
    view = model.prepare(image)
    x = model.preprocess(view)
    target = model.classify(view, 1, prepared=True)[0].index
    sanity_model = randomized_copy(model, len(parameter_modules(model.net)), seed=p.seed)[0]
    out = {}
    for name in [*METHODS, REFERENCE]:
        if name == REFERENCE:
            sal = random_map(*x.shape[-2:], seed=reference_seed(x, p.seed))
        else:
            sal = compute_saliency(model, x, target, replace(p, method=name))[0]
        row = {}
        for fill in fills:
            c = removal_curves(model, x, sal, target, fill=fill, points=points, batch_size=p.batch_size, seed=p.seed)
            row |= {f"morf:{fill}": c.morf.auc, f"lerf:{fill}": c.lerf.auc, f"gap:{fill}": c.gap}
        if boxes:
            row["mass"] = localization(sal.numpy(), boxes).mass
        if name != REFERENCE:
            other = compute_saliency(sanity_model, x, target, replace(p, method=name))[0]
            row["sanity"] = abs(spearman(sal, other))
        out[name] = row
    return out


def after(model, image, fills, points, boxes) -> dict:
    _, table = run_to_end(evaluate_methods(model, image, methods=METHODS, fills=fills, boxes=boxes, points=points))
    return {r.method: {k: v for k, v in r.metrics().items() if k in {"mass", "sanity"} or ":" in k}
            for r in table.rows}


def same(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        set(a[m]) <= set(b[m]) and all(np.isclose(a[m][k], b[m][k], rtol=0, atol=1e-9) for k in a[m]) for m in a)


def main() -> int:
    args = removal_args(__doc__, 11, 3, lambda p: p.add_argument("--model", default="shapes",
                                                                 choices=["shapes", "lite0"]))
    fills = args.fills
    if args.model == "shapes":
        from tools import shapes_classifier as shapes

        model = load_model(str(shapes.FOLDER / "shapes_cnn.safetensors"), "cpu")
        image, boxes = shapes.render_scene(shapes.scenes(1, 1)[0], shapes.SIZE), [(20.0, 20.0, 40.0, 40.0)]
    else:
        model, image, boxes = load_model(device="cpu"), load_image(ROOT / "resources" / "samples" / args.photo), []
    times, results = before_after({name: (lambda fn=fn: fn(model, image, fills, args.points, boxes))
                                   for name, fn in (("before", before), ("after", after))}, args.repeat)
    print_before_after(f"model {args.model}, fills {args.fill}, {args.points} points, 1 thread, {len(METHODS)} "
                       f"methods + random, median of {args.repeat}",
                       {"before": "before (own tunnels, own random-order curves)",
                        "after": "after (shared tunnel and random-order curve)"},
                       times, f"identical scores: {same(results['before'], results['after'])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
