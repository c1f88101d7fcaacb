"""The Markdown tables of ``tools/shapes_saliency_eval.py``: from a
``saliency-eval`` scores CSV, per method the mean pointing game, relevance
mass, sanity score and time; the removal scores per fill-in with mean ranks;
the methods ordered by each metric; and Kendall's τ between the metrics."""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.gradients.evaluation import REFERENCE, metric_columns  # noqa: E402
from engine.gradients.folder_eval import read_scores  # noqa: E402
from engine.gradients.methods import METHOD_TABLE, METHODS  # noqa: E402
from engine.gradients.ranking import summarize  # noqa: E402

ROWS = (*METHODS, REFERENCE)
SHORT = {"noisy-linear": "ROAD", "blur": "blur", "black": "black", "mean": "mean"}


def _name(m: str) -> str:
    return METHOD_TABLE[m].short if m in METHOD_TABLE else "random map"


def _f(v: float, digits: int = 3) -> str:
    return "–" if not math.isfinite(v) else f"{v:.{digits}f}"


def _localization_table(s: dict) -> list[str]:
    out = ["| method | pointing game ↑ | mass in box ↑ | \\|ρ\\| random model ↓ | seconds per map |",
           "|---|---:|---:|---:|---:|"]
    for m in ROWS:
        mean, rank = s["mean"][m], s["rank"][m]
        out.append(f"| {_name(m)} | {_f(mean['pointing'], 2)} | {_f(mean['mass'])} ({_f(rank['mass'], 1)}) | "
                   f"{_f(mean['sanity'])} | {_f(mean['seconds'], 3)} |")
    return out


def _removal_table(s: dict, fills) -> list[str]:
    head = " | ".join(f"{SHORT[f]}: MoRF ↓ / LeRF ↑ / gap ↑ (gap rank)" for f in fills)
    out = [f"| method | {head} |", "|---|" + "---:|" * len(fills)]
    for m in ROWS:
        mean, rank = s["mean"][m], s["rank"][m]
        cells = " | ".join(f"{_f(mean[f'morf:{f}'])} / {_f(mean[f'lerf:{f}'])} / **{_f(mean[f'gap:{f}'])}** "
                           f"({_f(rank[f'gap:{f}'], 1)})" for f in fills)
        out.append(f"| {_name(m)} | {cells} |")
    return out


def _title(metric: str) -> str:
    kind, _, fill = metric.partition(":")
    kinds = {"morf": "MoRF", "lerf": "LeRF", "gap": "gap", "pointing": "pointing", "mass": "mass",
             "sanity": "\\|ρ\\|"}
    return f"{kinds[kind]} {SHORT[fill]}" if fill else kinds[kind]


def _orders(s: dict, metrics) -> list[str]:
    out = []
    for c in metrics:
        ranked = sorted((m for m in ROWS if math.isfinite(s["rank"][m][c])), key=lambda m: s["rank"][m][c])
        out.append(f"* {_title(c)}: " + " > ".join(f"{_name(m)} {s['rank'][m][c]:.1f}" for m in ranked))
    return out


def _agreement_table(s: dict, metrics) -> list[str]:
    out = ["| τ | " + " | ".join(_title(c) for c in metrics) + " |", "|---|" + "---:|" * len(metrics)]
    for a in metrics:
        out.append(f"| {_title(a)} | " + " | ".join(f"{s['agree'][a][b]:+.2f}" for b in metrics) + " |")
    return out


def summary_markdown(csv_path: Path, info: dict) -> str:
    """The section's Markdown (``info``: scenes, box_share, object_share, seconds, accuracy, fills, points, date, machine)."""
    fills = tuple(info["fills"])
    columns = metric_columns(fills)
    s = summarize(read_scores(csv_path), ROWS, columns)
    gaps = [f"gap:{f}" for f in fills]
    metrics = [*gaps, f"morf:{fills[0]}", "morf:black", "pointing", "mass", "sanity"]
    lines = [
        f"Measured {info['date']} by `tools/shapes_saliency_eval.py` ({info['machine']}): the shape classifier "
        f"(`tools/data/shapes_cnn/`, test accuracy {info['accuracy']:.2f} on these scenes) on {s['photos']} test "
        f"scenes (64 px, one shape each; its box covers {info['box_share']:.1%} of the scene on average, the shape "
        f"itself {info['object_share']:.1%}), every map explained for the predicted class; removal curves with "
        f"{info['points']} points; the noise-tunnel methods with 16 noisy copies, IG with 32 steps. "
        f"`saliency-eval` took {info['seconds']:.0f} s for the {s['photos']} scenes"
        + (" (resumed run: only the scenes not yet scored)" if info.get("resumed") else "") + ".",
        "",
        "Mean over the scenes (mean rank in brackets, 1 = best of 7). The pointing game of a random map is the "
        "box's share of the scene; so is its mass in the box.",
        "", *_localization_table(s), "",
        "Removal (area under the curve of the class probability as pixels go, most relevant first = MoRF, least "
        "relevant first = LeRF; gap = LeRF − MoRF, 0 for a random order), per fill-in of the removed pixels:",
        "", *_removal_table(s, fills), "",
        "The methods ordered by each metric (mean rank over the scenes):", "", *_orders(s, metrics), "",
        "Do the metrics agree? Kendall's τ between two metrics' orderings of the 7 rows, mean over the scenes:",
        "", *_agreement_table(s, metrics),
    ]
    return "\n".join(lines) + "\n"
