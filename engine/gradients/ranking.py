"""Ranks of methods per metric, and whether two metrics agree.

Ranks: 1 = best (by the metric's direction), ties share their average rank,
a missing value (NaN) gets no rank.  Agreement of two metrics over the same
methods: Kendall's tau-b of their values, each oriented so that higher is
better (Kendall, "The treatment of ties in ranking problems", Biometrika
1945): +1 the metrics order the methods the same way, -1 the reverse, 0 no
relation (``scipy.stats.kendalltau``)."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.stats import kendalltau, rankdata

__all__ = ["ranks", "agreement"]


def ranks(values: Sequence[float], higher_is_better: bool) -> list[float]:
    """The rank of each value (1 = best), NaN for a missing value."""
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, np.nan)
    ok = np.isfinite(v)
    if ok.any():
        out[ok] = rankdata(-v[ok] if higher_is_better else v[ok], method="average")
    return out.tolist()


def agreement(a: Sequence[float], a_higher: bool, b: Sequence[float], b_higher: bool) -> float:
    """Kendall's tau-b between two metrics over the same methods (NaN with
    fewer than three methods scored by both, or a constant metric)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        return math.nan
    x, y = (x[ok] if a_higher else -x[ok]), (y[ok] if b_higher else -y[ok])
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(kendalltau(x, y).statistic)


def summarize(rows: Sequence[dict], methods: Sequence[str], columns: Sequence[tuple[str, bool]]) -> dict:
    """Over the photos of ``rows`` (one dict per photo and method):

    * ``mean[method][metric]``: the metric's mean over the photos;
    * ``rank[method][metric]``: the method's mean rank (ranked per photo);
    * ``agree[m1][m2]``: Kendall's tau-b of two metrics over the methods,
      averaged over the photos (do the metrics agree?);
    * ``photos``: the number of photos."""
    photos: dict[str, dict[str, dict]] = {}
    for r in rows:
        photos.setdefault(r["photo"], {})[r["method"]] = r
    mean = {m: {} for m in methods}
    rank = {m: {} for m in methods}
    per_photo_ranks: dict[str, list[list[float]]] = {c: [] for c, _ in columns}
    for by_method in photos.values():
        for col, higher in columns:
            values = [by_method.get(m, {}).get(col, math.nan) for m in methods]
            per_photo_ranks[col].append(ranks(values, higher))
    for col, _higher in columns:
        for i, m in enumerate(methods):
            vals = np.array([p.get(m, {}).get(col, math.nan) for p in photos.values()], dtype=np.float64)
            rks = np.array([r[i] for r in per_photo_ranks[col]], dtype=np.float64)
            mean[m][col] = float(np.nanmean(vals)) if np.isfinite(vals).any() else math.nan
            rank[m][col] = float(np.nanmean(rks)) if np.isfinite(rks).any() else math.nan
    agree: dict[str, dict[str, float]] = {c: {} for c, _ in columns}
    for a, ha in columns:
        for b, hb in columns:
            taus = [agreement([p.get(m, {}).get(a, math.nan) for m in methods], ha,
                              [p.get(m, {}).get(b, math.nan) for m in methods], hb) for p in photos.values()]
            taus = [t for t in taus if math.isfinite(t)]
            agree[a][b] = float(np.mean(taus)) if taus else math.nan
    return {"mean": mean, "rank": rank, "agree": agree, "photos": len(photos)}
