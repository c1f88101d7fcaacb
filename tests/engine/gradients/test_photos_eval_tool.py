"""``tools/photos_saliency_eval.py``'s tables from a scores CSV: the gap's
standard error and how often a method beats the random map on the same
photo, the orderings, and Kendall's τ per photo and between the means."""
from __future__ import annotations

import math

from engine.gradients.evaluation import metric_columns
from engine.gradients.folder_eval import _write_scores
from tools import photos_saliency_eval as tool
from tools._shapes_eval_tables import ROWS


def _rows(gaps_by_photo):
    """One row per photo and method; ``gaps_by_photo[photo][i]``: row i's gap under every fill (MoRF 0.5 - gap/2)."""
    columns = [c for c, _ in metric_columns(tool.FILLS)]
    rows = []
    for photo, gaps in gaps_by_photo.items():
        for method, gap in zip(ROWS, gaps):
            values = {c: math.nan for c in columns} | {"seconds": 1.0, "sanity": 0.5}
            for f in tool.FILLS:
                values |= {f"gap:{f}": gap, f"morf:{f}": 0.5 - gap / 2, f"lerf:{f}": 0.5 + gap / 2}
            rows.append({"photo": photo, "target": 1, "label": f"class of {photo}", "method": method, **values})
    return rows, ["photo", "target", "label", "method", *columns]


def test_the_photo_tables_give_spread_wins_over_random_and_agreement(tmp_path):
    # 7 rows: vanilla .. Grad-CAM, random; vanilla beats random on 2 of 3 photos
    gaps = {"a.jpg": [0.3, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0],
            "b.jpg": [0.1, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0],
            "c.jpg": [-0.1, 0.5, 0.4, 0.3, 0.2, 0.1, 0.0]}
    rows, header = _rows(gaps)
    _write_scores(tmp_path / "scores.csv", rows, header)
    info = dict(fills=tool.FILLS, points=6, seconds=600.0, total=100, packages=9, date="2026-12-01", machine="m")
    text = tool.summary_markdown(tmp_path / "scores.csv", info)
    assert "on 3 of the 100 photos" in text and "took 10 min" in text and "3 different predicted classes" in text
    assert "| Vanilla | 0.100 ± 0.115 / 67% |" in text            # sd 0.2 over 3 photos: se 0.2 / sqrt(3)
    assert "| SmoothGrad | 0.500 ± 0.000 / 100% |" in text
    assert "| random map | 0.000 ± 0.000 / – |" in text
    assert "| row | ROAD: SmoothGrad − row | blur: SmoothGrad − row | black: SmoothGrad − row |" in text
    assert "| Vanilla | +0.400 ± 0.115 (100%) |" in text and "| SmoothGrad | – | – | – |" in text
    assert "* gap ROAD: SmoothGrad 1.0 > SmoothGrad² 2.0 > VarGrad 3.2 > IG 4.3 > Vanilla 5.3 > Grad-CAM 5.5" in text
    assert "| gap ROAD | +1.00 | +1.00 | +1.00 | +1.00 | +1.00 | +1.00 |" in text  # the same order under every fill
