"""The folder evaluation's self-contained HTML report: the table of mean
scores and mean ranks per method and metric, the per-metric rankings, the
agreement of the metrics (Kendall's tau over the methods, averaged over the
photos) and, per photo, the thumbnails of every method's map (embedded as
data URIs, so the one file can be mailed)."""
from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from pathlib import Path

from ..atomic import atomic_write
from .evaluation import REFERENCE, metric_columns
from .methods import METHOD_TABLE
from .ranking import summarize

__all__ = ["write_report", "metric_title", "REPORT_NAME"]

REPORT_NAME = "report.html"
STYLE = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:.5em 0 1.5em}"
         "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#eee}"
         "td.n,th.n{text-align:left}img{width:64px;height:64px;image-rendering:auto}.best{font-weight:bold}")


def metric_title(metric: str) -> str:
    """``"morf:noisy-linear"`` -> ``"MoRF AUC ↓ (noisy-linear)"``."""
    kind, _, fill = metric.partition(":")
    titles = {"morf": "MoRF AUC ↓", "lerf": "LeRF AUC ↑", "gap": "LeRF−MoRF ↑", "pointing": "pointing game ↑",
              "mass": "mass in box ↑", "sanity": "ρ vs random model ↓", "seconds": "seconds ↓"}
    return f"{titles.get(kind, kind)} ({fill})" if fill else titles.get(kind, kind)


def _name(method: str) -> str:
    return METHOD_TABLE[method].short if method in METHOD_TABLE else "random map" if method == REFERENCE else method


def _fmt(v: float) -> str:
    return "–" if not math.isfinite(v) else f"{v:.3f}"


def _table(summary: dict, methods: Sequence[str], columns) -> str:
    head = "".join(f"<th>{html.escape(metric_title(c))}</th>" for c, _ in columns)
    out = [f"<table><tr><th class=n>method</th>{head}</tr>"]
    for m in methods:
        cells = "".join(f"<td>{_fmt(summary['mean'][m][c])} <small>(#{_fmt(summary['rank'][m][c])[:4]})</small></td>"
                        for c, _ in columns)
        out.append(f"<tr><td class=n>{html.escape(_name(m))}</td>{cells}</tr>")
    return "".join(out) + "</table>"


def _rankings(summary: dict, methods: Sequence[str], columns) -> str:
    out = ["<table><tr><th class=n>metric</th><th class=n>methods, best first (mean rank)</th></tr>"]
    for c, _ in columns:
        order = sorted((m for m in methods if math.isfinite(summary["rank"][m][c])), key=lambda m: summary["rank"][m][c])
        text = " &gt; ".join(f"{html.escape(_name(m))} ({summary['rank'][m][c]:.1f})" for m in order)
        out.append(f"<tr><td class=n>{html.escape(metric_title(c))}</td><td class=n>{text}</td></tr>")
    return "".join(out) + "</table>"


def _agreement(summary: dict, columns) -> str:
    head = "".join(f"<th>{html.escape(metric_title(c))}</th>" for c, _ in columns)
    out = [f"<table><tr><th></th>{head}</tr>"]
    for a, _ in columns:
        cells = "".join(f"<td>{_fmt(summary['agree'][a][b])}</td>" for b, _ in columns)
        out.append(f"<tr><th class=n>{html.escape(metric_title(a))}</th>{cells}</tr>")
    return "".join(out) + "</table>"


def _img(path: Path) -> str:
    if not path.is_file():
        return ""
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.stem)}">'


def _photos(out: Path, rows: Sequence[dict], methods: Sequence[str]) -> str:
    seen = list(dict.fromkeys(r["photo"] for r in rows))
    head = "".join(f"<th>{html.escape(_name(m))}</th>" for m in methods)
    parts = [f"<table><tr><th class=n>photo (class)</th><th>view</th>{head}</tr>"]
    for photo in seen:
        label = next(r["label"] for r in rows if r["photo"] == photo)
        maps = "".join(f"<td>{_img(out / 'maps' / f'{photo}__{m}.png')}</td>" for m in methods)
        parts.append(f"<tr><td class=n>{html.escape(photo)}<br><small>{html.escape(label)}</small></td>"
                     f"<td>{_img(out / 'maps' / f'{photo}.png')}</td>{maps}</tr>")
    return "".join(parts) + "</table>"


def write_report(out: Path, rows: Sequence[dict], fills: Sequence[str], methods: Sequence[str],
                 problems: Sequence[str]) -> Path:
    """Write ``out/report.html`` from the scores ``rows``; returns its path."""
    columns = metric_columns(fills)
    summary = summarize(rows, methods, columns)
    issues = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    body = (f"<h1>Attribution evaluation</h1><p>{summary['photos']} photos; mean over the photos, "
            f"(#mean rank per photo, 1 = best); ↓ lower is better, ↑ higher is better.</p>"
            f"{_table(summary, methods, columns)}<h2>Rankings per metric</h2>{_rankings(summary, methods, columns)}"
            f"<h2>Do the metrics agree?</h2><p>Kendall's τ between two metrics' orderings of the methods, "
            f"averaged over the photos (1: same order, 0: unrelated, −1: reversed).</p>"
            f"{_agreement(summary, columns)}"
            + (f"<h2>Unreadable photos</h2><ul>{issues}</ul>" if problems else "")
            + f"<h2>Maps</h2>{_photos(out, rows, methods)}")
    page = (f"<!DOCTYPE html><html><head><meta charset=utf-8><title>Attribution evaluation</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>")
    path = out / REPORT_NAME
    with atomic_write(path) as handle:
        handle.write(page.encode("utf-8"))
    return path
