"""Cost per step of MACO next to today's default (the Fourier image) at the
same size, on the same network, measured in the same run (issue #28: within
1.3x).

    python tests/bench/bench_maco.py [--model efficientnet_lite0] [--size 224] [--steps 24] [--reps 3]
        [--clock cpu|wall] [--threads 1]

Runs of ``--steps`` class-visualization steps of each parameterisation's
recipe (``ClassVizParams.defaults``) take turns, with the same seed (the same
random views, so the same network work); the measuring starts after a
warm-up run of each (MACO's natural spectrum is measured once per size and
cached).  Prints a Markdown table: milliseconds per step of each (median of
``--reps``) and the ratio MACO / Fourier; the exit status is 1 when the ratio
is above 1.3.  ``--clock cpu`` (default) counts this process's CPU time, robust
on a shared machine with one thread.  Not run by CI.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from engine.generation import ClassVizParams, class_visualization  # noqa: E402
from engine.jobs import Control, run_to_end  # noqa: E402
from engine.models import load_model  # noqa: E402

TARGET = "tarantula"
LIMIT = 1.3


def per_step(model, kind: str, size: int, steps: int, clock) -> float:
    params = ClassVizParams.defaults(kind, size=size, steps=steps)
    start = clock()
    run_to_end(class_visualization(model, TARGET, control=Control(params, emit_interval=None), seed=0))
    return (clock() - start) / steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    model = load_model(args.model, device="cpu")
    kinds = ("fourier", "maco")
    for kind in kinds:  # warm-up: first passes, MACO's spectrum
        per_step(model, kind, args.size, 2, clock)
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for rep in range(args.reps):
        for kind in (kinds if rep % 2 == 0 else tuple(reversed(kinds))):
            times[kind].append(per_step(model, kind, args.size, args.steps, clock))
    fourier, maco = (statistics.median(times[k]) for k in kinds)
    ratio = maco / fourier
    print(f"### MACO vs the Fourier default, {model.name}, {args.size} px, {args.steps} steps x {args.reps} "
          f"(median), {args.clock} clock, {torch.get_num_threads()} thread(s)\n")
    print("| parameterisation | ms per step |")
    print("|---|---:|")
    print(f"| Fourier (today's default) | {1000 * fourier:.1f} |")
    print(f"| MACO | {1000 * maco:.1f} |")
    print(f"\nratio MACO / Fourier: {ratio:.2f} (target <= {LIMIT})")
    return 0 if ratio <= LIMIT else 1


if __name__ == "__main__":
    raise SystemExit(main())
