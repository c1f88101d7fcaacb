"""What a model file's neighbours say about it: the sidecar ``<model>.json``
and class-name files.

Sidecar schema (every key optional)::

    {
      "arch": "resnet18",                 # or "timm/vit_tiny_patch16_224"; when several fit
      "labels": ["cat", "dog", "fox"],    # or a file name beside the model ("classes.txt")
      "input_size": 224,                  # px, square
      "preset": "imagenet",               # or "0..1", "-1..1"; then mean/std/range override it
      "mean": [0.485, 0.456, 0.406],      # in value-range units, one number or three
      "std": [0.229, 0.224, 0.225],
      "range": [0, 1],                    # what pixels 0..255 map to before mean/std
      "crop_fraction": 0.875,             # centre crop's share of the shorter side
      "channels": 3                       # 1: greyscale model
    }

Class names, first found wins: the sidecar's ``labels``; the checkpoint's
``classes``/``labels``/``class_names``/``idx_to_class``/``class_to_idx``;
``<model>.labels.txt``, ``<model>.txt``, ``labels.txt``, ``classes.txt`` (one
per line) or ``labels.json``/``classes.json`` (a list, or a dict index->name
or name->index) beside the file.
"""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["sidecar_path", "read_sidecar", "labels_from", "read_labels_file", "find_labels", "fitted_labels"]

_META_KEYS = ("classes", "labels", "class_names", "idx_to_class", "class_to_idx")


def sidecar_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def read_sidecar(model_path: Path, explicit: str | Path | None = None) -> dict:
    """The sidecar's settings (``{}`` when there is none).  ``ValueError``
    naming the file for unreadable JSON or a value of the wrong kind."""
    path = Path(explicit) if explicit else sidecar_path(Path(model_path))
    if not path.is_file() or (explicit is None and path == Path(model_path)):
        if explicit:
            raise ValueError(f"{path}: sidecar file does not exist")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable JSON sidecar ({exc})") from None
    if isinstance(data, list):  # a labels.json named like the model
        return {"labels": data}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the sidecar must be a JSON object (see README, 'Use your own model')")
    if isinstance(data.get("labels"), str):
        data["labels"] = read_labels_file(path.parent / data["labels"])
    return data


def labels_from(value, source: str) -> list[str]:
    """Class names from a list, or from a dict ``index -> name`` / ``name -> index``."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, str):
        try:
            return labels_from(json.loads(value), source)
        except ValueError:
            return [line.strip() for line in value.splitlines() if line.strip()]
    if isinstance(value, dict) and value:
        items = list(value.items())
        if all(str(k).lstrip("-").isdigit() for k, _ in items):
            table = {int(k): str(v) for k, v in items}
        elif all(isinstance(v, int) for _, v in items):
            table = {int(v): str(k) for k, v in items}
        else:
            raise ValueError(f"{source}: class names must map index -> name or name -> index")
        if sorted(table) != list(range(len(table))):
            raise ValueError(f"{source}: class indices must be 0..{len(table) - 1} without gaps")
        return [table[i] for i in range(len(table))]
    raise ValueError(f"{source}: cannot read class names from a {type(value).__name__}")


def read_labels_file(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read class names ({exc})") from None
    if path.suffix.lower() == ".json":
        try:
            return labels_from(json.loads(text), str(path))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc})") from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def fitted_labels(labels, count: int, source: str) -> list[str]:
    """``labels`` (a list, or text one name per line) as class names for a
    network with ``count`` outputs; ``ValueError`` naming both numbers otherwise."""
    names = labels_from(labels, source)
    if len(names) != count:
        raise ValueError(f"{len(names)} class name{'' if len(names) == 1 else 's'} (from {source}) "
                         f"but the network has {count} outputs")
    return names


def find_labels(model_path: Path, meta: dict, sidecar: dict) -> tuple[list[str] | None, str]:
    """Class names and where they came from (``None, ""`` when nothing says)."""
    if sidecar.get("labels") is not None:
        return labels_from(sidecar["labels"], str(sidecar_path(model_path))), "sidecar"
    for key in _META_KEYS:
        if meta.get(key) is not None:
            return labels_from(meta[key], f"{model_path} [{key}]"), f"checkpoint '{key}'"
    folder, stem = model_path.parent, model_path.stem
    for name in (f"{stem}.labels.txt", f"{stem}.txt", "labels.txt", "classes.txt", "labels.json", "classes.json"):
        candidate = folder / name
        if candidate.is_file():
            return read_labels_file(candidate), candidate.name
    return None, ""
