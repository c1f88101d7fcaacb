"""Import of the course's ``coco_captioning`` folder (Microsoft COCO 2014
captions with precomputed VGG-16 fc7 features; Lin et al. 2014):

* ``coco2014_captions.h5``: ``train_captions (N, 17)``, ``train_image_idxs (N,)``,
  ``val_captions``, ``val_image_idxs`` (word ids, ``<START> ... <END> <NULL>...``);
* ``train2014_vgg16_fc7_pca.h5`` / ``val2014_vgg16_fc7_pca.h5`` (``features``,
  512-d after PCA) or ``train2014_vgg16_fc7.h5`` / ``val2014_vgg16_fc7.h5``
  (4096-d);
* ``coco2014_vocab.json``: ``idx_to_word`` (list), ``word_to_idx`` (dict);
* ``train2014_urls.txt`` / ``val2014_urls.txt`` (optional): an image URL per line.

Features are memory-mapped straight from the HDF5 file when it stores them
contiguously and uncompressed (the usual case), else read through h5py on
demand, so a 1.3 GB fc7 file costs no memory up front.  Captions are read
into memory.  ``max_train`` keeps a random subset (without replacement,
from ``seed``) of the training captions, as the course's
``load_coco_data(max_train=...)`` does.  Anything missing or inconsistent
raises :class:`~.features.DatasetError` naming the file and the problem.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from ...validation import check_int
from .batches import limit_train
from .caption_data import CaptionData, Split
from .features import DatasetError
from .vocab import END, NULL, START

__all__ = ["CAPTIONS_FILE", "VOCAB_FILE", "is_coco_folder", "load_coco"]

CAPTIONS_FILE = "coco2014_captions.h5"
VOCAB_FILE = "coco2014_vocab.json"
_SPLIT_PREFIX = {"train": "train2014", "val": "val2014"}


def is_coco_folder(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a folder holding ``coco2014_captions.h5``."""
    return (Path(path) / CAPTIONS_FILE).is_file()


def _h5py():
    import h5py  # a runtime dependency, imported only when a COCO folder is opened

    return h5py


def _open_h5(path: Path):
    if not path.is_file():
        raise DatasetError(path, "file is missing (expected the course's coco_captioning layout)")
    try:
        return _h5py().File(path, "r")
    except OSError as exc:
        raise DatasetError(path, f"not a readable HDF5 file ({str(exc).splitlines()[0][:120]})") from None


def _map_features(path: Path) -> Any:
    """``features`` of an HDF5 file as a copy-on-write ``np.memmap`` when the
    data is contiguous and uncompressed, else the open h5py dataset."""
    f = _open_h5(path)
    if "features" not in f:
        f.close()
        raise DatasetError(path, "lacks the dataset 'features'")
    dset = f["features"]
    if dset.ndim != 2 or dset.shape[0] < 1 or dset.dtype.kind != "f":
        shape, dtype = dset.shape, dset.dtype
        f.close()
        raise DatasetError(path, f"'features' must be a non-empty 2-D float array, got {shape} {dtype}")
    offset = dset.id.get_offset() if dset.chunks is None and dset.compression is None else None
    if offset is None:
        return dset  # streamed through h5py; the file stays open with the dataset
    shape, dtype = dset.shape, dset.dtype
    f.close()
    # copy-on-write: slices are writable arrays, the file is never changed
    return np.memmap(path, dtype=dtype, mode="c", offset=offset, shape=shape)


def _read_vocab(path: Path) -> tuple[dict[str, int], list[str]]:
    if not path.is_file():
        raise DatasetError(path, "file is missing (expected the course's coco_captioning layout)")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(path, f"cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise DatasetError(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(raw, dict) or "idx_to_word" not in raw or "word_to_idx" not in raw:
        raise DatasetError(path, "must be an object with 'idx_to_word' and 'word_to_idx'")
    idx_to_word, word_to_idx = raw["idx_to_word"], raw["word_to_idx"]
    if not isinstance(idx_to_word, list) or not all(isinstance(w, str) for w in idx_to_word):
        raise DatasetError(path, "'idx_to_word' must be a list of words")
    if not isinstance(word_to_idx, dict):
        raise DatasetError(path, "'word_to_idx' must map words to ids")
    if any(word_to_idx.get(w) != i for i, w in enumerate(idx_to_word)) or len(word_to_idx) != len(idx_to_word):
        raise DatasetError(path, "'word_to_idx' and 'idx_to_word' disagree")
    missing = [t for t in (NULL, START, END) if t not in word_to_idx]
    if missing:
        raise DatasetError(path, f"the vocabulary lacks {', '.join(missing)}")
    return {str(w): int(i) for w, i in word_to_idx.items()}, list(idx_to_word)


def _read_urls(path: Path, n: int, problems: list[str]) -> np.ndarray | None:
    if not path.is_file():
        return None
    try:
        urls = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{path}: cannot be read ({exc}); image URLs not shown")
        return None
    urls = [u for u in urls if u] if len(urls) != n else urls
    if len(urls) != n:
        problems.append(f"{path}: {len(urls)} URLs for {n} images; image URLs not shown")
        return None
    return np.asarray(urls, dtype=str)


def load_coco(folder: str | os.PathLike, *, max_train: int | None = None, pca_features: bool = True,
              seed: int = 0) -> CaptionData:
    """The :class:`~.caption_data.CaptionData` of a ``coco_captioning`` folder
    (``train`` and ``val`` splits; COCO has no public test captions).
    ``pca_features`` prefers the 512-d PCA files and falls back to the
    4096-d ones (and the reverse when false).  Its ``dataset`` is
    ``'coco'``, ``cnn`` ``'vgg16'``, ``feature_layer`` ``'fc7_pca'`` or
    ``'fc7'``, ``feature_spec`` ``None`` (the features cannot be recomputed
    for new images here), ``problems`` the non-fatal issues (e.g. missing
    URL files)."""
    root = Path(folder)
    if not root.is_dir():
        raise DatasetError(root, "no such folder")
    if max_train is not None:
        try:
            max_train = check_int("max_train", max_train, low=1)
        except ValueError:
            raise DatasetError(root, f"max_train must be a positive integer, got {max_train!r}") from None
    problems: list[str] = []
    arrays: dict[str, np.ndarray] = {}
    cap_path = root / CAPTIONS_FILE
    with _open_h5(cap_path) as f:
        for key in ("train_captions", "train_image_idxs", "val_captions", "val_image_idxs"):
            if key not in f:
                raise DatasetError(cap_path, f"lacks the dataset '{key}'")
            arr = np.asarray(f[key])
            if arr.dtype.kind not in "iu":
                raise DatasetError(cap_path, f"'{key}' must hold integers, got {arr.dtype}")
            arrays[key] = arr.astype(np.int64 if key.endswith("idxs") else np.int32)
    word_to_idx, idx_to_word = _read_vocab(root / VOCAB_FILE)

    orders = (("_pca", "fc7_pca"), ("", "fc7")) if pca_features else (("", "fc7"), ("_pca", "fc7_pca"))
    for suffix, layer in orders:  # noqa: B007
        paths = {s: root / f"{p}_vgg16_fc7{suffix}.h5" for s, p in _SPLIT_PREFIX.items()}
        if all(p.is_file() for p in paths.values()):
            break
    else:
        names = ", ".join(f"{p}_vgg16_fc7{s}.h5" for s, _ in orders for p in _SPLIT_PREFIX.values())
        raise DatasetError(root, f"no feature files (expected {names})")
    splits = {}
    for split, path in paths.items():
        feats = _map_features(path)
        caps, idxs = arrays[f"{split}_captions"], arrays[f"{split}_image_idxs"]
        if caps.ndim != 2 or caps.shape[1] < 2 or idxs.shape != (caps.shape[0],):
            raise DatasetError(cap_path, f"'{split}_captions' {caps.shape} and '{split}_image_idxs' {idxs.shape} "
                                         "must be (N, T) and (N,)")
        if caps.size and (caps.min() < 0 or caps.max() >= len(idx_to_word)):
            raise DatasetError(cap_path, f"'{split}_captions' has word ids outside the vocabulary 0..{len(idx_to_word) - 1}")
        if idxs.size and (idxs.min() < 0 or idxs.max() >= feats.shape[0]):
            raise DatasetError(cap_path, f"'{split}_image_idxs' points past the {feats.shape[0]} rows of {path.name}")
        urls = _read_urls(root / f"{_SPLIT_PREFIX[split]}_urls.txt", feats.shape[0], problems)
        splits[split] = Split(features=feats, captions=caps, image_idxs=idxs, urls=urls)
    if splits["train"].features.shape[1] != splits["val"].features.shape[1]:
        raise DatasetError(root, "train and val features have different sizes")

    data = CaptionData(word_to_idx, idx_to_word, splits, dataset="coco", source=str(root), cnn="vgg16",
                       feature_layer=layer, feature_spec=None, problems=problems)
    return limit_train(data, max_train, seed)
