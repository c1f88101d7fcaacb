"""Random minibatches of the classic data dict (the course's
``sample_coco_minibatch``), for looking at a few captions and images."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ...validation import check_int

__all__ = ["sample_minibatch", "split_names", "take_rows", "limit_train"]


def split_names(data: dict[str, Any]) -> list[str]:
    """The splits the data has (those with features, captions and image ids), in a stable order."""
    order = ["train", "val", "test", "novel"]
    found = {k[: -len("_captions")] for k in data if k.endswith("_captions")}
    names = [s for s in order if s in found] + sorted(found - set(order))
    return [s for s in names if f"{s}_features" in data and f"{s}_image_idxs" in data]


def take_rows(array: Any, idx: np.ndarray) -> np.ndarray | torch.Tensor:
    """``array[idx]`` for numpy arrays, memory maps, torch tensors (indexed on
    their device) and h5py datasets (which need sorted unique indices: read
    those rows, then expand)."""
    if isinstance(array, torch.Tensor):
        return array[torch.as_tensor(idx, dtype=torch.long, device=array.device)]
    uniq, inverse = np.unique(np.asarray(idx, dtype=np.int64), return_inverse=True)
    return np.asarray(array[uniq])[inverse]


def sample_minibatch(data: dict[str, Any], batch_size: int = 100, split: str = "train",
                     generator: np.random.Generator | int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(captions (B, T), features (B, D), urls (B,) or None)`` of ``batch_size``
    captions drawn uniformly (with replacement) from ``split``, each with its
    image's features and URL/path.  ``generator`` is a numpy Generator or a seed."""
    if split not in split_names(data):
        raise ValueError(f"the data has no {split!r} split; it has {', '.join(split_names(data)) or 'none'}")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    n = int(data[f"{split}_captions"].shape[0])
    if n == 0:
        raise ValueError(f"the {split!r} split has no captions")
    rng = generator if isinstance(generator, np.random.Generator) else np.random.default_rng(generator)
    mask = rng.integers(n, size=int(batch_size))
    captions = take_rows(data[f"{split}_captions"], mask)
    image_idxs = take_rows(data[f"{split}_image_idxs"], mask).astype(np.int64)
    features = take_rows(data[f"{split}_features"], image_idxs)
    urls = data.get(f"{split}_urls")
    return captions, features, (np.asarray(urls)[image_idxs] if urls is not None else None)


def limit_train(data: dict[str, Any], max_train: int | None, seed: int = 0) -> dict[str, Any]:
    """Keep a random subset (without replacement, from ``seed``) of
    ``max_train`` training captions, as the course's ``load_coco_data(max_train=...)``;
    the features stay whole.  Returns ``data`` (changed in place)."""
    if max_train is None:
        return data
    try:
        max_train = check_int("max_train", max_train, low=1)
    except ValueError:
        raise ValueError(f"max_train must be a positive integer, got {max_train!r}") from None
    n = int(data["train_captions"].shape[0])
    if max_train < n:
        keep = np.sort(np.random.default_rng(seed).choice(n, int(max_train), replace=False))
        data["train_captions"] = np.asarray(data["train_captions"])[keep]
        data["train_image_idxs"] = np.asarray(data["train_image_idxs"])[keep]
    return data
