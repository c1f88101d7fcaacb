"""Turning a saliency map into pictures: robust normalisation, colour maps
and an overlay on the photo.  Pure numpy (used by the CLI and the GUI)."""
from __future__ import annotations

import math

import numpy as np

__all__ = ["COLORMAPS", "normalize_map", "colorize", "overlay"]

# Colour maps as anchor colours evenly spaced over 0..1, linearly
# interpolated.  "inferno" and "viridis" are sampled approximations of the
# perceptually uniform maps of the same names (van der Walt & Smith, 2015).
_ANCHORS: dict[str, tuple[tuple[int, int, int], ...]] = {
    "inferno": ((0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99), (212, 72, 66),
                (245, 125, 21), (250, 193, 39), (252, 255, 164)),
    "viridis": ((68, 1, 84), (70, 50, 126), (54, 92, 141), (39, 127, 142), (31, 161, 135),
                (74, 193, 109), (160, 218, 57), (253, 231, 37)),
    "jet": ((0, 0, 128), (0, 0, 255), (0, 128, 255), (0, 255, 255), (128, 255, 128),
            (255, 255, 0), (255, 128, 0), (255, 0, 0), (128, 0, 0)),
    "hot": ((0, 0, 0), (128, 0, 0), (255, 0, 0), (255, 128, 0), (255, 255, 0), (255, 255, 255)),
    "gray": ((0, 0, 0), (255, 255, 255)),
}

#: Names accepted by :func:`colorize` and :func:`overlay`.
COLORMAPS = tuple(_ANCHORS)


def _lut(name: str) -> np.ndarray:
    try:
        anchors = np.asarray(_ANCHORS[name], dtype=np.float64)
    except KeyError:
        raise ValueError(f"unknown colour map {name!r}; choose one of {', '.join(COLORMAPS)}") from None
    pos = np.linspace(0.0, 1.0, len(anchors))
    t = np.linspace(0.0, 1.0, 256)
    return np.stack([np.interp(t, pos, anchors[:, c]) for c in range(3)], axis=1).round().astype(np.uint8)


def normalize_map(saliency: np.ndarray, percentile: float = 99.0) -> np.ndarray:
    """Scale a non-negative map to 0..1, the ``percentile``-th value mapping
    to 1 (values above are clipped), as the SmoothGrad and Integrated
    Gradients papers do so that a few extreme pixels do not darken the rest.
    A map of zeros stays zeros.  NaN/inf are refused."""
    m = np.asarray(saliency, dtype=np.float64)
    if m.ndim != 2:
        raise ValueError(f"expected an HxW map, got shape {m.shape}")
    if not np.isfinite(m).all():
        raise ValueError("the map contains NaN or infinite values")
    if not (math.isfinite(percentile) and 0 < percentile <= 100):
        raise ValueError(f"percentile must be in (0, 100], got {percentile}")
    m = m - min(0.0, float(m.min(initial=0)))
    top = float(np.percentile(m, percentile))
    if top <= 0:
        top = float(m.max(initial=0))
    if top <= 0:
        return np.zeros(m.shape, dtype=np.float32)
    return np.clip(m / top, 0.0, 1.0).astype(np.float32)


def colorize(saliency: np.ndarray, cmap: str = "inferno", *, percentile: float = 99.0) -> np.ndarray:
    """HxW map -> HxWx3 uint8 colour image (after :func:`normalize_map`)."""
    lut = _lut(cmap)
    idx = np.rint(normalize_map(saliency, percentile) * 255).astype(np.intp)
    return lut[idx]


def overlay(image: np.ndarray, saliency: np.ndarray, *, opacity: float = 0.5, cmap: str = "inferno",
            percentile: float = 99.0) -> np.ndarray:
    """Blend the coloured map over the photo: ``(1 - a) * image + a * colour``
    with ``a = opacity``.  The map must have the image's height and width."""
    img = np.asarray(image)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError("overlay expects an HxWx3 uint8 image")
    if np.shape(saliency) != img.shape[:2]:
        raise ValueError(f"map shape {np.shape(saliency)} does not match the image {img.shape[:2]}")
    if not (isinstance(opacity, (int, float)) and math.isfinite(opacity) and 0 <= opacity <= 1):
        raise ValueError(f"opacity must be in [0, 1], got {opacity!r}")
    color = colorize(saliency, cmap, percentile=percentile).astype(np.float32)
    blended = (1.0 - opacity) * img.astype(np.float32) + opacity * color
    return np.clip(np.rint(blended), 0, 255).astype(np.uint8)
