"""Speed of every generation mode, fooling and attribution: today's engine
against an earlier one (default: commit 1014297, before the device tuning of
issue #14), in the same run.  Not run by CI.

    python tests/bench/bench_speed.py [--before 1014297] [--reps 3] [--steps 10] [--threads N] [--quick]

Two worker processes load the model once each: one imports the engine of the
working tree, one the engine of ``--before`` (``git archive`` into a temporary
folder).  The parent asks them in turn for the same measurement (the order
alternating every repetition, never both at once), so a machine whose load
drifts slows both alike; each number is the median over the repetitions.

* generation modes: median time of one step (frames emitted at every step,
  after 3 warm-up steps; ``--steps`` per turn, ``--reps`` turns per engine,
  all the steps pooled), at the settings named in the row;
* fooling: time of one gradient step (a run of ``--steps`` steps with a
  learning rate too small to fool, divided by the steps);
* attribution: the time of SmoothGrad-25 / Integrated Gradients-50 / vanilla
  at each engine's default batch size, in units of one bare single-image NCHW
  forward+backward pass measured in the earlier engine between them.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

GENERATION = (
    "class viz, fourier 128 px",
    "class viz, fourier 224 px (default)",
    "class viz, pixels 128 px",
    "class viz, pixels 224 px",
    "inversion blocks.2, 224 px",
    "inversion blocks.8, 224 px",
    "deepdream blocks.8, 224 px",
    "deepdream blocks.8, 1000x750 photo, tiles 512",
    "guided dream blocks.8, 224 px",
    "fooling step, 224 px",
)
ATTRIBUTION = (("SmoothGrad, N=25", 25), ("Integrated Gradients, m=50", 50), ("vanilla gradient", 1),
               ("deletion curve, 21 points", None))


# ----------------------------------------------------------------------------- worker
def _worker(root: str, threads: int | None, clock_name: str) -> None:
    sys.path.insert(0, root)
    import numpy as np
    import skimage.data
    import torch

    if threads:
        torch.set_num_threads(threads)
    clock = time.process_time if clock_name == "cpu" else time.perf_counter
    from engine.generation import ClassVizParams, DreamParams, InversionParams, class_visualization, deepdream, feature_inversion
    from engine.gradients import FoolParams, deletion_curve, fool, integrated_gradients_map, smoothgrad, vanilla_saliency
    from engine.imaging import load_image, resize
    from engine.jobs import Control
    from engine.models import load_model

    model = load_model(device="cpu")
    data = Path(skimage.data.__file__).parent
    photo = resize(load_image(data / "chelsea.png")[:300, 50:350], (224, 224))
    guide = load_image(data / "coffee.png")
    big = resize(load_image(data / "coffee.png"), (1000, 750))  # width, height
    x = model.preprocess(model.prepare(load_image(data / "coffee.png")))
    target = int(model.logits(x).argmax())
    saliency = vanilla_saliency(model, x, target)[0]
    import engine

    if not Path(engine.__file__).resolve().is_relative_to(Path(root).resolve()):
        raise SystemExit(f"the worker for {root} imported the engine of {engine.__file__}")
    sys.stdout.write(json.dumps({"ready": str(getattr(model, "tuning", "NCHW, no tuning"))}) + "\n")
    sys.stdout.flush()

    def per_step(make_job, params, steps: int, warmup: int = 3) -> list[float]:
        control = Control(params, emit_interval=None, emit_every=1)
        times, last = [], None
        for i, frame in enumerate(make_job(control)):
            now = clock()
            if last is not None and i >= warmup and not frame.final:
                times.append(now - last)
            last = now
            if len(times) >= steps:
                control.cancel()
        return times

    def unit(steps: int) -> list[float]:
        times = []
        for _ in range(steps):
            leaf = x.detach().requires_grad_(True)
            start = clock()
            torch.autograd.grad(model.logits(leaf)[0, target], leaf)
            times.append(clock() - start)
        return times

    def fooling(steps: int) -> list[float]:
        control = Control(FoolParams(lr=0.01, max_iter=steps), emit_interval=None, emit_every=10**9)
        start = clock()
        frames = list(fool(model, photo, 1, control=control))
        return [(clock() - start) / max(1, frames[-1].step)]

    def generation(name: str, steps: int) -> list[float]:
        many = steps + 10
        dream = DreamParams(steps=many, octaves=1, tile=512)
        if name == "fooling step, 224 px":
            return fooling(steps)
        if name.startswith("class viz"):
            kind = "fourier" if "fourier" in name else "pixels"
            size = 128 if "128" in name else 224
            params = ClassVizParams.defaults(kind, size=size, steps=many)
            return per_step(lambda c: class_visualization(model, "tarantula", control=c), params, steps)
        if name.startswith("inversion"):
            layer = name.split()[1].rstrip(",")
            return per_step(lambda c: feature_inversion(model, photo, layer, control=c), InversionParams(steps=many), steps)
        if name.startswith("deepdream") and "1000x750" in name:
            return per_step(lambda c: deepdream(model, big, "blocks.8", control=c), dream, max(2, steps // 3), warmup=1)
        if name.startswith("deepdream"):
            return per_step(lambda c: deepdream(model, photo, "blocks.8", control=c), dream, steps)
        if name.startswith("guided"):
            return per_step(lambda c: deepdream(model, photo, "blocks.8", control=c, guide=guide), dream, steps)
        raise ValueError(name)

    def attribution(name: str) -> list[float]:
        runs = {"SmoothGrad, N=25": lambda: smoothgrad(model, x, target, samples=25),
                "Integrated Gradients, m=50": lambda: integrated_gradients_map(model, x, target, steps=50),
                "vanilla gradient": lambda: vanilla_saliency(model, x, target),
                "deletion curve, 21 points": lambda: deletion_curve(model, x, saliency, target, points=21)}
        start = clock()
        runs[name]()
        return [clock() - start]

    unit(3)
    for line in sys.stdin:
        task = json.loads(line)
        if task["kind"] == "unit":
            times = unit(task["steps"])
        elif task["kind"] == "generation":
            times = generation(task["name"], task["steps"])
        else:
            times = attribution(task["name"])
        sys.stdout.write(json.dumps({"times": times}) + "\n")
        sys.stdout.flush()
    del np


# ----------------------------------------------------------------------------- parent
class Worker:
    def __init__(self, root: Path, threads: int | None, clock: str) -> None:
        argv = [sys.executable, str(Path(__file__).resolve()), "--worker", str(root), "--clock", clock]
        if threads:
            argv += ["--threads", str(threads)]
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root, env=env)
        self.tuning = json.loads(self.process.stdout.readline())["ready"]

    def ask(self, **task) -> list[float]:
        self.process.stdin.write(json.dumps(task) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"worker failed on {task}")
        return json.loads(line)["times"]

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


def _turns(rep: int, before: Worker, now: Worker) -> list[tuple[str, Worker]]:
    pair = [("before", before), ("now", now)]
    return pair if rep % 2 == 0 else pair[::-1]


def _engine_at(revision: str, folder: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "engine"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive.stdout, check=True)
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="1014297", help="git revision of the engine to compare with")
    parser.add_argument("--reps", type=int, default=6, help="turns of each engine per row")
    parser.add_argument("--steps", type=int, default=6, help="steps timed per turn")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help="one repetition of few steps (smoke run)")
    parser.add_argument("--only", default="", help="comma-separated words: rows whose name contains one of them")
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall-clock time, or the CPU time of the worker process (with --threads 1: "
                             "robust on a machine that other jobs keep busy)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        _worker(args.worker, args.threads, args.clock)
        return 0
    reps, steps = (1, 4) if args.quick else (args.reps, args.steps)
    only = [w for w in args.only.split(",") if w]
    generation = [n for n in GENERATION if not only or any(w in n for w in only)]
    attributions = [a for a in ATTRIBUTION if not only or any(w in a[0] for w in only)]
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        before = Worker(_engine_at(args.before, Path(tmp)), args.threads, args.clock)
        now = Worker(ROOT, args.threads, args.clock)
        gen: dict[tuple[str, str], list[float]] = {}
        att: dict[tuple[str, str], list[float]] = {}
        units: list[float] = []
        try:
            for name in generation:  # the two engines take turns on each row, so load bursts hit both
                for rep in range(reps):
                    for label, worker in _turns(rep, before, now):
                        gen.setdefault((label, name), []).extend(worker.ask(kind="generation", name=name, steps=steps))
            for name, _ in attributions:
                for rep in range(reps):
                    units.extend(before.ask(kind="unit", steps=3))
                    for label, worker in _turns(rep, before, now):
                        att.setdefault((label, name), []).append(worker.ask(kind="attribution", name=name)[0])
            units.extend(before.ask(kind="unit", steps=3))
        finally:
            before.close()
            now.close()
    unit = statistics.median(units)
    print(f"### Speed: this engine against {args.before} (same run, alternating)\n")
    print(f"CPU, {args.threads or torch_threads()} threads, {args.clock} clock; each engine {reps} turns per row, "
          f"medians of all the steps timed. Now: {now.tuning}. "
          f"Unit: one bare single-image NCHW forward+backward at 224 px in the {args.before} engine, "
          f"{unit * 1000:.1f} ms (median of {len(units)} measurements between the rows).\n")
    if generation:
        print(f"| mode (same settings in both) | {args.before} ms/step | now ms/step | speed-up |")
        print("|---|---:|---:|---:|")
        for name in generation:
            b, n = statistics.median(gen[("before", name)]), statistics.median(gen[("now", name)])
            print(f"| {name} | {b * 1000:.1f} | {n * 1000:.1f} | {b / n:.2f}x |")
        print()
    if attributions:
        print(f"| attribution at the default batch size | {args.before} passes | now passes | speed-up |")
        print("|---|---:|---:|---:|")
        for name, _ideal in attributions:
            b, n = statistics.median(att[("before", name)]), statistics.median(att[("now", name)])
            print(f"| {name} | {b / unit:.1f} | {n / unit:.1f} | {b / n:.2f}x |")
        print()
    print(f"_bench_speed.py: {time.monotonic() - started:.0f} s_")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
