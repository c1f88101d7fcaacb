"""The folder report on 100 real photos, measured, in one command:

    .venv/bin/python tools/photos_saliency_eval.py [--photos /tmp/real_photos] [--out /tmp/photos_eval]
        [--points 6] [--readme] [--no-run] [--wall SECONDS]

1. builds ``PHOTOS`` with ``tools/real_photo_folder.py`` when it has no
   ``SOURCES.csv`` yet (100 photos from installed packages; it names the
   packages to install when some are missing);
2. runs ``saliency-eval PHOTOS --methods all --fill noisy-linear,blur,black
   --points 6`` (the CLI, in this process, EfficientNet-Lite0, every map
   explained for the predicted class) into ``OUT/report/`` and times it; a
   stopped run resumes (``--no-run``: only summarise what ``OUT/report/``
   holds, ``--wall``: the run's seconds when it ran elsewhere);
3. writes ``OUT/summary.md`` (and with ``--readme`` the README section between
   the ``photos-eval`` markers): per method and fill-in the mean MoRF, LeRF
   and gap with ranks, each gap's standard error and how often it beats the
   random map's on the same photo, the methods in order per metric, and
   Kendall's τ between the metrics, per photo and between the orderings of
   the means (do the metrics agree?).

There are no object boxes for these photos, so the pointing game and the
relevance mass are not measured here (the shape scenes have them).
"""
from __future__ import annotations

import argparse
import csv
import math
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.gradients.evaluation import EVAL_PARAMS, metric_columns  # noqa: E402
from engine.gradients.folder_eval import read_scores  # noqa: E402
from engine.gradients.ranking import agreement, summarize  # noqa: E402
from tools._readme_section import publish  # noqa: E402
from tools._shapes_eval_tables import ROWS, SHORT, _agreement_table, _f, _name, _orders, _removal_table, _title  # noqa: E402

FILLS = ("noisy-linear", "blur", "black")
MARK = "photos-eval"
RANDOM = ROWS[-1]


def run_eval(photos: Path, report: Path, points: int) -> float:
    """``saliency-eval`` on the photos; its wall-clock seconds."""
    from engine.cli import main as cli

    args = ["--device", "cpu", "saliency-eval", str(photos), "--methods", "all", "--fill", ",".join(FILLS),
            "--points", str(points), "--out", str(report)]
    print("neural-lens-cli " + " ".join(args), flush=True)
    start = time.perf_counter()
    if cli(args):
        raise SystemExit("saliency-eval failed")
    return time.perf_counter() - start


def _by_photo(rows: list[dict]) -> dict[str, dict[str, dict]]:
    out: dict[str, dict[str, dict]] = {}
    for r in rows:
        out.setdefault(r["photo"], {})[r["method"]] = r
    return out


def _gap_table(rows: list[dict], fills) -> list[str]:
    """Per method and fill-in: mean gap ± standard error, and the share of photos where it beats random's gap."""
    photos = [p for p in _by_photo(rows).values() if RANDOM in p]
    head = " | ".join(f"{SHORT[f]} gap ± se / beats random" for f in fills)
    out = [f"| method | {head} |", "|---|" + "---:|" * len(fills)]
    for m in ROWS:
        cells = []
        for f in fills:
            key = f"gap:{f}"
            gaps = np.array([p[m][key] for p in photos if m in p and math.isfinite(p[m][key])])
            wins = np.mean([p[m][key] > p[RANDOM][key] for p in photos if m in p]) if m != RANDOM else math.nan
            se = gaps.std(ddof=1) / math.sqrt(len(gaps)) if len(gaps) > 1 else math.nan
            cells.append(f"{_f(gaps.mean() if len(gaps) else math.nan)} ± {_f(se)} / "
                         + ("–" if m == RANDOM else f"{wins:.0%}"))
        out.append(f"| {_name(m)} | {' | '.join(cells)} |")
    return out


def _paired_table(rows: list[dict], fills) -> list[str]:
    """Per fill-in, the row with the best mean gap against each other row on the same photos: the mean
    difference of their gaps ± its standard error, and the share of photos where the best is ahead."""
    photos = [p for p in _by_photo(rows).values() if all(m in p for m in ROWS)]
    gaps = {f: {m: np.array([p[m][f"gap:{f}"] for p in photos]) for m in ROWS} for f in fills}
    best = {f: max(ROWS, key=lambda m, f=f: np.nanmean(gaps[f][m])) for f in fills}
    head = " | ".join(f"{SHORT[f]}: {_name(best[f])} − row" for f in fills)
    out = [f"| row | {head} |", "|---|" + "---:|" * len(fills)]
    for m in ROWS:
        cells = []
        for f in fills:
            d = gaps[f][best[f]] - gaps[f][m]
            cells.append("–" if m == best[f] else
                         f"{d.mean():+.3f} ± {d.std(ddof=1) / math.sqrt(len(d)):.3f} ({np.mean(d > 0):.0%})")
        out.append(f"| {_name(m)} | {' | '.join(cells)} |")
    return out


def _overall_agreement(s: dict, metrics) -> list[str]:
    """Kendall's τ between two metrics' orderings of the 7 rows by their means over the photos."""
    higher = dict(metric_columns(FILLS))
    out = ["| τ of the means | " + " | ".join(_title(c) for c in metrics) + " |", "|---|" + "---:|" * len(metrics)]
    for a in metrics:
        va = [s["mean"][m][a] for m in ROWS]
        cells = [agreement(va, higher[a], [s["mean"][m][b] for m in ROWS], higher[b]) for b in metrics]
        out.append(f"| {_title(a)} | " + " | ".join(f"{t:+.2f}" for t in cells) + " |")
    return out


def _labels(rows: list[dict]) -> str:
    counts: dict[str, int] = {}
    for p in _by_photo(rows).values():
        label = next(iter(p.values()))["label"]
        counts[label] = counts.get(label, 0) + 1
    return f"{len(counts)} different predicted classes"


def summary_markdown(csv_path: Path, info: dict) -> str:
    """The section's Markdown (``info``: photos, packages, seconds or None, points, date, machine, total)."""
    fills = tuple(info["fills"])
    rows = read_scores(csv_path)
    s = summarize(rows, ROWS, metric_columns(fills))
    metrics = [*(f"gap:{f}" for f in fills), f"morf:{fills[0]}", f"lerf:{fills[0]}", f"morf:{fills[-1]}", "sanity"]
    orders = [*(f"{k}:{f}" for k in ("gap", "morf", "lerf") for f in fills), "sanity"]
    wall = (f"`saliency-eval` took {info['seconds'] / 60:.0f} min for them" if info.get("seconds")
            else "wall time not recorded")
    done = (f"{s['photos']} of the {info['total']} photos" if s["photos"] < info["total"]
            else f"all {s['photos']} photos")
    lines = [
        f"Measured {info['date']} by `tools/photos_saliency_eval.py` ({info['machine']}): EfficientNet-Lite0 on "
        f"{done} of `tools/real_photo_folder.py`'s folder (photographs from {info['packages']} installed packages, "
        f"shorter side 256 px, the model's 224 px centre crop; {_labels(rows)}), every map explained for the "
        f"predicted class; removal curves with {info['points']} points (every 20 % of the pixels); the "
        f"noise-tunnel methods with {EVAL_PARAMS.samples} noisy copies, IG with {EVAL_PARAMS.steps} steps; "
        f"{wall}. No boxes: no pointing game or mass here.",
        "",
        "Removal (area under the class probability as pixels go, most relevant first = MoRF, least relevant "
        "first = LeRF; gap = LeRF − MoRF, about 0 for a random order), mean over the photos (mean rank of the gap "
        "in brackets, 1 = best of 7):",
        "", *_removal_table(s, fills), "",
        "The gap's spread: mean ± standard error over the photos, and on how many photos the method's gap is "
        "above the random map's on the same photo:",
        "", *_gap_table(rows, fills), "",
        "Is the winner ahead? Under each fill-in, the row with the best mean gap against each other row, photo by "
        "photo: mean difference of the gaps ± standard error (share of photos where the winner's gap is larger):",
        "", *_paired_table(rows, fills), "",
        "The methods ordered by each metric (mean rank over the photos; \\|ρ\\| with the randomised model's map, "
        "lower = the map depends more on the weights):", "", *_orders(s, orders), "",
        "Do the metrics agree? Kendall's τ between two metrics' orderings of the 7 rows, per photo and "
        "averaged over the photos:", "", *_agreement_table(s, metrics), "",
        "and between the orderings of the means over the photos (the rankings the tables above give):", "",
        *_overall_agreement(s, metrics),
    ]
    return "\n".join(lines) + "\n"


def _sources(photos: Path) -> tuple[int, int]:
    with open(photos / "SOURCES.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return len(rows), len({r["package"] for r in rows})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--photos", type=Path, default=Path("/tmp/real_photos"))
    parser.add_argument("--out", type=Path, default=Path("/tmp/photos_eval"))
    parser.add_argument("--points", type=int, default=6)
    parser.add_argument("--no-run", action="store_true", help="only summarise OUT/report/scores.csv")
    parser.add_argument("--wall", type=float, default=None, help="the run's seconds, when it ran elsewhere")
    parser.add_argument("--readme", action="store_true", help="put the tables into README.md")
    args = parser.parse_args(argv)
    if not (args.photos / "SOURCES.csv").is_file():
        from tools.real_photo_folder import main as build

        if build([str(args.photos)]):
            return 2
    torch.set_num_threads(1)
    seconds = args.wall if args.no_run else run_eval(args.photos, args.out / "report", args.points)
    total, packages = _sources(args.photos)
    info = {"fills": FILLS, "points": args.points, "seconds": seconds, "total": total, "packages": packages,
            "date": date.today().isoformat(), "machine": f"{platform.machine()}, torch {torch.__version__}, 1 thread"}
    publish(summary_markdown(args.out / "report" / "scores.csv", info), args.out / "summary.md", MARK, args.readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
