"""Random minibatches of a :class:`~.caption_data.CaptionData` or the classic
data dict (the course's ``sample_coco_minibatch``), for looking at a few
captions and images; the training subset of ``max_train`` captions."""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from ...validation import check_int
from .caption_data import CaptionData

__all__ = ["sample_minibatch", "split_names", "take_rows", "limit_train"]


def split_names(data: Mapping[str, Any]) -> list[str]:
    """The splits the data has (those with features, captions and image ids), in a stable order."""
    return CaptionData.of(data).split_names


def take_rows(array: Any, idx: np.ndarray) -> np.ndarray | torch.Tensor:
    """``array[idx]`` for numpy arrays, memory maps, torch tensors (indexed on
    their device) and h5py datasets (which need sorted unique indices: read
    those rows, then expand)."""
    if isinstance(array, torch.Tensor):
        return array[torch.as_tensor(idx, dtype=torch.long, device=array.device)]
    uniq, inverse = np.unique(np.asarray(idx, dtype=np.int64), return_inverse=True)
    return np.asarray(array[uniq])[inverse]


def sample_minibatch(data: Mapping[str, Any], batch_size: int = 100, split: str = "train",
                     generator: np.random.Generator | int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(captions (B, T), features (B, D), urls (B,) or None)`` of ``batch_size``
    captions drawn uniformly (with replacement) from ``split``, each with its
    image's features and URL/path.  ``generator`` is a numpy Generator or a seed."""
    part = CaptionData.of(data).split(split)
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    n = part.n_captions
    if n == 0:
        raise ValueError(f"the {split!r} split has no captions")
    rng = generator if isinstance(generator, np.random.Generator) else np.random.default_rng(generator)
    mask = rng.integers(n, size=int(batch_size))
    captions = take_rows(part.captions, mask)
    image_idxs = take_rows(part.image_idxs, mask).astype(np.int64)
    features = take_rows(part.features, image_idxs)
    return captions, features, (np.asarray(part.urls)[image_idxs] if part.urls is not None else None)


def limit_train(data: CaptionData, max_train: int | None, seed: int = 0) -> CaptionData:
    """``data`` with a random subset (without replacement, from ``seed``) of
    ``max_train`` of its training captions, as the course's ``load_coco_data(max_train=...)``;
    the features stay whole."""
    if max_train is None:
        return data
    try:
        max_train = check_int("max_train", max_train, low=1)
    except ValueError:
        raise ValueError(f"max_train must be a positive integer, got {max_train!r}") from None
    train = data.train
    if max_train < train.n_captions:
        keep = np.sort(np.random.default_rng(seed).choice(train.n_captions, int(max_train), replace=False))
        train = dataclasses.replace(train, captions=np.asarray(train.captions)[keep],
                                    image_idxs=np.asarray(train.image_idxs)[keep])
        return data.with_split("train", train)
    return data
