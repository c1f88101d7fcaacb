"""Per-channel top-K: the mergeable reduction of an index.

For every channel of a layer a :class:`TopK` keeps the ``k`` photos whose
maximum activation is highest, with the position of that maximum.  Photos are
ordered by value (highest first), then by photo id (lowest first), so that a
merge is exact and does not depend on the order of the pieces: merging the
partial top-K of any split of the photos gives the top-K of them all, bit for
bit (what lets shards run anywhere, in any order)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["TopK"]


@dataclass
class TopK:
    """``values`` (C, k) float32, ``ids`` (C, k) int64 photo ids (-1: empty slot), ``ys``/``xs`` (C, k)
    int32 feature-map positions of each photo's maximum."""

    values: np.ndarray
    ids: np.ndarray
    ys: np.ndarray
    xs: np.ndarray

    @classmethod
    def empty(cls, channels: int, k: int) -> TopK:
        shape = (channels, k)
        return cls(np.full(shape, -np.inf, np.float32), np.full(shape, -1, np.int64),
                   np.zeros(shape, np.int32), np.zeros(shape, np.int32))

    @property
    def k(self) -> int:
        return self.values.shape[1]

    @classmethod
    def of_photos(cls, maxima: np.ndarray, ys: np.ndarray, xs: np.ndarray, ids: np.ndarray, k: int) -> TopK:
        """The top-``k`` of ``n`` photos from their per-channel maxima (n, C) and peak positions (n, C)."""
        n, channels = maxima.shape
        return cls.empty(channels, k).merge(TopK(np.ascontiguousarray(maxima.T, np.float32),
                                                 np.broadcast_to(np.asarray(ids, np.int64)[None, :], (channels, n)),
                                                 np.ascontiguousarray(ys.T, np.int32), np.ascontiguousarray(xs.T, np.int32)))

    def merge(self, other: TopK) -> TopK:
        """The top-k of both (k of ``self``); exact, commutative and associative."""
        values = np.concatenate([self.values, other.values], axis=1)
        ids = np.concatenate([self.ids, other.ids], axis=1)
        # sort by value descending, then id ascending; empty slots (-inf, id -1) go last
        empty = ids < 0
        order = np.lexsort((np.where(empty, np.iinfo(np.int64).max, ids), -values), axis=1)[:, : self.k]

        def pick(a: np.ndarray) -> np.ndarray:
            return np.take_along_axis(a, order, axis=1)

        return TopK(pick(values), pick(ids), pick(np.concatenate([self.ys, other.ys], axis=1)),
                    pick(np.concatenate([self.xs, other.xs], axis=1)))

    def equals(self, other: TopK) -> bool:
        return all(np.array_equal(a, b) for a, b in zip((self.values, self.ids, self.ys, self.xs),
                                                         (other.values, other.ids, other.ys, other.xs)))
