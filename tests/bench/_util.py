"""Small helpers shared by the benchmark scripts (timing, tables, memory)."""
from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Median seconds per call of ``fn`` after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def before_after(runs: dict[str, Callable[[], object]], repeat: int) -> tuple[dict[str, float], dict[str, object]]:
    """Each of ``runs`` called ``repeat`` times, alternated (so a change in the
    machine's load hits all of them): the median seconds and the last result of each."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    results: dict[str, object] = {}
    for _ in range(repeat):
        for name, fn in runs.items():
            start = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}, results


def print_before_after(title: str, labels: dict[str, str], times: dict[str, float], verdict: str) -> None:
    """The run's title, each run's median seconds under its label, the speed-up and ``verdict``."""
    print(title)
    width = max(len(label) for label in labels.values()) + 1
    for name, label in labels.items():
        print(f"{label + ':':<{width}} {times[name]:.1f} s")
    print(f"speed-up {times['before'] / times['after']:.2f}x; {verdict}")


def removal_args(doc: str, points: int, repeat: int, extra=None):
    """The command line of a removal-curve benchmark (``--photo``, ``--fill``, ``--points``, ``--repeat``;
    ``extra(parser)`` adds more), parsed, with torch on one thread; the fill-ins as a list in ``args.fills``."""
    import argparse

    import torch

    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if extra is not None:
        extra(parser)
    parser.add_argument("--photo", default="coffee.jpg", help="a photo of resources/samples")
    parser.add_argument("--fill", default="noisy-linear,blur,black")
    parser.add_argument("--points", type=int, default=points)
    parser.add_argument("--repeat", type=int, default=repeat, help="runs of each, alternated (medians)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    args.fills = args.fill.split(",")
    return args


def rss_mib() -> float:
    """Current resident set size in MiB (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far, MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def table(title: str, header: list[str], rows: list[list[object]]) -> str:
    """A Markdown table (so results paste straight into the README)."""
    def fmt(v: object) -> str:
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    lines = [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"
