"""Run every benchmark (``tests/bench/bench_*.py``) and collect their tables.

Each benchmark is a plain script printing Markdown tables of ratios against
a baseline measured in the same run.  The combined output, headed by the
machine it ran on, goes to stdout and to ``tests/bench/RESULTS.md``.

Usage: make bench   (or .venv/bin/python tests/bench/run_all.py [NAME ...])
"""
from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def machine() -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none"
    return (f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} "
            f"({torch.get_num_threads()} threads), GPU: {gpu}, Python {platform.python_version()}")


def main(names: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if any(n in s.stem for n in names)]
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    parts = [f"## Benchmarks — {time.strftime('%Y-%m-%d')}\n", f"Machine: {machine()}\n"]
    failed = []
    for script in scripts:
        print(f"running {script.name} …", file=sys.stderr, flush=True)
        t0 = time.monotonic()
        result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, cwd=HERE.parents[1])
        took = time.monotonic() - t0
        if result.returncode != 0:
            failed.append(script.name)
            parts.append(f"### {script.stem}: FAILED (exit {result.returncode})\n\n```\n{result.stderr[-2000:]}\n```\n")
        else:
            parts.append(result.stdout.strip() + f"\n\n_{script.name}: {took:.0f} s_\n")
    text = "\n".join(parts)
    print(text)
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
