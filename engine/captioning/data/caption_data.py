"""``CaptionData``: a captioning dataset, typed.

A dataset is a vocabulary (``word_to_idx``, ``idx_to_word``), named
:class:`Split` s (``train``, ``val``, ``test``, ``novel``...), each with the
features of its images, its captions and the image of every caption, and
what the window and checkpoints need to know about where it came from (the
CNN and feature spec, problems met while reading it, the word dropout it
recommends).  Code reads ``data.split("val").captions``, never string keys.

The course's classic dict (``train_features``, ``val_captions``,
``word_to_idx``...) converts with :meth:`CaptionData.of`, and a
``CaptionData`` still reads as that dict (a read-only ``Mapping``), so the
classic API (``CaptioningSolver(model, data)`` with the course's dict) and
scripts written against it keep working.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CaptionData", "Split", "SPLIT_ORDER"]

#: the splits in the order they are listed (novel: held-out colour-shape pairs of the built-in scenes)
SPLIT_ORDER = ("train", "val", "test", "novel")
#: a split's arrays, as named in the classic dict (``f"{split}_{part}"``)
_PARTS = ("features", "captions", "image_idxs", "urls", "images", "scenes")


@dataclass(frozen=True)
class Split:
    """One split.  ``features (Nimg, D)``, ``captions (Ncap, T)`` word ids and
    ``image_idxs (Ncap,)`` (the image of each caption) may be numpy arrays,
    memory maps, torch tensors or h5py datasets; ``urls (Nimg,)`` names the
    images, ``images`` gives them on demand (``images[i]``, uint8 HxWx3), and
    ``scenes`` lists what the built-in scenes drew."""

    features: Any
    captions: Any
    image_idxs: Any
    urls: Any = None
    images: Any = None
    scenes: Any = None

    @property
    def n_images(self) -> int:
        return int(self.features.shape[0])

    @property
    def n_captions(self) -> int:
        return int(self.captions.shape[0])

    @property
    def caption_length(self) -> int:
        """``T``: the length of a caption row, ``<START>`` and ``<END>`` included."""
        return int(self.captions.shape[1])


@dataclass(frozen=True, eq=False)
class CaptionData(Mapping):
    """A captioning dataset (see the module docstring).  ``splits`` by name;
    ``dataset`` (``'shapes'``, ``'coco'``, ``'annotations'``), ``source`` (its
    path), ``cnn``, ``feature_layer`` and ``feature_spec`` (a dict, ``None``
    for precomputed features) say where the features came from; ``config``
    the built-in scenes' generator settings; ``problems`` what was skipped;
    ``word_dropout`` / ``dropout_words`` the word dropout it recommends."""

    word_to_idx: dict[str, int]
    idx_to_word: list[str]
    splits: dict[str, Split]
    dataset: str = ""
    source: str = ""
    cnn: str | None = None
    feature_layer: str | None = None
    feature_spec: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    problems: list[str] = field(default_factory=list)
    word_dropout: float = 0.0
    dropout_words: list[str] | None = None

    # -- splits --------------------------------------------------------------------
    @property
    def split_names(self) -> list[str]:
        """The splits, ``train``/``val``/``test``/``novel`` first, then the others by name."""
        return [s for s in SPLIT_ORDER if s in self.splits] + sorted(set(self.splits) - set(SPLIT_ORDER))

    def has_split(self, name: str) -> bool:
        return name in self.splits

    def split(self, name: str) -> Split:
        """The split called ``name``; ``ValueError`` naming the ones there are."""
        try:
            return self.splits[name]
        except KeyError:
            raise ValueError(f"the data has no {name!r} split; it has {', '.join(self.split_names) or 'none'}") from None

    @property
    def train(self) -> Split:
        return self.split("train")

    @property
    def feature_dim(self) -> int:
        """``D``: the values per image (the training split's)."""
        return int(self.train.features.shape[1])

    def with_split(self, name: str, split: Split) -> CaptionData:
        return dataclasses.replace(self, splits={**self.splits, name: split})

    # -- the classic dict ------------------------------------------------------------
    @classmethod
    def of(cls, data: Mapping[str, Any]) -> CaptionData:
        """``data`` itself, or the course's classic dict as a ``CaptionData``
        (a split for every ``{split}_captions`` with its features and image ids)."""
        if isinstance(data, CaptionData):
            return data
        found = {k[: -len("_captions")] for k in data if k.endswith("_captions")}
        splits = {s: Split(**{p: data[f"{s}_{p}"] for p in _PARTS if f"{s}_{p}" in data})
                  for s in found if f"{s}_features" in data and f"{s}_image_idxs" in data}
        meta = {f.name: data[f.name] for f in dataclasses.fields(cls)
                if f.name not in ("splits", "word_to_idx", "idx_to_word") and data.get(f.name) is not None}
        idx_to_word = data.get("idx_to_word")
        return cls(word_to_idx=dict(data.get("word_to_idx") or {}),
                   idx_to_word=list(idx_to_word) if idx_to_word is not None else [], splits=splits, **meta)

    def _classic(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            if f.name != "splits":
                out[f.name] = getattr(self, f.name)
        for name, split in self.splits.items():
            for part in _PARTS:
                value = getattr(split, part)
                if value is not None:
                    out[f"{name}_{part}"] = value
        return out

    def __getitem__(self, key: str) -> Any:
        return self._classic()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._classic())

    def __len__(self) -> int:
        return len(self._classic())

    __eq__ = object.__eq__
    __hash__ = object.__hash__
