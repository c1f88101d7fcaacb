"""Import of a captions JSON file and its image folder (COCO or Flickr style).

Accepted forms (images are looked up relative to ``images_dir``, by default
the JSON file's folder):

* COCO (Lin et al. 2014): ``{"images": [{"id", "file_name"}, ...],
  "annotations": [{"image_id", "caption"}, ...]}``;
* Karpathy's Flickr8k/30k/COCO splits: ``{"images": [{"filename",
  "sentences": [{"raw"} or {"tokens"}], "split"?, "filepath"?}, ...]}``;
* a simple list: ``[{"image": "file.jpg", "captions": ["...", ...], "split"?}, ...]``.

An image's ``split`` (``train``, ``val``, ``test``; ``restval`` counts as
train) is used when given; otherwise images are split at random (from
``seed``) by ``val_fraction`` / ``test_fraction``.  Captions are tokenised
(:func:`.vocab.tokenize`), cut at ``max_length`` words, and words seen fewer
than ``min_count`` times in the training captions become ``<UNK>``.

Features come from the CNN in the :class:`~.features.FeatureSpec` (default:
its pooled penultimate features of the usual centre crop), in batches with
progress, cancellable, and cached under a hash of every image's path, size
and modification time.  Unreadable images (missing, corrupt, not images) are
skipped and listed in the data's ``problems``, never fatal; a malformed JSON
file raises :class:`~.features.DatasetError` naming the file and the problem.
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ...imaging import load_image
from ...jobs import Control, Frame, Stage, run_to_end
from .caption_data import CaptionData, Split
from .features import DatasetError, FeatureSpec, cache_dir, cache_key, extract_features, load_npz, resolve_cnn, save_npz_atomic
from .images import FileImages
from .vocab import build_vocab, encode_captions, tokenize

__all__ = ["parse_captions_json", "default_photo_spec", "build_annotations", "load_annotations"]

SPLITS = ("train", "val", "test")
_SPLIT_ALIASES = {"train": "train", "restval": "train", "val": "val", "valid": "val", "validation": "val",
                  "test": "test"}


def _bad(path: Path, reason: str) -> DatasetError:
    return DatasetError(path, reason)


def _coco_form(raw: dict, path: Path) -> list[tuple[str, list[str], str | None]]:
    images, anns = raw["images"], raw["annotations"]
    if not isinstance(images, list) or not isinstance(anns, list):
        raise _bad(path, "'images' and 'annotations' must be lists")
    files: dict[Any, str] = {}
    for k, im in enumerate(images):
        if not isinstance(im, dict) or "id" not in im or "file_name" not in im:
            raise _bad(path, f"images[{k}] needs 'id' and 'file_name'")
        files[im["id"]] = str(im["file_name"])
    caps: dict[Any, list[str]] = {i: [] for i in files}
    for k, ann in enumerate(anns):
        if not isinstance(ann, dict) or "image_id" not in ann or "caption" not in ann:
            raise _bad(path, f"annotations[{k}] needs 'image_id' and 'caption'")
        if ann["image_id"] not in files:
            raise _bad(path, f"annotations[{k}] refers to image id {ann['image_id']!r}, which is not in 'images'")
        if not isinstance(ann["caption"], str):
            raise _bad(path, f"annotations[{k}]['caption'] must be text")
        caps[ann["image_id"]].append(ann["caption"])
    return [(files[i], caps[i], None) for i in files]


def _karpathy_form(raw: dict, path: Path) -> list[tuple[str, list[str], str | None]]:
    out = []
    for k, im in enumerate(raw["images"]):
        if not isinstance(im, dict) or "filename" not in im or not isinstance(im.get("sentences"), list):
            raise _bad(path, f"images[{k}] needs 'filename' and a 'sentences' list")
        caps = []
        for j, sent in enumerate(im["sentences"]):
            if isinstance(sent, dict) and isinstance(sent.get("raw"), str):
                caps.append(sent["raw"])
            elif isinstance(sent, dict) and isinstance(sent.get("tokens"), list):
                caps.append(" ".join(str(t) for t in sent["tokens"]))
            else:
                raise _bad(path, f"images[{k}]['sentences'][{j}] needs 'raw' text or 'tokens'")
        name = os.path.join(str(im.get("filepath", "")), str(im["filename"]))
        out.append((name, caps, im.get("split")))
    return out


def _list_form(raw: list, path: Path) -> list[tuple[str, list[str], str | None]]:
    out = []
    for k, item in enumerate(raw):
        if not isinstance(item, dict) or "image" not in item or "captions" not in item:
            raise _bad(path, f"item {k} needs 'image' and 'captions'")
        caps = item["captions"]
        if isinstance(caps, str):
            caps = [caps]
        if not isinstance(caps, list) or not all(isinstance(c, str) for c in caps):
            raise _bad(path, f"item {k}: 'captions' must be a list of texts")
        out.append((str(item["image"]), list(caps), item.get("split")))
    return out


def parse_captions_json(path: str | os.PathLike) -> list[tuple[str, list[str], str | None]]:
    """``[(image file name, [captions], split or None), ...]`` from one of the
    accepted forms; raises :class:`DatasetError` for anything else."""
    path = Path(path)
    if not path.is_file():
        raise _bad(path, "no such file" if not path.exists() else "is not a file")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise _bad(path, "is not UTF-8 text") from None
    except OSError as exc:
        raise _bad(path, f"cannot be read ({exc.strerror or exc})") from None
    except json.JSONDecodeError as exc:
        raise _bad(path, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if isinstance(raw, dict) and "images" in raw and "annotations" in raw:
        items = _coco_form(raw, path)
    elif isinstance(raw, dict) and isinstance(raw.get("images"), list):
        items = _karpathy_form(raw, path)
    elif isinstance(raw, list):
        items = _list_form(raw, path)
    else:
        raise _bad(path, "expected COCO captions ('images' + 'annotations'), Karpathy-style 'images' with "
                         "'sentences', or a list of {'image', 'captions'}")
    for name, _, split in items:
        if split is not None and str(split).lower() not in _SPLIT_ALIASES:
            raise _bad(path, f"image {name!r} has unknown split {split!r} (use train, val or test)")
    if not items:
        raise _bad(path, "lists no images")
    return items


def default_photo_spec(cnn: str = "efficientnet_lite0") -> FeatureSpec:
    """Photos: the CNN's pooled penultimate features of the centred 224 px crop."""
    return FeatureSpec(cnn=cnn, layers=("embed",), grid=1, image_size=224, crop_fraction=0.875)


def _assign_splits(items, val_fraction: float, test_fraction: float, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    draws = rng.random(len(items))
    out = []
    for (_, _, split), u in zip(items, draws):
        if split is not None:
            out.append(_SPLIT_ALIASES[str(split).lower()])
        else:
            out.append("test" if u < test_fraction else "val" if u < test_fraction + val_fraction else "train")
    return out


def _fingerprint(paths: list[Path]) -> list[Any]:
    out = []
    for p in paths:
        try:
            st = p.stat()
            out.append([str(p), st.st_size, st.st_mtime_ns])
        except OSError:
            out.append([str(p), None, None])
    return out


def build_annotations(model: Any, json_path: str | os.PathLike, images_dir: str | os.PathLike | None = None,
                      spec: FeatureSpec | None = None, control: Control | None = None, *, min_count: int = 1,
                      max_length: int = 16, val_fraction: float = 0.1, test_fraction: float = 0.1,
                      seed: int = 0, cache: bool = True, cache_folder: str | None = None,
                      batch_size: int = 32) -> Iterator[Frame]:
    """Job: the :class:`~.caption_data.CaptionData` (returned; ``None`` when
    cancelled) of a captions JSON file and its images.  ``model`` is the CNN
    or a callable loading it (called only when the features are not cached).
    Every split has its images (read on demand) and urls (file paths); the
    data's ``problems`` has one line per skipped image or caption-less image,
    ``dataset`` is ``'annotations'``, ``feature_spec`` standardised with the
    training features, ``source`` the JSON file."""
    _check_fractions(val_fraction, test_fraction)
    json_path = Path(json_path)
    items = parse_captions_json(json_path)
    folder = Path(images_dir) if images_dir is not None else json_path.parent
    if not folder.is_dir():
        raise DatasetError(folder, "image folder does not exist")
    problems: list[str] = []
    kept_items = _captioned(items, folder, problems)
    splits = _assign_splits(kept_items, val_fraction, test_fraction, seed)
    paths = [p for p, _, _ in kept_items]
    if spec is None:
        spec = default_photo_spec(getattr(model, "name", None) or "efficientnet_lite0")
    raw = spec.raw()
    found = yield from _features(model, paths, raw, control, cache, cache_folder, batch_size)
    if found is None:
        return None
    feats, kept, skipped = found
    problems += [f"{reason}, skipped" for _, reason in skipped]
    row_of = {int(i): r for r, i in enumerate(np.asarray(kept).tolist())}

    per_split: dict[str, list[int]] = {s: [] for s in SPLITS}
    for i, s in enumerate(splits):
        if i in row_of:
            per_split[s].append(i)
    if not per_split["train"]:
        raise DatasetError(json_path, "no readable training image with a caption")
    word_to_idx, idx_to_word = build_vocab([w for i in per_split["train"] for w in kept_items[i][1]], min_count)
    if spec.normalized:
        norm_spec = spec
    else:
        norm_spec = raw.fit_normalization(feats[[row_of[i] for i in per_split["train"]]])
    splits = {s: _split(kept_items, per_split[s], row_of, feats, norm_spec, word_to_idx, max_length) for s in SPLITS}
    return CaptionData(word_to_idx, idx_to_word, splits, dataset="annotations", source=str(json_path),
                       cnn=norm_spec.cnn, feature_layer=norm_spec.layer_name, feature_spec=norm_spec.as_dict(),
                       problems=problems)


def _check_fractions(val_fraction: float, test_fraction: float) -> None:
    for name, v in (("val_fraction", val_fraction), ("test_fraction", test_fraction)):
        if not (isinstance(v, (int, float)) and 0 <= v < 1):
            raise ValueError(f"{name} must be in [0, 1), got {v}")
    if val_fraction + test_fraction >= 1:
        raise ValueError("val_fraction + test_fraction must leave some images for training")


def _captioned(items, folder: Path, problems: list[str]) -> list[tuple[Path, list[list[str]], str | None]]:
    """(image path, tokenised captions, split) of each item with a usable caption; the others
    are listed in ``problems``."""
    kept_items = []
    for name, caps, split in items:
        words = [w for w in (tokenize(c) for c in caps) if w]
        if not words:
            problems.append(f"{folder / name}: no usable caption, skipped")
            continue
        kept_items.append((folder / name, words, split))
    return kept_items


def _features(model: Any, paths: list[Path], raw: FeatureSpec, control: Control | None, cache: bool,
              cache_folder: str | None, batch_size: int) -> Iterator[Frame]:
    """Job: (features, kept indices, [(index, reason)] skipped) of the images at ``paths``, from
    the cache when it has them (keyed by every file's size and time), else from the CNN (then
    cached); ``None`` when cancelled."""
    key = cache_key("annotations", 1, _fingerprint(paths), raw.as_dict())
    path = cache_dir(cache_folder) / f"annotations-{key}.npz"
    cached = load_npz(path, ["features", "kept", "skipped", "reasons"]) if cache else None
    if cached is not None:
        yield Frame(step=1, total=1, info=Stage("cached", path=str(path)), final=True)
        return cached["features"], cached["kept"], list(zip(cached["skipped"].tolist(), cached["reasons"].tolist()))
    job = extract_features(resolve_cnn(model), paths, raw, control or Control(), batch_size=batch_size,
                           load=load_image, stage="features")
    done = yield from job
    if done is None:
        return None
    feats, kept, skipped = done
    if cache:
        save_npz_atomic(path, features=feats, kept=kept, skipped=np.asarray([i for i, _ in skipped], np.int64),
                        reasons=np.asarray([r for _, r in skipped], dtype=str))
    return feats, kept, skipped


def _split(kept_items, members: list[int], row_of: dict[int, int], feats: np.ndarray, norm_spec: FeatureSpec,
           word_to_idx: dict[str, int], max_length: int) -> Split:
    """The :class:`Split` of the items ``members`` (indices into ``kept_items``): their
    standardised features, every caption of each (encoded), its image's index, path and pixels."""
    rows = [row_of[i] for i in members]
    tokenized, image_idxs = [], []
    for j, i in enumerate(members):
        for w in kept_items[i][1]:
            tokenized.append(w)
            image_idxs.append(j)
    features = norm_spec.normalize(feats[rows]) if rows else np.zeros((0, feats.shape[1]), np.float32)
    return Split(features=features, captions=encode_captions(tokenized, word_to_idx, max_length),
                 image_idxs=np.asarray(image_idxs, dtype=np.int32),
                 urls=np.asarray([str(kept_items[i][0]) for i in members], dtype=str),
                 images=FileImages([kept_items[i][0] for i in members]))


def load_annotations(model: Any, json_path: str | os.PathLike, **kwargs: Any) -> CaptionData:
    """:func:`build_annotations` run to the end."""
    _, data = run_to_end(build_annotations(model, json_path, **kwargs))
    return data
