"""The index file: one SQLite database (``.nlindex``), readable by any SQLite
client.  Format version 1 (README "The dataset index file"):

* ``meta(key, value)``: JSON values: ``format`` ("neural-lens-index"),
  ``version`` (1), ``model`` (name), ``model_sha256`` (of the weights, see
  :func:`engine.index.identity.model_sha256`), ``model_file`` (path and SHA-256
  of a user's model file, null for a bundled network), ``preprocessing`` (input size,
  crop fraction, mean and std in 0..255 pixel units), ``folder`` (absolute),
  ``top_k``, ``created``.
* ``layers(id, name, channels, height, width)``: the indexed layers, in network
  order, and the size of their activation maps.
* ``photos(id, path, size, mtime_ns, sha256, error)``: every photo seen, its
  path relative to the folder ('/' separators) and its content hash;
  ``error`` is NULL for a photo that was indexed, else why it could not be read.
* ``maxima(photo, layer, value, y, x)``: per photo and layer, the maximum of
  every channel's map (``value``: float32 little-endian, one per channel) and
  where it is (``y``, ``x``: int16 little-endian feature-map rows and columns).
* ``top(layer, channel, rank, photo, value, y, x)``: per channel the ``top_k``
  photos whose maximum is highest (rank 0 first; ties by lower photo id).

Every change is one transaction (WAL journal): a killed process leaves the
previous state, and readers see a consistent index while it is written.
"""
from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from .topk import TopK

__all__ = ["FORMAT", "VERSION", "IndexFileError", "LayerInfo", "PhotoRecord", "IndexStore"]

FORMAT, VERSION = "neural-lens-index", 1

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE layers(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, channels INTEGER NOT NULL,
                    height INTEGER NOT NULL, width INTEGER NOT NULL);
CREATE TABLE photos(id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, size INTEGER NOT NULL,
                    mtime_ns INTEGER NOT NULL, sha256 TEXT NOT NULL, error TEXT);
CREATE TABLE maxima(photo INTEGER NOT NULL, layer INTEGER NOT NULL, value BLOB NOT NULL, y BLOB NOT NULL,
                    x BLOB NOT NULL, PRIMARY KEY(photo, layer)) WITHOUT ROWID;
CREATE TABLE top(layer INTEGER NOT NULL, channel INTEGER NOT NULL, rank INTEGER NOT NULL, photo INTEGER NOT NULL,
                 value REAL NOT NULL, y INTEGER NOT NULL, x INTEGER NOT NULL,
                 PRIMARY KEY(layer, channel, rank)) WITHOUT ROWID;
"""


class IndexFileError(ValueError):
    """An index file that cannot be used: the message names the file and the reason."""


@dataclass(frozen=True)
class LayerInfo:
    id: int
    name: str
    channels: int
    height: int
    width: int


@dataclass(frozen=True)
class PhotoRecord:
    """What a shard reports about one photo (``error`` set: it could not be read)."""

    id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str
    error: str | None = None


class IndexStore:
    """An open index file (see the module docstring for the format)."""

    def __init__(self, path: str | os.PathLike, *, readonly: bool = False) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise IndexFileError(f"{self.path}: no such index file")
        uri = f"{self.path.resolve().as_uri()}?mode={'ro' if readonly else 'rw'}"
        try:
            self.db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            self.meta = {k: json.loads(v) for k, v in self.db.execute("SELECT key, value FROM meta")}
        except (sqlite3.DatabaseError, json.JSONDecodeError) as exc:
            raise IndexFileError(f"{self.path}: not a Neural Lens index ({exc})") from None
        if self.meta.get("format") != FORMAT:
            raise IndexFileError(f"{self.path}: not a Neural Lens index (format {self.meta.get('format')!r})")
        if self.meta.get("version") != VERSION:
            raise IndexFileError(f"{self.path}: index format version {self.meta.get('version')}, this program reads {VERSION}")
        rows = self.db.execute("SELECT id, name, channels, height, width FROM layers ORDER BY id")
        self.layers = {r[1]: LayerInfo(*r) for r in rows}

    @classmethod
    def create(cls, path: str | os.PathLike, meta: dict, layers: Sequence[tuple[str, int, int, int]]) -> IndexStore:
        """A new, empty index at ``path`` (written whole, then renamed into place); ``layers``:
        (name, channels, height, width) in network order."""
        with atomic_path(path, ".nlindex-tmp") as tmp:
            db = sqlite3.connect(tmp)
            try:
                with db:
                    db.executescript(_SCHEMA)
                    db.executemany("INSERT INTO meta VALUES (?, ?)",
                                   [(k, json.dumps(v)) for k, v in {"format": FORMAT, "version": VERSION, **meta}.items()])
                    db.executemany("INSERT INTO layers VALUES (?, ?, ?, ?, ?)",
                                   [(i, *layer) for i, layer in enumerate(layers)])
                db.execute("PRAGMA journal_mode=WAL")
            finally:
                db.close()
        return cls(path)

    def close(self) -> None:
        self.db.close()

    # -- photos ---------------------------------------------------------------------
    def photos(self) -> dict[str, PhotoRecord]:
        """Every photo in the index by relative path."""
        rows = self.db.execute("SELECT id, path, size, mtime_ns, sha256, error FROM photos")
        return {r[1]: PhotoRecord(*r) for r in rows}

    def count(self, *, readable: bool = True) -> int:
        where = "error IS NULL" if readable else "error IS NOT NULL"
        return self.db.execute(f"SELECT COUNT(*) FROM photos WHERE {where}").fetchone()[0]

    def unreadable(self) -> list[tuple[str, str]]:
        """(path, reason) of the photos that could not be read."""
        return list(self.db.execute("SELECT path, error FROM photos WHERE error IS NOT NULL ORDER BY path"))

    def next_id(self) -> int:
        return (self.db.execute("SELECT MAX(id) FROM photos").fetchone()[0] or 0) + 1

    def touch(self, records: Sequence[PhotoRecord]) -> None:
        """Photos whose content did not change: their new size and time are recorded."""
        with self.db:
            self.db.executemany("UPDATE photos SET size = ?, mtime_ns = ? WHERE id = ?",
                                [(r.size, r.mtime_ns, r.id) for r in records])

    def drop_and_rebuild(self, ids: Sequence[int], k: int) -> dict[str, TopK]:
        """Remove photos (gone, or changed and to be indexed again), then rebuild every channel's top-k from
        the maxima of those that stay (streamed); one transaction.  Returns the new top-k per layer."""
        with self.db:
            self.db.executemany("DELETE FROM photos WHERE id = ?", [(int(i),) for i in ids])
            self.db.executemany("DELETE FROM maxima WHERE photo = ?", [(int(i),) for i in ids])
            tops = {name: self._top_from_maxima(layer, k) for name, layer in self.layers.items()}
            for name, top in tops.items():
                self._write_top(self.layers[name], top)
        return tops

    def _top_from_maxima(self, layer: LayerInfo, k: int, chunk: int = 2048) -> TopK:
        top = TopK.empty(layer.channels, k)
        rows = self.db.execute("SELECT photo, value, y, x FROM maxima WHERE layer = ? ORDER BY photo", (layer.id,))
        while batch := rows.fetchmany(chunk):
            ids = np.array([r[0] for r in batch], np.int64)
            values, ys, xs = (np.stack([np.frombuffer(r[j], dtype) for r in batch])
                              for j, dtype in ((1, "<f4"), (2, "<i2"), (3, "<i2")))
            top = top.merge(TopK.of_photos(values, ys, xs, ids, k))
        return top

    # -- results ----------------------------------------------------------------------
    def commit(self, records: Sequence[PhotoRecord], maxima: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
               ids: np.ndarray, tops: dict[str, TopK]) -> None:
        """One shard's photos, their maxima ((n, C) values, ys, xs per layer, rows in the order of ``ids``)
        and the merged top-k of every layer, in one transaction."""
        with self.db:
            self.db.executemany("INSERT OR REPLACE INTO photos VALUES (?, ?, ?, ?, ?, ?)",
                                [(r.id, r.path, r.size, r.mtime_ns, r.sha256, r.error) for r in records])
            for name, (values, ys, xs) in maxima.items():
                lid = self.layers[name].id
                self.db.executemany("INSERT OR REPLACE INTO maxima VALUES (?, ?, ?, ?, ?)", [
                    (int(i), lid, values[n].astype("<f4").tobytes(), ys[n].astype("<i2").tobytes(),
                     xs[n].astype("<i2").tobytes()) for n, i in enumerate(ids)])
            for name, top in tops.items():
                self._write_top(self.layers[name], top)

    def _write_top(self, layer: LayerInfo, top: TopK) -> None:
        self.db.execute("DELETE FROM top WHERE layer = ?", (layer.id,))
        c, r = np.nonzero(top.ids >= 0)
        self.db.executemany("INSERT INTO top VALUES (?, ?, ?, ?, ?, ?, ?)", zip(
            [layer.id] * len(c), c.tolist(), r.tolist(), top.ids[c, r].tolist(), top.values[c, r].astype(float).tolist(),
            top.ys[c, r].tolist(), top.xs[c, r].tolist()))

    def load_top(self, name: str, k: int) -> TopK:
        layer = self.layers[name]
        top = TopK.empty(layer.channels, k)
        for c, r, photo, value, y, x in self.db.execute(
                "SELECT channel, rank, photo, value, y, x FROM top WHERE layer = ?", (layer.id,)):
            top.values[c, r], top.ids[c, r], top.ys[c, r], top.xs[c, r] = value, photo, y, x
        return top

    # -- queries --------------------------------------------------------------------
    def layer(self, name: str) -> LayerInfo:
        try:
            return self.layers[name]
        except KeyError:
            raise IndexFileError(f"{self.path}: layer {name!r} is not in this index; it has "
                              f"{', '.join(self.layers)}") from None

    def top(self, name: str, channel: int, k: int | None = None) -> list[tuple[str, float, int, int]]:
        """(path relative to the folder, value, y, x) of the photos that excite ``channel`` of layer
        ``name`` most, best first."""
        layer = self.layer(name)
        if not 0 <= channel < layer.channels:
            raise IndexFileError(f"layer {name} has {layer.channels} channels; there is no channel {channel}")
        rows = self.db.execute("SELECT p.path, t.value, t.y, t.x FROM top t JOIN photos p ON p.id = t.photo "
                               "WHERE t.layer = ? AND t.channel = ? ORDER BY t.rank LIMIT ?",
                               (layer.id, channel, -1 if k is None else int(k)))
        return list(rows)

    def maxima_of(self, path: str, name: str) -> np.ndarray | None:
        """The per-channel maxima of one indexed photo for layer ``name`` (None when not indexed)."""
        row = self.db.execute("SELECT m.value FROM maxima m JOIN photos p ON p.id = m.photo "
                              "WHERE p.path = ? AND m.layer = ?", (path, self.layer(name).id)).fetchone()
        return None if row is None else np.frombuffer(row[0], "<f4").copy()

    def iter_maxima(self, name: str, chunk: int = 4096) -> Iterator[tuple[list[str], np.ndarray]]:
        """(paths, (n, C) maxima) of every indexed photo for layer ``name``, a chunk at a time."""
        rows = self.db.execute("SELECT p.path, m.value FROM maxima m JOIN photos p ON p.id = m.photo "
                               "WHERE m.layer = ? ORDER BY p.id", (self.layer(name).id,))
        while batch := rows.fetchmany(chunk):
            yield [r[0] for r in batch], np.stack([np.frombuffer(r[1], "<f4") for r in batch])
