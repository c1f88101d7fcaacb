"""Attribution evaluation over a folder of photos, streamed and resumable.

For every photo (sorted by name) :func:`~.evaluation.evaluate_methods`
scores every method; each photo's rows go into ``OUT/scores.csv`` (written
atomically after each photo, so memory stays flat in the number of photos
beyond that small table) with a 64-pixel thumbnail of each map in
``OUT/maps/``.  A run started again on the same ``OUT`` skips the photos
already in the CSV (with the same methods and fill-ins), so a stopped run
resumes.  Unreadable photos are listed in ``OUT/problems.txt`` instead of
failing the run.  At the end (or when stopped) the self-contained HTML
report is written (:mod:`.report_html`).
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..imaging import IMAGE_SUFFIXES, ImageLoadError, load_image, resize, save_png
from ..jobs import Cancelled, Control, Frame
from .evaluation import EVAL_PARAMS, REFERENCE, MethodTable, metric_columns
from .heatmap import colorize
from .localization import Box
from .methods import METHODS
from .photo_score import score_photo

__all__ = ["FolderProgress", "folder_evaluation", "score_photo", "photo_files", "read_scores", "report_model",
           "CSV_NAME", "RUN_NAME"]

CSV_NAME = "scores.csv"
#: what the report was made with (``{"model": name}``): a run resumed with another model is refused
RUN_NAME = "run.json"
THUMB = 64


@dataclass(frozen=True)
class FolderProgress:
    photo: str
    done: int          # photos scored so far (this run and earlier ones)
    total: int
    problems: tuple[str, ...]
    last: MethodTable | None = None


def photo_files(folder: str | os.PathLike) -> list[Path]:
    """The photos of ``folder`` (not its sub-folders), sorted by name."""
    root = Path(folder)
    if not root.is_dir():
        raise ValueError(f"{root}: not a folder")
    return sorted(p for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def read_scores(path: str | os.PathLike) -> list[dict]:
    """The rows of a scores CSV (numbers as floats; empty = NaN)."""
    p = Path(path)
    if not p.is_file():
        return []
    with open(p, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    fixed = ("photo", "label", "method")
    return [{k: (v if k in fixed else (float(v) if v not in ("", None) else math.nan)) for k, v in r.items()}
            for r in rows]


def report_model(out: str | os.PathLike) -> str:
    """The model whose scores the report folder ``out`` holds (``""``: not recorded, as before run.json)."""
    try:
        return str(json.loads((Path(out) / RUN_NAME).read_text(encoding="utf-8")).get("model", ""))
    except (OSError, ValueError, AttributeError):
        return ""


def _record_model(out: Path, name: str) -> None:
    """Say in ``out`` which model scores it; refuse a report whose scores are another model's."""
    earlier = report_model(out)
    if earlier and name and earlier != name and (out / CSV_NAME).is_file():
        raise ValueError(f"{out}: its scores were made with {earlier}, not {name}; open that model to go on, "
                         f"or choose another report folder")
    with atomic_write(out / RUN_NAME) as handle:
        handle.write((json.dumps({"model": name}) + "\n").encode("utf-8"))


def _write_scores(path: Path, rows: list[dict], header: list[str]) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=header, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()})
    with atomic_write(path) as handle:
        handle.write(text.getvalue().encode("utf-8"))


def _thumbnails(out: Path, name: str, view: np.ndarray, table: MethodTable) -> None:
    maps = out / "maps"
    maps.mkdir(exist_ok=True)
    save_png(maps / f"{name}.png", resize(view, (THUMB, THUMB)))
    for row in table.rows:
        save_png(maps / f"{name}__{row.method}.png", resize(colorize(row.saliency, "inferno"), (THUMB, THUMB)))


def _local(model, photos, boxes, options, control):
    """``(path, view, table, problem)`` per photo, in this process; ends when stopped."""
    for path in photos:
        if control.cancelled:
            return
        try:
            image = load_image(path)
        except ImageLoadError as exc:
            yield path, None, None, str(exc)
            continue
        try:
            view, table = score_photo(model, image, boxes.get(path.name, []), control=control, **options)
        except Cancelled:   # stopped inside a network pass outside the methods' loop (the photo's class)
            return
        if table is None:
            return  # stopped inside this photo: it is scored again next time
        yield path, view, table, None


def folder_evaluation(model, folder: str | os.PathLike, out: str | os.PathLike, *,
                      methods: Sequence[str] = METHODS, fills: Sequence[str] = ("noisy-linear", "blur", "black"),
                      points: int = 11, sanity: bool = True, boxes: dict[str, list[Box]] | None = None,
                      control: Control | None = None, cluster=None,
                      model_factory=None) -> Generator[Frame, None, FolderProgress]:
    """Score every photo of ``folder`` into ``out``; frames after each photo
    (``info``: :class:`FolderProgress`).  Returns the last progress (also
    when stopped by ``control``; what was scored is kept).  With ``cluster``
    (a Dask scheduler address or client) the photos are scored on its
    workers, each loading the model with ``model_factory`` (default
    ``ModelSpec(model.name)``), and written here as they come back.  ``out/run.json`` names the
    model; scores made with another model are not gone on with (``ValueError``)."""
    from .folder_cluster import cluster_tables  # Dask is imported only for a cluster run
    from .report_html import write_report

    control = control or Control(EVAL_PARAMS)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _record_model(out, getattr(model, "name", ""))
    photos = photo_files(folder)
    header = ["photo", "target", "label", "method", *(m for m, _ in metric_columns(fills))]
    rows = [r for r in read_scores(out / CSV_NAME) if set(header) <= set(r)]
    done = {r["photo"] for r in rows}
    problems: list[str] = []
    progress = FolderProgress("", len(done & {p.name for p in photos}), len(photos), ())
    todo = [p for p in photos if p.name not in done]
    options = dict(methods=methods, fills=fills, points=points, sanity=sanity)
    results = (_local(model, todo, boxes or {}, options, control) if cluster is None else
               cluster_tables(cluster, model_factory, model, todo, boxes or {}, options, control))
    for path, view, table, problem in results:
        if problem is not None:
            problems.append(problem)
            continue
        rows += [{"photo": path.name, "target": table.target, "label": table.label, "method": r.method,
                  **r.metrics()} for r in table.rows]
        _write_scores(out / CSV_NAME, rows, header)
        _thumbnails(out, path.name, view, table)
        progress = FolderProgress(path.name, progress.done + 1, len(photos), tuple(problems), table)
        yield Frame(step=progress.done, total=len(photos), info=progress, metrics={"photos": progress.done})
    with atomic_write(out / "problems.txt") as handle:
        handle.write("".join(f"{p}\n" for p in problems).encode("utf-8"))
    write_report(out, rows, fills, [*methods, REFERENCE], problems)
    return FolderProgress(progress.photo, progress.done, len(photos), tuple(problems), progress.last)
