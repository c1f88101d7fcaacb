"""``tools/shapes_saliency_eval.py``: the shape scenes as a folder with COCO
boxes that the annotation reader reads back (each box the tight box of the
object's mask), and the README tables made from a scores CSV."""
from __future__ import annotations

import numpy as np

from engine.gradients.annotations import load_boxes
from engine.gradients.evaluation import metric_columns
from engine.gradients.folder_eval import _write_scores
from engine.gradients.localization import region_mask
from engine.imaging import load_image
from tools import shapes_classifier as shapes
from tools import shapes_saliency_eval as tool
from tools._shapes_eval_tables import ROWS, summary_markdown


def test_the_scenes_folder_has_one_tight_box_per_scene(tmp_path):
    info = tool.write_scenes(tmp_path, 4)
    boxes = load_boxes(tmp_path / "boxes.json")
    scenes = shapes.scenes(4, 1)
    assert sorted(boxes) == sorted(p.name for p in tmp_path.glob("scene_*.png")) and len(boxes) == 4
    shares = []
    for (name, [box]), scene in zip(sorted(boxes.items()), scenes):
        assert name.endswith(f"_{scene.main.shape}.png")
        assert np.array_equal(load_image(tmp_path / name), shapes.render_scene(scene, shapes.SIZE))
        mask, region = shapes.object_mask(scene), region_mask([box], shapes.SIZE, shapes.SIZE)
        assert region[mask].all()                                  # the box holds the whole object ...
        ys, xs = np.nonzero(region)
        assert mask[ys.min()].any() and mask[ys.max()].any() and mask[:, xs.min()].any() and mask[:, xs.max()].any()
        shares.append(region.mean())                               # ... and is tight on every side
    assert info["scenes"] == 4 and abs(info["box_share"] - np.mean(shares)) < 1e-9


def test_the_tables_rank_the_methods_and_say_how_the_run_was_made(tmp_path):
    fills = ("noisy-linear", "black")
    columns = [c for c, _ in metric_columns(fills)]
    rows = []
    for photo in ("a.png", "b.png"):
        for i, method in enumerate(ROWS):  # the first row is best on every metric
            good = 1.0 - i / 10
            rows.append({"photo": photo, "target": 0, "label": "star", "method": method,
                         **{c: (good if c.split(":")[0] in ("lerf", "gap", "pointing", "mass") else 1 - good)
                            for c in columns}})
    _write_scores(tmp_path / "scores.csv", rows, ["photo", "target", "label", "method", *columns])
    info = dict(date="2026-12-01", machine="m", accuracy=0.99, box_share=0.1, object_share=0.05, points=11,
                seconds=12.0, fills=fills)
    text = summary_markdown(tmp_path / "scores.csv", info)
    assert "on 2 test scenes" in text and "took 12 s" in text and "test accuracy 0.99" in text
    assert "* gap ROAD: Vanilla 1.0 > SmoothGrad 2.0 > SmoothGrad² 3.0" in text
    assert "| gap ROAD | +1.00 | +1.00 |" in text  # every metric orders the rows the same way here
    assert "| Vanilla | 1.00 | 1.000 (1.0) |" in text
