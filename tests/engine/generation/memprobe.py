"""Peak resident memory of one DeepDream run, measured in a fresh process.

Usage: python memprobe.py WIDTH HEIGHT TILE LAYER [STEPS] [OCTAVES]
Prints one JSON object: the resident set after loading the model
(``base_mb``) and the peak during the dream (``peak_mb``), both from
/proc/self/status; the peak counter is reset (``clear_refs`` 5) after the
model is loaded, so ``peak_mb - base_mb`` is what the dream itself needed.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{field} not in /proc/self/status")


def main(argv: list[str]) -> None:
    import numpy as np
    import torch

    torch.set_num_threads(1)
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
    from engine.generation import DreamParams, deepdream
    from engine.jobs import Control, run_to_end
    from engine.models import load_model

    width, height, tile, layer = int(argv[0]), int(argv[1]), int(argv[2]), argv[3]
    steps = int(argv[4]) if len(argv) > 4 else 1
    octaves = int(argv[5]) if len(argv) > 5 else 1
    model = load_model(device="cpu")
    rng = np.random.default_rng(0)
    # a smooth synthetic photo: low-frequency noise upsampled
    small = rng.integers(0, 256, size=(max(2, height // 64), max(2, width // 64), 3), dtype=np.uint8)
    from engine.imaging import resize

    image = resize(small, (width, height))
    control = Control(DreamParams(steps=steps, octaves=octaves, tile=tile), emit_interval=None, emit_every=10**9)
    Path("/proc/self/clear_refs").write_text("5")
    base = _status("VmRSS")
    start = time.monotonic()
    run_to_end(deepdream(model, image, layer, control=control))
    seconds = time.monotonic() - start
    print(json.dumps({"width": width, "height": height, "tile": tile, "layer": layer, "base_mb": base,
                      "peak_mb": _status("VmHWM"), "seconds": seconds}))


if __name__ == "__main__":
    main(sys.argv[1:])
