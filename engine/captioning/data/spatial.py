"""Spatial features for the attention captioner: a grid of CNN feature
vectors, one per cell, instead of one vector pooled over the whole image.

A :class:`~.features.FeatureSpec` with ``grid = g > 1``, no ``'embed'`` and
no max-pooled extras writes, for every layer, ``C_layer * g * g`` values
(channel-major, cells row-major), so the flat vector of ``sum C_layer * g*g``
values reshapes to ``g*g`` cells of ``sum C_layer`` values each (a
hypercolumn per cell, Hariharan et al. 2015):
:func:`~engine.captioning.attention.grid_features` does that, and
:func:`spec_regions` tells how many cells a spec's features have (1: pooled
features, which the attention cell cannot use).  The features travel and
are cached like the pooled ones (the cache key holds the spec).

* :func:`spatial_feature_spec`: the built-in scenes, a 4x4 grid of the
  EfficientNet-Lite0 stem and blocks 5 and 10 (32 + 80 + 112 = 224 values per
  cell, 3584 in all) of the whole 112 px image.  The stem keeps colour,
  blocks 5 and 10 shape; blocks.10 is 7x7 at 112 px, so a 4x4 cell covers
  about two of its positions (the big objects span two cells, the small ones
  about one).
* :func:`spatial_photo_spec`: photos, a 7x7 grid of the last block
  (``blocks.15``, 320 values per cell) of the centred 224 px crop, as Xu et
  al. 2015 attend over a late convolutional layer.

The course's ``coco_captioning`` features (VGG-16 fc7, PCA'd to 512) are
pooled over the image: they have no grid, so only the RNN and LSTM train on
them.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .caption_data import CaptionData
from .features import FeatureSpec

__all__ = ["spatial_feature_spec", "spatial_photo_spec", "spec_regions", "data_regions", "SCENES_GRID",
           "PHOTO_GRID"]

SCENES_GRID = 4
PHOTO_GRID = 7
_SCENE_LAYERS = ("stem", "blocks.5", "blocks.10")
_PHOTO_LAYERS = ("blocks.15",)


def _lite0_only(cnn: str) -> None:
    if cnn != "efficientnet_lite0":
        raise ValueError(f"spatial features for the attention cell are defined for efficientnet_lite0, not {cnn!r}")


def spatial_feature_spec(config: Any = None, cnn: str = "efficientnet_lite0", grid: int = SCENES_GRID) -> FeatureSpec:
    """The built-in scenes' grid features (see the module docstring) at the
    image size of ``config`` (a :class:`~.shapes.ShapesConfig`; 112 px when
    ``None``)."""
    _lite0_only(cnn)
    size = int(getattr(config, "image_size", 112))
    return FeatureSpec(cnn=cnn, layers=_SCENE_LAYERS, grid=int(grid), image_size=size, crop_fraction=1.0)


def spatial_photo_spec(cnn: str = "efficientnet_lite0", grid: int = PHOTO_GRID) -> FeatureSpec:
    """Photos' grid features: ``blocks.15`` of the centred 224 px crop on a
    ``grid`` x ``grid`` grid."""
    _lite0_only(cnn)
    return FeatureSpec(cnn=cnn, layers=_PHOTO_LAYERS, grid=int(grid), image_size=224, crop_fraction=0.875)


def spec_regions(spec: FeatureSpec | Mapping[str, Any] | None) -> int:
    """How many grid cells the features of ``spec`` hold: ``grid**2`` when
    every value belongs to a cell, else 1 (pooled features, or no spec)."""
    if spec is None:
        return 1
    if not isinstance(spec, FeatureSpec):
        try:
            spec = FeatureSpec.from_dict(dict(spec))
        except (TypeError, ValueError):
            return 1
    if spec.grid < 2 or "embed" in spec.layers or spec.max_pooled:
        return 1
    return spec.grid * spec.grid


def data_regions(data: Mapping[str, Any] | None) -> int:
    """:func:`spec_regions` of a dataset's ``feature_spec`` (1 without one)."""
    return spec_regions(CaptionData.of(data).feature_spec if data is not None else None)
