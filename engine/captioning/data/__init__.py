"""Captioning datasets as :class:`CaptionData`: a vocabulary and named
:class:`Split` s (``features (Nimg, D)``, ``captions (Ncap, T)`` word ids,
``image_idxs (Ncap,)``, urls, images), plus ``dataset``, ``cnn``,
``feature_layer``, ``feature_spec`` and ``problems``.  It also reads as the
course's classic data dict (``train_features``, ``val_captions``...).

Sources: the built-in generated scenes (:mod:`.shapes`), the course's
``coco_captioning`` folder (:mod:`.coco`) and COCO/Flickr-style caption JSON
files with an image folder (:mod:`.annotations`).  :func:`dataset_job`
picks the right one from a name or a path.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from ...jobs import Control, Frame, Stage
from .annotations import build_annotations, default_photo_spec, load_annotations, parse_captions_json
from .batches import limit_train, sample_minibatch, split_names, take_rows
from .caption_data import SPLIT_ORDER, CaptionData, Split
from .coco import is_coco_folder, load_coco
from .evaluation import (
    AttributeScore,
    RelationScore,
    attribute_accuracy,
    evaluate_attributes,
    evaluate_split,
    relation_accuracy,
    split_references,
)
from .features import DatasetError, FeatureSpec, cache_dir, compute_features, extract_features
from .shapes import ShapesConfig, build_shapes, default_feature_spec, load_shapes
from .vocab import build_vocab, decode_caption, decode_captions, encode_captions, tokenize

__all__ = [
    "CaptionData", "Split", "SPLIT_ORDER", "DatasetError", "FeatureSpec", "compute_features", "extract_features", "cache_dir",
    "ShapesConfig", "build_shapes", "load_shapes", "default_feature_spec", "AttributeScore", "attribute_accuracy",
    "evaluate_attributes", "RelationScore", "relation_accuracy",
    "load_coco", "is_coco_folder", "build_annotations", "load_annotations", "parse_captions_json",
    "default_photo_spec", "sample_minibatch", "split_names", "take_rows", "limit_train", "dataset_job",
    "split_references", "evaluate_split",
    "tokenize", "build_vocab", "encode_captions", "decode_caption", "decode_captions",
]


def dataset_job(source: str | os.PathLike, cnn: Any, control: Control | None = None, *,
                cnn_name: str = "efficientnet_lite0", spec: FeatureSpec | None = None,
                max_train: int | None = None, shapes: ShapesConfig | None = None,
                images_dir: str | os.PathLike | None = None, **options: Any) -> Iterator[Frame]:
    """Job returning the :class:`CaptionData` of ``source``: ``'shapes'`` (the built-in
    scenes, ``shapes`` config), a ``coco_captioning`` folder, or a captions
    JSON file (or a folder holding exactly one; ``images_dir`` and
    :func:`build_annotations`'s ``options``).  ``cnn`` is the classifier
    called ``cnn_name``, or a callable loading it (only called when features
    must be computed); ``spec`` (e.g. a trained model's) overrides the
    default features (the built-in scenes are then rendered at its image
    size).  ``max_train`` keeps that many training captions.
    Returns ``None`` when cancelled; raises :class:`DatasetError` for a
    source that is none of these."""
    if str(source) == "shapes":
        config = shapes or ShapesConfig()
        if spec is not None and spec.image_size != config.image_size:   # render at the size the features need
            config = replace(config, image_size=spec.image_size)
        data = yield from build_shapes(cnn, config, spec or default_feature_spec(config, cnn_name), control, **options)
        return limit_train(data, max_train) if data is not None else None
    path = Path(source)
    if path.is_dir():
        if is_coco_folder(path):
            yield Frame(step=0, total=1, info=Stage("reading"))
            data = load_coco(path, max_train=max_train)
            yield Frame(step=1, total=1, info=Stage("done"), final=True)
            return data
        candidates = sorted(path.glob("*.json"))
        if len(candidates) != 1:
            raise DatasetError(path, "not a dataset folder: expected coco2014_captions.h5 (the course's "
                                     "coco_captioning layout) or exactly one captions .json file")
        path = candidates[0]
    if path.suffix.lower() != ".json" and not path.is_file():
        raise DatasetError(path, "no such dataset: give 'shapes', a coco_captioning folder or a captions JSON file")
    data = yield from build_annotations(cnn, path, images_dir, spec or default_photo_spec(cnn_name), control,
                                        **options)
    return limit_train(data, max_train) if data is not None else None
