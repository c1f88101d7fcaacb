"""Peak resident memory of DeepDream on large images (4000x3000 and smaller),
each in a fresh process (tests/engine/generation/memprobe.py), next to the
memory of the process with the model loaded.

Run: .venv/bin/python tests/bench/bench_dream_memory.py
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _util import table  # noqa: E402

PROBE = HERE.parent / "engine" / "generation" / "memprobe.py"
RUNS = ("1000x750:512", "2000x1500:512", "4000x3000:512")


def main() -> str:
    rows = []
    for run in RUNS:
        out = subprocess.run([sys.executable, str(PROBE), "blocks.8", run, "--steps", "1", "--octaves", "2"],
                             capture_output=True, text=True, timeout=1800)
        lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        if out.returncode != 0 or not lines:
            rows.append([run, "failed", out.stderr.strip().splitlines()[-1:] or "", "", ""])
            continue
        r = lines[-1]
        base, peak = r["base_mb"], r["peak_mb"]
        rows.append([run.split(":")[0], run.split(":")[1], round(base), round(peak), round(peak - base)])
    return table("DeepDream peak memory (blocks.8, 2 octaves x 1 step, fresh process each)",
                 ["image", "tile px", "RSS with model MB", "peak RSS MB", "dream needed MB"], rows)


if __name__ == "__main__":
    print(main())
