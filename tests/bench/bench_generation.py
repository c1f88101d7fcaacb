"""Steps per second of each image-generation mode at 224 px, next to the bare
forward+backward rate of the same model measured in the same run.

    python tests/bench/bench_generation.py [--steps 20] [--threads N] [--device cpu]

Prints a Markdown table: mode, steps/s, seconds per step, and the ratio of a mode's
step time to one full forward+backward (below 1: the truncated forward pass
up to the layer pays off; above 1: the transforms and regularisers cost
extra).  The bare rate is re-measured between modes and each ratio uses
the two measurements around it.  Not run by CI.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from engine.generation import ClassVizParams, DreamParams, InversionParams, class_visualization, deepdream, feature_inversion  # noqa: E402
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
        ("class viz, default (fourier 224, contrast cap 3, views 0.5-1 of the size)",
         lambda c: class_visualization(model, "tarantula", control=c), ClassVizParams.defaults("fourier", steps=many)),
        ("class viz, fourier 224, free contrast, full-size views", lambda c: class_visualization(model, "tarantula", control=c),
         ClassVizParams.defaults("fourier", steps=many, contrast=0.0, coarse=0.0, min_view=1.0)),
        ("class viz, fourier 128->224", lambda c: class_visualization(model, "tarantula", control=c),
         ClassVizParams.defaults("fourier", size=128, steps=many)),
        ("class viz, pixels 224", lambda c: class_visualization(model, "tarantula", control=c),
         ClassVizParams.defaults("pixels", steps=many)),
        ("inversion blocks.2", lambda c: feature_inversion(model, photo, "blocks.2", control=c), InversionParams(steps=many)),
        ("inversion blocks.8", lambda c: feature_inversion(model, photo, "blocks.8", control=c), InversionParams(steps=many)),
        ("deepdream blocks.5", lambda c: deepdream(model, photo, "blocks.5", control=c), dream),
        ("deepdream blocks.8", lambda c: deepdream(model, photo, "blocks.8", control=c), dream),
        ("deepdream blocks.12", lambda c: deepdream(model, photo, "blocks.12", control=c), dream),
        ("guided dream blocks.8", lambda c: deepdream(model, photo, "blocks.8", control=c, guide=guide), dream),
    ]
    # The bare rate is measured before every mode and the ratio uses the mean
    # of the two measurements around it, so a machine whose load drifts
    # during the run still gives comparable ratios.
    bases = [forward_backward_rate(model, n)]
    rows = []
    for name, make, params in modes:
        rate = job_rate(make, params, n, model.device)
        bases.append(forward_backward_rate(model, n))
        rows.append((name, rate, (bases[-2] + bases[-1]) / 2))
    base = statistics.mean(bases)
    print("### Image generation: steps per second at 224 px\n")
    print(f"Model {model.name} on {args.device}, {torch.get_num_threads()} threads, median of {n} steps per mode. "
          "Cost = time of one step / time of one full forward+backward.\n")
    print("| mode | steps/s | ms/step | cost vs fwd+bwd |")
    print("|---|---:|---:|---:|")
    print(f"| forward+backward (full net), mean | {base:.2f} | {1000 / base:.1f} | 1.00 |")
    for name, rate, local in rows:
        print(f"| {name} | {rate:.2f} | {1000 / rate:.1f} | {local / rate:.2f} |")
    print(f"\nForward+backward rates measured between the modes: {', '.join(f'{b:.2f}' for b in bases)} steps/s.")


if __name__ == "__main__":
    main()
