"""Ground-truth boxes for the pointing game and relevance mass, read from a
COCO-style JSON file (``images[].file_name`` + ``annotations[].bbox`` as
``[x, y, width, height]``) or a folder of Pascal VOC XML files (one per
photo, ``<filename>`` and ``<object><bndbox>xmin ymin xmax ymax``), and
carried from the photo's pixels into the model's view of it
(:func:`engine.imaging.model_view`)."""
from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from ..imaging import crop_box
from .localization import Box

__all__ = ["load_boxes", "boxes_in_view"]


def _coco(path: Path) -> dict[str, list[Box]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        names = {img["id"]: os.path.basename(img["file_name"]) for img in data["images"]}
        out: dict[str, list[Box]] = {name: [] for name in names.values()}
        for ann in data.get("annotations", []):
            x, y, w, h = (float(v) for v in ann["bbox"])
            out[names[ann["image_id"]]].append((x, y, x + w, y + h))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a COCO annotation file ({type(exc).__name__}: {exc})") from None
    return out


def _voc(folder: Path) -> dict[str, list[Box]]:
    out: dict[str, list[Box]] = {}
    for xml in sorted(folder.glob("*.xml")):
        try:
            root = ET.parse(xml).getroot()
            name = root.findtext("filename") or xml.stem
            out[os.path.basename(name)] = [
                tuple(float(obj.find("bndbox").findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
                for obj in root.iter("object")]
        except (ET.ParseError, AttributeError, TypeError, ValueError) as exc:
            raise ValueError(f"{xml}: not a Pascal VOC annotation ({type(exc).__name__}: {exc})") from None
    return out


def load_boxes(path: str | os.PathLike) -> dict[str, list[Box]]:
    """Boxes per photo file name (photo pixels, ``(x0, y0, x1, y1)``)."""
    p = Path(path)
    if p.is_dir():
        return _voc(p)
    if not p.is_file():
        raise ValueError(f"{p}: no such annotation file or folder")
    return _coco(p)


def boxes_in_view(boxes: Sequence[Box], height: int, width: int, size: int, crop_fraction: float = 0.875) -> list[Box]:
    """``boxes`` on a ``height`` x ``width`` photo, in the coordinates of the
    model's ``size`` x ``size`` view of it (boxes outside the view dropped)."""
    if height == width == size:
        return [tuple(map(float, b)) for b in boxes]
    top, left, side = crop_box(height, width, crop_fraction)
    scale = size / side
    out = []
    for x0, y0, x1, y1 in boxes:
        v = [min(max((x0 - left) * scale, 0.0), size), min(max((y0 - top) * scale, 0.0), size),
             min(max((x1 - left) * scale, 0.0), size), min(max((y1 - top) * scale, 0.0), size)]
        if v[2] > v[0] and v[3] > v[1]:
            out.append(tuple(v))
    return out
