"""Does the map fall on the object?  Two measures against ground-truth
boxes (``(x0, y0, x1, y1)`` in the map's pixel coordinates, ``x1``/``y1``
exclusive; several boxes are one region, their union):

* **pointing game** (Zhang, Bargal, Lin, Brandt, Shen & Sclaroff,
  "Top-down Neural Attention by Excitation Backprop", IJCV 2018 / ECCV
  2016, §5.1): a *hit* when the map's maximum lies in the region, or within
  ``tolerance`` pixels of it (the paper uses 15 px at 224 px); ties for the
  maximum are resolved as a hit when any tied pixel hits.  A random map hits
  with probability ≈ the region's share of the image.
* **relevance mass** (Arras, Osman & Samek, "CLEVR-XAI: A benchmark dataset
  for the ground truth evaluation of neural network explanations",
  Information Fusion 2022, §4.2): ``mass = sum_{p in region} R_p / sum_p R_p``
  for the non-negative map ``R``; a uniform map scores the region's area
  share.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.ndimage import binary_dilation

__all__ = ["Box", "Localization", "region_mask", "pointing_game", "relevance_mass", "localization"]

Box = tuple[float, float, float, float]


def region_mask(boxes: Sequence[Box], height: int, width: int) -> np.ndarray:
    """(H,W) bool: the union of ``boxes`` (clipped to the image; pixel centres inside)."""
    mask = np.zeros((height, width), dtype=bool)
    for box in boxes:
        if len(box) != 4 or not all(np.isfinite(v) for v in box):
            raise ValueError(f"a box is (x0, y0, x1, y1) with finite numbers, got {box!r}")
        x0, y0, x1, y1 = box
        x0, x1 = sorted((x0, x1))
        y0, y1 = sorted((y0, y1))
        c0, c1 = int(np.clip(np.ceil(x0 - 0.5), 0, width)), int(np.clip(np.ceil(x1 - 0.5), 0, width))
        r0, r1 = int(np.clip(np.ceil(y0 - 0.5), 0, height)), int(np.clip(np.ceil(y1 - 0.5), 0, height))
        mask[r0:r1, c0:c1] = True
    return mask


def _check(saliency) -> np.ndarray:
    sal = np.asarray(saliency, dtype=np.float64)
    if sal.ndim != 2 or not np.isfinite(sal).all():
        raise ValueError("the map must be one finite (H,W) array")
    return sal


def pointing_game(saliency, boxes: Sequence[Box], *, tolerance: int = 0) -> bool:
    """A hit: the map's maximum lies in the boxes (grown by ``tolerance`` pixels)."""
    sal = _check(saliency)
    region = region_mask(boxes, *sal.shape)
    if tolerance > 0:
        yy, xx = np.mgrid[-tolerance:tolerance + 1, -tolerance:tolerance + 1]
        region = binary_dilation(region, structure=yy * yy + xx * xx <= tolerance * tolerance)
    return bool(region[sal == sal.max()].any())


def relevance_mass(saliency, boxes: Sequence[Box]) -> float:
    """The share of the map's (non-negative) mass inside the boxes; 0 for an all-zero map."""
    sal = np.clip(_check(saliency), 0, None)
    total = sal.sum()
    return float(sal[region_mask(boxes, *sal.shape)].sum() / total) if total > 0 else 0.0


@dataclass(frozen=True)
class Localization:
    hit: bool
    mass: float
    area: float  # the region's share of the image: what a random map scores


def localization(saliency, boxes: Sequence[Box], *, tolerance: int = 0) -> Localization:
    sal = _check(saliency)
    return Localization(pointing_game(sal, boxes, tolerance=tolerance), relevance_mass(sal, boxes),
                        float(region_mask(boxes, *sal.shape).mean()))
