"""The shape scenes with a known ground truth: one shape of any colour, size
and place on a 64-pixel scene (the captioning data's scene generator,
:mod:`engine.captioning.data.scenes`), the scenes the shape classifier
(``tools/shapes_classifier.py``) is trained (seed 0) and tested (seed 1)
on, the exact share of each pixel the shape covers, and the folder of test
scenes with a COCO file of each shape's box that the folder report scores
(``tools/shapes_saliency_eval.py``; the window's *Evaluate a Folder ▸ Shape
scenes*): there, whether a map falls on the object is known, not drawn by
hand."""
from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np

from .atomic import atomic_write
from .captioning.data.scenes import COLORS, SHAPES, Scene, random_scene, render_scene
from .imaging import save_png

__all__ = ["SHAPES", "SIZE", "COMBOS", "BOXES_NAME", "scenes", "object_coverage", "object_mask", "scene_name",
           "write_scene_folder"]

SIZE = 64
COMBOS = [(c, s) for c in COLORS for s in SHAPES]
#: the COCO file of the boxes in a folder of scenes
BOXES_NAME = "boxes.json"


def scenes(n: int, seed: int) -> list[Scene]:
    """``n`` one-object scenes (seed 0: training, 1: testing)."""
    rng = np.random.default_rng([seed, 23])
    return [random_scene(rng, COMBOS, COMBOS, two_object_fraction=0.0) for _ in range(n)]


def object_coverage(scene: Scene, size: int = SIZE) -> np.ndarray:
    """The (size, size) share of each pixel the scene's object covers, 0..1:
    the scene drawn white on black (``render_scene`` draws at 3x and averages
    3x3 blocks, so 1/9 is one sub-pixel; its pixel noise is about 0.02)."""
    white = replace(scene.main, rgb=(255, 255, 255))
    picture = render_scene(replace(scene, main=white, background=(0, 0, 0)), size)
    return picture.mean(axis=2) / 255.0


def object_mask(scene: Scene, size: int = SIZE, cover: float = 0.5) -> np.ndarray:
    """The (size, size) bool mask of the pixels the object covers more than
    ``cover`` of (0.5: the pixel's centre is on the object; 0.05: every pixel
    the object's outline enters, at least half a sub-pixel)."""
    return object_coverage(scene, size) > cover


def scene_name(i: int, scene: Scene) -> str:
    """``scene_007_circle.png``: the file name of the ``i``-th scene (its shape, the true class, in it)."""
    return f"scene_{i:03d}_{scene.main.shape}.png"


def write_scene_folder(folder: str | os.PathLike, n: int = 100, seed: int = 1) -> dict:
    """The first ``n`` scenes of ``seed`` (1: the test scenes) as PNGs in
    ``folder`` and their boxes as ``folder/boxes.json`` (COCO: each shape's
    tight box, from :func:`object_mask`).  Returns the scene count, the mean
    share of the scene in the box (what a random map scores on mass) and the
    mean share of the shape itself."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    images, annotations, areas = [], [], []
    for i, scene in enumerate(scenes(n, seed)):
        name = scene_name(i, scene)
        save_png(folder / name, render_scene(scene, SIZE))
        mask = object_mask(scene)
        ys, xs = np.nonzero(mask)
        box = [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)]
        images.append({"id": i, "file_name": name, "width": SIZE, "height": SIZE})
        annotations.append({"id": i, "image_id": i, "bbox": box, "category_id": SHAPES.index(scene.main.shape),
                            "area": int(mask.sum())})
        areas.append((box[2] * box[3] / SIZE ** 2, float(mask.mean())))
    categories = [{"id": k, "name": s} for k, s in enumerate(SHAPES)]
    with atomic_write(folder / BOXES_NAME) as handle:
        handle.write((json.dumps({"images": images, "annotations": annotations, "categories": categories}) + "\n")
                     .encode("utf-8"))
    box_share, mask_share = np.mean(areas, axis=0)
    return {"scenes": n, "box_share": float(box_share), "object_share": float(mask_share)}
