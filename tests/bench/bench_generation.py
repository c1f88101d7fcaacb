"""Steps per second of each image-generation mode at 224 px, next to the bare
forward+backward rate of the same model measured in the same run.

    python tests/bench/bench_generation.py [--steps 20] [--threads N] [--device cpu]

Prints a table: mode, steps/s, seconds per step, and the ratio of a mode's
step time to one full forward+backward (below 1: the truncated forward pass
up to the layer pays off; above 1: the transforms and regularisers cost
extra).  Not run by CI.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from engine.generation import (ClassVizParams, DreamParams, InversionParams, class_visualization,  # noqa: E402
                               deepdream, feature_inversion)
from engine.imaging import load_image, resize  # noqa: E402
from engine.jobs import Control  # noqa: E402
from engine.models import load_model  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def forward_backward_rate(model, steps: int) -> float:
    """Bare cost: full forward to the logits and backward to the input."""
    x = torch.zeros((1, 3, 224, 224), device=model.device).normal_().requires_grad_(True)
    for _ in range(3):
        model.logits(x)[0, 0].backward()
    _sync(model.device)
    start = time.perf_counter()
    for _ in range(steps):
        x.grad = None
        model.logits(x)[0, 0].backward()
    _sync(model.device)
    return steps / (time.perf_counter() - start)


def job_rate(make_job, params, steps: int, device: torch.device) -> float:
    """Steps per second of a generation job: time between frames emitted at
    every step, after a warm-up, median of the per-step times."""
    control = Control(params, emit_interval=None, emit_every=1)
    job = make_job(control)
    times = []
    last = None
    for i, frame in enumerate(job):
        _sync(device)
        now = time.perf_counter()
        if last is not None and i >= 3 and not frame.final:
            times.append(now - last)
        last = now
        if len(times) >= steps:
            control.cancel()
    return 1.0 / statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_model(device=args.device)
    import skimage.data

    photo = resize(load_image(Path(skimage.data.__file__).parent / "chelsea.png")[:300, 50:350], (224, 224))
    guide = load_image(Path(skimage.data.__file__).parent / "coffee.png")
    n = args.steps
    many = n + 10
    dream = DreamParams(steps=many, octaves=1, tile=0, jitter=32)
    modes = [
        ("class viz, fourier 224", lambda c: class_visualization(model, "tarantula", control=c),
         ClassVizParams.defaults("fourier", size=224, steps=many)),
        ("class viz, fourier 128->224 (default)", lambda c: class_visualization(model, "tarantula", control=c),
         ClassVizParams.defaults("fourier", steps=many)),
        ("class viz, pixels 224", lambda c: class_visualization(model, "tarantula", control=c),
         ClassVizParams.defaults("pixels", steps=many)),
        ("inversion blocks.2", lambda c: feature_inversion(model, photo, "blocks.2", control=c), InversionParams(steps=many)),
        ("inversion blocks.8", lambda c: feature_inversion(model, photo, "blocks.8", control=c), InversionParams(steps=many)),
        ("deepdream blocks.5", lambda c: deepdream(model, photo, "blocks.5", control=c), dream),
        ("deepdream blocks.8", lambda c: deepdream(model, photo, "blocks.8", control=c), dream),
        ("deepdream blocks.12", lambda c: deepdream(model, photo, "blocks.12", control=c), dream),
        ("guided dream blocks.8", lambda c: deepdream(model, photo, "blocks.8", control=c, guide=guide), dream),
    ]
    base = forward_backward_rate(model, n)
    rows = [("forward+backward (full net)", base)]
    for name, make, params in modes:
        rows.append((name, job_rate(make, params, n, model.device)))
    base_again = forward_backward_rate(model, n)
    print(f"model {model.name} on {args.device}, {torch.get_num_threads()} threads, {n} timed steps per mode")
    print(f"{'mode':40s} {'steps/s':>9s} {'ms/step':>9s} {'cost vs fwd+bwd':>16s}")
    for name, rate in rows:
        print(f"{name:40s} {rate:9.2f} {1000 / rate:9.1f} {base / rate:16.2f}")
    print(f"(forward+backward measured again at the end: {base_again:.2f} steps/s)")


if __name__ == "__main__":
    main()
