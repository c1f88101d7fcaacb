"""Peak resident memory of DeepDream runs, measured in a fresh process.

Usage: python memprobe.py LAYER WxH:TILE [WxH:TILE ...] [--steps N] [--octaves K]

Prints one JSON object per run: the resident set before the run
(``base_mb``) and the peak during it (``peak_mb``), both from
/proc/self/status.  The peak counter is reset (``clear_refs`` 5) before each
run, and glibc is told to serve every allocation of 64 KiB or more with its
own mapping (``MALLOC_MMAP_THRESHOLD_``, set by re-executing when missing),
so freed tensors go back to the system and one run's leftovers cannot hide
the next run's needs.  ``peak_mb - base_mb`` is what the dream itself needed.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import time
from pathlib import Path

THRESHOLD = "65536"


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{field} not in /proc/self/status")


def main(argv: list[str]) -> None:
    if os.environ.get("MALLOC_MMAP_THRESHOLD_") != THRESHOLD:
        env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=THRESHOLD, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
        os.execve(sys.executable, [sys.executable, __file__, *argv], env)
    parser = argparse.ArgumentParser()
    parser.add_argument("layer")
    parser.add_argument("runs", nargs="+", help="WIDTHxHEIGHT:TILE")
    parser.add_argument("--steps", type=int, default=1)
    parser.add_argument("--octaves", type=int, default=1)
    args = parser.parse_args(argv)

    import numpy as np
    import torch

    torch.set_num_threads(1)
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from engine.generation import DreamParams, deepdream
    from engine.imaging import resize
    from engine.jobs import Control, run_to_end
    from engine.models import load_model

    model = load_model(device="cpu")
    for spec in args.runs:
        size, tile = spec.split(":")
        width, height = (int(v) for v in size.split("x"))
        rng = np.random.default_rng(0)
        small = rng.integers(0, 256, size=(max(2, height // 64), max(2, width // 64), 3), dtype=np.uint8)
        image = resize(small, (width, height))  # a smooth synthetic photo
        control = Control(DreamParams(steps=args.steps, octaves=args.octaves, tile=int(tile)),
                          emit_interval=None, emit_every=10**9)
        gc.collect()
        Path("/proc/self/clear_refs").write_text("5")
        base = _status("VmRSS")
        start = time.monotonic()
        run_to_end(deepdream(model, image, args.layer, control=control))
        seconds = time.monotonic() - start
        print(json.dumps({"width": width, "height": height, "tile": int(tile), "layer": args.layer,
                          "base_mb": base, "peak_mb": _status("VmHWM"), "seconds": seconds}), flush=True)
        del image, control


if __name__ == "__main__":
    main(sys.argv[1:])
