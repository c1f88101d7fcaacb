"""What a run of the index has to do: the folder scanned and compared with the index.

A photo whose size and modification time are those recorded is taken as
unchanged (as rsync and git do); one whose size or time changed is hashed, and
indexed again only when its content (SHA-256) changed.  Photos no longer in the
folder drop out."""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..imaging import IMAGE_SUFFIXES
from ..models.model_file import file_hash
from .shard import Item
from .store import PhotoRecord

__all__ = ["Plan", "scan_folder", "make_plan"]


def scan_folder(folder: str) -> list[tuple[str, int, int]]:
    """(path relative to ``folder`` with '/' separators, size, mtime_ns) of every photo in ``folder`` and its
    sub-folders, sorted by path.  Raises ``OSError`` when ``folder`` cannot be read."""
    if not os.path.isdir(folder):
        raise NotADirectoryError(f"{folder}: not a folder")
    os.listdir(folder)  # a folder that cannot be read says so here, not as an empty index
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        rel = os.path.relpath(root, folder)
        for name in files:
            if os.path.splitext(name)[1].lower() not in IMAGE_SUFFIXES:
                continue
            try:
                st = os.stat(os.path.join(root, name))
            except OSError:
                continue  # vanished while scanning
            path = name if rel == "." else f"{rel.replace(os.sep, '/')}/{name}"
            found.append((path, st.st_size, st.st_mtime_ns))
    return sorted(found)


@dataclass
class Plan:
    """``todo``: photos to index (new or changed, ids given); ``drop``: ids to remove first (gone or
    changed); ``touch``: unchanged content under a new size or time; ``kept``: photos left as they are."""

    todo: list[Item] = field(default_factory=list)
    drop: list[int] = field(default_factory=list)
    touch: list[PhotoRecord] = field(default_factory=list)
    kept: int = 0
    removed: int = 0
    changed: int = 0


def make_plan(folder: str, scanned: list[tuple[str, int, int]], known: dict[str, PhotoRecord], next_id: int) -> Plan:
    plan = Plan()
    on_disk = set()
    for path, size, mtime in scanned:
        on_disk.add(path)
        old = known.get(path)
        if old is not None and (old.size, old.mtime_ns) == (size, mtime):
            plan.kept += 1
            continue
        if old is not None:
            try:
                same = bool(old.sha256) and file_hash(os.path.join(folder, *path.split("/"))) == old.sha256
            except OSError:
                same = False
            if same:
                plan.touch.append(PhotoRecord(old.id, path, size, mtime, old.sha256, old.error))
                plan.kept += 1
                continue
            plan.drop.append(old.id)
            plan.changed += 1
        plan.todo.append(Item(next_id, path, size, mtime))
        next_id += 1
    gone = [r.id for p, r in known.items() if p not in on_disk]
    plan.drop += gone
    plan.removed = len(gone)
    return plan
