"""Benchmark of the attribution methods (not run by CI).

Cost of each saliency method on EfficientNet-Lite0 at 224x224, in units of
one forward + backward pass of one image measured in the same run (the
unit is interleaved with the methods, medians reported): vanilla gradient,
SmoothGrad (25 samples), Integrated Gradients (50 steps), Grad-CAM, and a
21-point deletion curve, at internal batch sizes 1 and 16.  The ideal cost of
SmoothGrad(N) / IG(m) is N / m passes; batching can make it cheaper.

    python tests/bench/bench_attribution.py [--device cpu|cuda] [--threads K] [--quick]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _util import table  # noqa: E402

from engine.gradients import deletion_curve, grad_cam, integrated_gradients_map, smoothgrad, vanilla_saliency  # noqa: E402
from engine.models import load_model  # noqa: E402


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device) -> float:
    _sync(device)
    start = time.perf_counter()
    fn()
    _sync(device)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="one repetition (smoke run)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = load_model(device=args.device)
    device = model.device
    import skimage.data

    from engine.imaging import load_image

    photo = load_image(Path(skimage.data.__file__).parent / "coffee.png")
    x = model.preprocess(model.prepare(photo))
    target = int(model.logits(x).argmax())

    def forward_backward():
        leaf = x.detach().requires_grad_(True)
        torch.autograd.grad(model.logits(leaf)[0, target], leaf)

    sal = vanilla_saliency(model, x, target)[0]
    methods = {
        "vanilla gradient": (lambda b: vanilla_saliency(model, x, target, batch_size=b), 1),
        "SmoothGrad, N=25": (lambda b: smoothgrad(model, x, target, samples=25, batch_size=b), 25),
        "Integrated Gradients, m=50": (lambda b: integrated_gradients_map(model, x, target, steps=50, batch_size=b), 50),
        "Grad-CAM (last layer)": (lambda b: grad_cam(model, x, target, batch_size=b), 1),
        "deletion curve, 21 points (forward only)": (lambda b: deletion_curve(model, x, sal, target, points=21,
                                                                              batch_size=b), None),
    }
    repeats = 1 if args.quick else 3
    for _ in range(2):  # warm-up
        forward_backward()
    units: list[float] = []
    times: dict[tuple[str, int], list[float]] = {}
    for _ in range(repeats):
        for name, (fn, _ideal) in methods.items():
            for batch in (1, 16):
                units.append(timed(forward_backward, device))
                times.setdefault((name, batch), []).append(timed(lambda: fn(batch), device))
    unit = statistics.median(units)
    rows = []
    for name, (_fn, ideal) in methods.items():
        row = [name, "-" if ideal is None else ideal]
        for batch in (1, 16):
            row.append(statistics.median(times[(name, batch)]) / unit)
        rows.append(row)
    print(f"one forward+backward pass (the unit): {unit * 1000:.1f} ms on {device} "
          f"({torch.get_num_threads()} threads), median of {len(units)}\n")
    print(table("Attribution cost in forward+backward passes (EfficientNet-Lite0, 224x224)",
                ["method", "passes if unbatched", "batch 1", "batch 16"], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
