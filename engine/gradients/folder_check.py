"""What a folder report will do, checked before it starts (the CLI's
``saliency-eval`` and the window's *Evaluate a Folder…* both ask here):
the photos of the folder, the boxes of an annotation file, and whether the
report folder holds an earlier run to go on from.

Every refusal is a ``ValueError`` whose message names the file or folder
and the problem, so nothing starts that would fail or lose work: a folder
without photos, an annotation file that cannot be read or names none of the
photos, and a report folder whose earlier scores were made with other
methods or fill-ins (scoring into it would drop those columns or leave the
new methods empty) or by another model (``run.json`` names it).
"""
from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .annotations import load_boxes
from .evaluation import REFERENCE
from .fill_in import FILL_INS
from .folder_eval import CSV_NAME, photo_files, report_model
from .localization import Box
from .methods import METHODS

__all__ = ["FolderRun", "EarlierReport", "earlier_report", "check_folder_run", "check_same_model", "POINTS_RANGE"]

#: the removal curves' points allowed in a folder report (the CLI's --points, the window's field)
POINTS_RANGE = (2, 101)


@dataclass(frozen=True)
class EarlierReport:
    """What an earlier run left in a report folder: its methods and fill-ins, the photos scored and the
    model that scored them (``""``: not recorded)."""

    methods: tuple[str, ...]
    fills: tuple[str, ...]
    photos: frozenset[str]
    model: str = ""

    def other_model(self, model: str) -> str:
        """Why ``model`` may not go on with this report (``""``: it may)."""
        if not (self.photos and self.model and model and self.model != model):
            return ""
        n = len(self.photos)
        return (f"holds {n} photo{'s' if n != 1 else ''} scored with {self.model}, not {model}: open that model "
                "to go on with it, or choose another report folder")


@dataclass(frozen=True)
class FolderRun:
    """A checked folder report: the photos, the boxes per photo file name, and the photos already scored."""

    photos: list[Path]
    boxes: dict[str, list[Box]] | None = None
    done: frozenset[str] = field(default_factory=frozenset)

    @property
    def todo(self) -> int:
        return sum(p.name not in self.done for p in self.photos)


def earlier_report(out: str | os.PathLike) -> EarlierReport | None:
    """The earlier run in the report folder ``out`` (``None``: no scores there yet)."""
    path = Path(out) / CSV_NAME
    if not path.is_file():
        return None
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            header = reader.fieldnames or []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{path}: the earlier scores cannot be read ({exc})") from None
    if "photo" not in header or "method" not in header:
        raise ValueError(f"{path}: not a scores file of a folder report (no photo and method columns)")
    methods = tuple(dict.fromkeys(r["method"] for r in rows if r["method"] != REFERENCE))
    fills = tuple(dict.fromkeys(c.partition(":")[2] for c in header if c.startswith("morf:")))
    return EarlierReport(methods, fills, frozenset(r["photo"] for r in rows), report_model(out))


def _chosen(chosen: Sequence[str], allowed: Sequence[str], what: str) -> None:
    bad = [c for c in chosen if c not in allowed]
    if bad or not chosen:
        raise ValueError(f"{what}: unknown {', '.join(bad) or '(none chosen)'}; choose from {', '.join(allowed)}")


def _photos(folder: str | os.PathLike) -> list[Path]:
    photos = photo_files(folder)
    if not photos:
        others = sum(p.is_file() for p in Path(folder).iterdir())
        also = f" ({others} other file{'s' if others != 1 else ''}, not photos)" if others else ""
        raise ValueError(f"{folder}: no photos in it{also}; sub-folders are not searched")
    return photos


def _boxes(path: str | os.PathLike, photos: list[Path]) -> dict[str, list[Box]]:
    boxes = load_boxes(path)
    if not {p.name for p in photos} & {name for name, b in boxes.items() if b}:
        example = next(iter(boxes), None)
        named = f" (it names {example!r}…)" if example else " (it holds no boxes)"
        raise ValueError(f"{path}: boxes for none of the {len(photos)} photos of the folder{named}")
    return boxes


def check_same_model(out: str | os.PathLike, model: str) -> None:
    """``ValueError`` when the report folder ``out`` holds scores of another model than ``model``."""
    earlier = earlier_report(out)
    problem = earlier.other_model(model) if earlier is not None else ""
    if problem:
        raise ValueError(f"{out} {problem}")


def _resumable(out: str | os.PathLike, methods: Sequence[str], fills: Sequence[str], model: str) -> frozenset[str]:
    if Path(out).exists() and not Path(out).is_dir():
        raise ValueError(f"{out}: is a file, not a folder for the report")
    earlier = earlier_report(out)
    if earlier is None or not earlier.photos:
        return frozenset()
    problem = earlier.other_model(model)
    if problem:
        raise ValueError(f"{out} {problem}")
    if set(earlier.methods) != set(methods) or set(earlier.fills) != set(fills):
        n = len(earlier.photos)
        raise ValueError(f"{out} holds a report of {n} photo{'s' if n != 1 else ''} made with the methods "
                         f"{', '.join(earlier.methods) or '(none)'} and the fill-ins {', '.join(earlier.fills)}: "
                         f"choose the same to go on with it, or another report folder")
    return earlier.photos


def check_folder_run(folder: str | os.PathLike, out: str | os.PathLike, *, methods: Sequence[str],
                     fills: Sequence[str], points: int = 11, boxes: str | os.PathLike | None = None,
                     model: str = "") -> FolderRun:
    """Check a folder report before it starts (see the module docstring) with the model named ``model``
    (``""``: not known yet; :func:`check_same_model` once it is); ``ValueError`` says what is wrong."""
    _chosen(methods, METHODS, "methods")
    _chosen(fills, FILL_INS, "fill-ins")
    low, high = POINTS_RANGE
    if not low <= points <= high:
        raise ValueError(f"points: must be between {low} and {high}, got {points}")
    photos = _photos(folder)
    chosen_boxes = _boxes(boxes, photos) if boxes else None
    done = _resumable(out, methods, fills, model)
    return FolderRun(photos, chosen_boxes, done & {p.name for p in photos})
