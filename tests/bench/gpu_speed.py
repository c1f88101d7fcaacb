"""The speed half of ``gpu_check.py`` and what both halves use: the Markdown
table of results, the procedural test photos, error measures, and the speed
rows (the device tuning against the plain network, forward+backward rates,
steps/s of each optimization loop, SmoothGrad and Integrated Gradients in
plain passes, captioning training throughput, autocast as a candidate).
Run ``gpu_check.py``, not this module."""
from __future__ import annotations

import copy
import statistics
import sys
import time

import numpy as np
import torch

from engine.generation import ClassVizParams, DreamParams, InversionParams, class_visualization, deepdream, feature_inversion
from engine.gradients import FoolParams, fool, integrated_gradients, smoothgrad, vanilla_saliency
from engine.jobs import Control, run_to_end


# ---------------------------------------------------------------------- helpers
class Table:
    """Rows of | area | check | measured | target | ok |.  ``ok`` of a
    correctness row decides the exit code; a speed row (``speed=True``) says
    whether its target is met without failing the run (timings vary)."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []
        self.failures = 0

    def add(self, area: str, check: str, value: float | str, target: str = "", ok: bool | None = None,
            *, speed: bool = False) -> None:
        text = f"{value:.3g}" if isinstance(value, float) else str(value)
        if ok is False and not speed:
            self.failures += 1
        mark = "-" if ok is None else ("met" if ok else "not met") if speed else ("yes" if ok else "**NO**")
        self.rows.append((area, check.replace("|", "/"), text, target, mark))
        print(f"  {area}: {check} = {text} {target} {'' if ok is None else ('ok' if ok else 'FAIL')}",
              file=sys.stderr, flush=True)

    def markdown(self) -> str:
        lines = ["| area | check | measured | target | ok |", "|---|---|---|---|---|"]
        lines += ["| " + " | ".join(row) + " |" for row in self.rows]
        return "\n".join(lines)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def seconds(fn, device: torch.device, reps: int = 3, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` (device work included)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(reps):
        sync(device)
        start = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def photo(seed: int, size: int = 224) -> np.ndarray:
    """A procedural test photo: smooth colour gradients, a few discs and squares, mild noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    img = np.stack([255 * xx, 255 * yy, 128 + 100 * np.sin(6 * xx + 4 * yy)], -1)
    for _ in range(6):
        cy, cx, r = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.05, 0.2)
        color = rng.uniform(0, 255, 3)
        mask = ((yy - cy) ** 2 + (xx - cx) ** 2 < r * r) if rng.random() < 0.5 else \
            ((abs(yy - cy) < r) & (abs(xx - cx) < r))
        img[mask] = color
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def rel_err(a, b) -> float:
    """max |a - b| / max |b| (both moved to the CPU in float64)."""
    a = torch.as_tensor(a).detach().double().cpu()
    b = torch.as_tensor(b).detach().double().cpu()
    return float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))


def corr(a, b) -> float:
    a = torch.as_tensor(a).detach().double().cpu().flatten()
    b = torch.as_tensor(b).detach().double().cpu().flatten()
    return float(np.corrcoef(a.numpy(), b.numpy())[0, 1])


# ---------------------------------------------------------------------- speed
def fwd_bwd_seconds(model, batch: int, reps: int, x: torch.Tensor | None = None) -> float:
    """Seconds per image of a full forward to one logit and backward to the input."""
    if x is None:
        x = torch.randn(batch, 3, 224, 224, generator=torch.Generator().manual_seed(0)).to(model.device)

    def step():
        leaf = x.detach().requires_grad_(True)
        torch.autograd.grad(model.logits(leaf)[:, 1].sum(), leaf)

    return seconds(step, model.device, reps=reps, warmup=2) / batch


def loop_rate(make_job, params_for, device, short: int, long: int) -> float:
    """Steps per second of a job in real use (default frame emission), set-up
    cost removed: (long - short) steps / (time(long) - time(short))."""
    def run(n):
        sync(device)
        start = time.perf_counter()
        run_to_end(make_job(Control(params_for(n))))
        sync(device)
        return time.perf_counter() - start

    run(short)  # warm-up
    return (long - short) / max(run(long) - run(short), 1e-9)


def plain_copy(model):
    """The model as PyTorch runs it by default: NCHW, BatchNorm not folded."""
    plain = copy.deepcopy(model)
    plain.tune(channels_last=False, fold_batchnorm=False)
    return plain


def bench(t: Table, dev, quick: bool) -> None:
    device = dev.device
    reps = 3 if quick else 10
    unit = fwd_bwd_seconds(plain_copy(dev), 1, reps)  # the unit: a plain single-image pass
    t.add("speed", "forward+backward, plain NCHW, batch 1 (images/s)", 1 / unit)
    tuned = fwd_bwd_seconds(dev, 1, reps)
    t.add("speed", f"forward+backward, tuned, batch 1 (images/s; {unit / tuned:.2f}x plain)", 1 / tuned)
    for batch in (8, 16, 32, 64):
        per_image = fwd_bwd_seconds(dev, batch, max(2, reps // 3))
        chosen = " (the device's batch)" if batch == dev.tuning.batch else ""
        t.add("speed", f"forward+backward, tuned, batch {batch}{chosen}: cost per image in plain passes",
              per_image / unit)
    source, guide = photo(5), photo(6, 128)
    short, long = (2, 6) if quick else (5, 25)
    loops = {
        "fooling": (lambda c: fool(dev, source, 1, control=c, prepared=True), lambda n: FoolParams(lr=1e-4, max_iter=n)),
        "class viz (fourier 128 -> 224)": (lambda c: class_visualization(dev, 76, control=c),
                                           lambda n: ClassVizParams(steps=n)),
        "feature inversion (blocks.8)": (lambda c: feature_inversion(dev, source, "blocks.8", control=c),
                                         lambda n: InversionParams(steps=n)),
        "DeepDream (blocks.8)": (lambda c: deepdream(dev, source, "blocks.8", control=c),
                                 lambda n: DreamParams(steps=n, octaves=1, tile=0)),
        "guided DeepDream (blocks.8)": (lambda c: deepdream(dev, source, "blocks.8", control=c, guide=guide),
                                        lambda n: DreamParams(steps=n, octaves=1, tile=0)),
    }
    for name, (make, params) in loops.items():
        rate = loop_rate(make, params, device, short, long)
        t.add("speed", f"{name}: steps/s ({rate:.3g}) / plain forward+backward rate", rate * unit, ">= 0.9",
              rate * unit >= 0.9, speed=True)
    x = dev.preprocess(source)
    for name, fn, n in (("SmoothGrad N=25", lambda: smoothgrad(dev, x, 1, samples=25), 20),
                        ("Integrated Gradients m=50", lambda: integrated_gradients(dev, x, 1, steps=50), 40)):
        cost = seconds(fn, device, reps=1 if quick else 3, warmup=1) / unit
        t.add("speed", f"{name}, auto batch ({dev.tuning.batch}): cost in plain forward+backward passes", cost,
              f"<= {n}", cost <= n, speed=True)

    from bench_captioning import train_bench  # the captioning benchmark's own comparison

    sizes = (20, 8, 64, 64, 128, 200) if quick else (100, 16, 256, 256, 512, 1000)
    for cell in ("lstm", "rnn"):
        ours, ref = train_bench(cell, sizes, device, 3 if quick else 5)
        t.add("speed", f"{cell.upper()} training seq/s: explicit backward ({ours:.0f}) / torch.nn autograd ({ref:.0f})",
              ours / ref)


def tuning_rows(t: Table, dev, quick: bool) -> None:
    """What the device tuning chose, and each of its parts against the plain network, with its error."""
    reps = 3 if quick else 10
    t.add("tuning", "device tuning (engine.device.device_tuning)", str(dev.tuning).replace("Tuning", ""))
    x = dev.preprocess([photo(7), photo(8)])
    plain = plain_copy(dev)
    with torch.no_grad():
        base_logits = plain.logits(x)
    unit = fwd_bwd_seconds(plain, 2, reps, x)
    for label, changes in (("channels-last only", dict(channels_last=True, fold_batchnorm=False)),
                           ("folded BatchNorm only", dict(channels_last=False, fold_batchnorm=True)),
                           ("both", dict(channels_last=True, fold_batchnorm=True))):
        variant = copy.deepcopy(plain)
        variant.tune(**changes)
        with torch.no_grad():
            err = rel_err(variant.logits(x), base_logits)
        speed = unit / fwd_bwd_seconds(variant, 2, reps, x)
        t.add("tuning", f"{label}: forward+backward speed-up, batch 2 (logits rel. error {err:.2g})", speed,
              "error < 5e-3", err < 5e-3)


def candidate_speedups(t: Table, dev, quick: bool) -> None:
    """Speed and error of GPU speed-ups the engine does not use (yet)."""
    reps = 3 if quick else 10
    x = dev.preprocess([photo(7), photo(8)])
    with torch.no_grad():
        base_logits = dev.logits(x)
    unit = fwd_bwd_seconds(dev, 2, reps, x)
    if dev.device.type != "cuda":
        t.add("candidate", "autocast float16 / bfloat16", "n/a on the CPU")
        return
    for dtype in (torch.float16, torch.bfloat16):
        class Autocast(torch.nn.Module):
            def __init__(self, net):
                super().__init__()
                self.net = net

            def forward(self, inp):
                with torch.autocast("cuda", dtype=dtype):
                    return self.net(inp).float()

        amp = copy.deepcopy(dev)
        amp.net = Autocast(dev.net)
        with torch.no_grad():
            logits = amp.logits(x)
        err = rel_err(logits, base_logits)
        top1 = bool((logits.argmax(1) == base_logits.argmax(1)).all())
        sal = corr(vanilla_saliency(amp, x[:1], 1), vanilla_saliency(dev, x[:1], 1))
        speed = unit / fwd_bwd_seconds(amp, 2, reps, x)
        t.add("candidate", f"autocast {str(dtype)[6:]}: speed-up (logits rel. error {err:.2g}, top-1 same {top1}, "
              f"saliency corr. {sal:.3f})", speed, "> 1.3, corr. > 0.99 to adopt", None)
