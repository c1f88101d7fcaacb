"""Time from Stop to "stopped" per job, at the largest sizes the window
offers, run the way the window runs a job (``engine.jobs.interruptibly``):
median and worst of 5.  The baseline in the same run is one step of the same
job (what a Stop would cost if it waited for the step to end).

    python tests/bench/bench_stop_latency.py [--repeat 5]

Not run by CI; ``tests/faults/test_stop_latency.py`` asserts < 0.3 s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "faults")]

from _util import table  # noqa: E402
from badfiles import photo_array  # noqa: E402
from stop_timing import stop_latency  # noqa: E402

from engine.jobs import Control  # noqa: E402
from engine.models import load_model  # noqa: E402


def jobs(model):
    from engine.captioning.data import FeatureSpec, extract_features
    from engine.generation import ClassVizParams, DreamParams, InversionParams, class_visualization, deepdream, feature_inversion
    from engine.gradients import FoolParams, SaliencyParams, fool, saliency_job

    photo, guide = photo_array(750, 1000, seed=1), photo_array(300, 300, seed=2)
    images = [photo_array(300, 300, seed=k) for k in range(512)]
    return [
        ("DeepDream 1000x750, no tiles", DreamParams(steps=10_000, octaves=1, tile=0),
         lambda c: deepdream(model, photo, "blocks.8", control=c)),
        ("DeepDream 1000x750, tiles 512", DreamParams(steps=10_000, octaves=1, tile=512),
         lambda c: deepdream(model, photo, "blocks.8", control=c)),
        ("guided DeepDream 1000x750, tiles 512", DreamParams(steps=10_000, octaves=1, tile=512),
         lambda c: deepdream(model, photo, "blocks.8", control=c, guide=guide)),
        ("class visualization 1024 px", ClassVizParams(size=1024, steps=10_000),
         lambda c: class_visualization(model, 76, control=c)),
        ("feature inversion 1024 px", InversionParams(size=1024, steps=10_000),
         lambda c: feature_inversion(model, photo, "blocks.8", control=c)),
        ("SmoothGrad, batch 16", SaliencyParams(method="smoothgrad", samples=1000, batch_size=16),
         lambda c: saliency_job(model, photo, 1, control=c)),
        ("Integrated Gradients, batch 16", SaliencyParams(method="integrated-gradients", steps=2000, batch_size=16),
         lambda c: saliency_job(model, photo, 1, control=c)),
        ("fooling", FoolParams(lr=1e-4, max_iter=100_000), lambda c: fool(model, photo, 1, control=c)),
        ("caption features, batch 64", None, lambda c: extract_features(
            model, images, FeatureSpec(layers=("blocks.10",), image_size=224), c, batch_size=64)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    model = load_model(device="cpu")
    rows = []
    for name, params, make in jobs(model):
        times = []
        for k in range(args.repeat):
            control = Control(params)
            latency, _, _ = stop_latency(lambda: make(control), control, run_for=0.4 + 0.37 * k)
            times.append(latency * 1000)
        rows.append([name, statistics.median(times), max(times)])
        print(f"{name}: median {rows[-1][1]:.0f} ms, worst {rows[-1][2]:.0f} ms", file=sys.stderr, flush=True)
    print(table(f"Stop to stopped (ms, {args.repeat} stops at different moments, {time.strftime('%Y-%m-%d')})",
                ["job", "median ms", "worst ms"], rows))


if __name__ == "__main__":
    main()
