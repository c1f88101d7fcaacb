"""Scoring a captioning model on a split of a :class:`~.caption_data.CaptionData`: every
image captioned once, compared with all of its reference captions by corpus
BLEU-1..4 (Papineni et al. 2002; :func:`engine.captioning.bleu.corpus_bleu`)
and, on the built-in scenes, by :func:`attribute_accuracy` (the main
object's colour and shape) and :func:`relation_accuracy` (the spatial
relation of the two objects of two-object scenes)."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from .batches import take_rows
from .caption_data import CaptionData
from .scenes import Scene, caption_relation, main_attributes
from .vocab import decode_caption, tokenize

__all__ = ["split_references", "caption_split", "evaluate_split", "AttributeScore", "attribute_accuracy",
           "RelationScore", "relation_accuracy", "evaluate_attributes"]

_OPPOSITE = {"left": "right", "right": "left", "above": "below", "below": "above"}


def split_references(data: Mapping[str, Any], split: str, max_images: int | None = None,
                     idx_to_word: Sequence[str] | None = None) -> tuple[np.ndarray, list[list[str]]]:
    """``(image indices, reference captions per image)`` of ``split``: the
    images that have captions (evenly spaced ``max_images`` of them when
    given), each with its caption texts (special tokens removed), read with
    the data's vocabulary (or ``idx_to_word``)."""
    data = CaptionData.of(data)
    part = data.split(split)
    image_idxs = np.asarray(part.image_idxs[:], dtype=np.int64)
    images = np.unique(image_idxs)
    if max_images is not None:
        if int(max_images) < 1:
            raise ValueError("max_images must be at least 1")
        if len(images) > max_images:
            images = images[np.linspace(0, len(images) - 1, int(max_images)).round().astype(np.int64)]
    wanted = np.isin(image_idxs, images)
    rows = np.nonzero(wanted)[0]
    captions = np.asarray(part.captions[:])[rows] if len(rows) else np.zeros((0, 1), np.int64)
    itw = list(idx_to_word if idx_to_word is not None else data.idx_to_word)
    refs: dict[int, list[str]] = {int(i): [] for i in images}
    for r, row in zip(rows, captions):
        refs[int(image_idxs[r])].append(decode_caption(row, itw, keep_unk=False))
    return images, [refs[int(i)] for i in images]


def caption_split(model: Any, data: Mapping[str, Any], split: str, images: np.ndarray,
                  decode: Callable[..., Any], *, batch: int = 500, max_length: int = 30) -> list[str]:
    """Captions of the given image indices of ``split`` by ``decode(model,
    features, max_length=..., top_k=0)`` (a decoder of :mod:`engine.captioning.decoding`)."""
    feats = CaptionData.of(data).split(split).features
    out: list[str] = []
    for start in range(0, len(images), batch):
        f = take_rows(feats, np.asarray(images[start:start + batch], dtype=np.int64))
        out += [" ".join(w) for w in decode(model, f, max_length=max_length, top_k=0).words]
    return out


def evaluate_split(model: Any, data: Mapping[str, Any], split: str = "val", *, decode: Callable[..., Any] | None = None,
                   max_images: int | None = None, max_length: int | None = None) -> dict[str, Any]:
    """Corpus BLEU-1..4 of ``model``'s captions (greedy unless ``decode``) of
    ``split``, plus ``n_images`` and, where the data has scenes (built-in
    dataset), ``attributes`` (main object's colour and shape named),
    ``relation`` (:class:`RelationScore` as a dict) and ``relation_accuracy``
    (its ``accuracy``; ``None`` when the split has no two-object scene)."""
    from ..bleu import corpus_bleu

    if decode is None:
        from ..decoding import greedy_decode as decode
    data = CaptionData.of(data)
    part = data.split(split)
    images, refs = split_references(data, split, max_images)
    if len(images) == 0:
        raise ValueError(f"the {split!r} split has no captioned images")
    length = max_length or max(1, part.caption_length - 1)
    hyps = caption_split(model, data, split, images, decode, max_length=length)
    result: dict[str, Any] = {"split": split, "n_images": int(len(images)), **corpus_bleu(refs, hyps)}
    scenes = part.scenes
    if scenes is not None:
        chosen = [scenes[int(i)] for i in images]
        result["attributes"] = attribute_accuracy(hyps, chosen).as_dict()
        relation = relation_accuracy(hyps, chosen)
        result["relation"] = relation.as_dict()
        result["relation_accuracy"] = relation.accuracy if relation.n else None
    result["examples"] = [{"image": int(i), "caption": h, "references": r}
                          for i, h, r in list(zip(images, hyps, refs))[:5]]
    return result


@dataclass(frozen=True)
class AttributeScore:
    """How often captions name the main object's colour *and* shape
    (``accuracy``), its colour, its shape, out of ``n`` images."""

    accuracy: float
    color_accuracy: float
    shape_accuracy: float
    n: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def attribute_accuracy(captions: Sequence[str | Sequence[str]], scenes: Sequence[Scene]) -> AttributeScore:
    """Score captions against their scenes: a caption is right when its first
    colour word and the first shape word after it (:func:`.scenes.main_attributes`)
    are the main object's colour and shape."""
    if len(captions) != len(scenes):
        raise ValueError(f"{len(captions)} captions for {len(scenes)} scenes")
    if not scenes:
        return AttributeScore(float("nan"), float("nan"), float("nan"), 0)
    both = color = shape = 0
    for caption, scene in zip(captions, scenes):
        words = tokenize(caption) if isinstance(caption, str) else list(caption)
        c, s = main_attributes(words)
        color += c == scene.main.color
        shape += s == scene.main.shape
        both += c == scene.main.color and s == scene.main.shape
    n = len(scenes)
    return AttributeScore(both / n, color / n, shape / n, n)


@dataclass(frozen=True)
class RelationScore:
    """Of ``n`` two-object scenes: how often the caption states the right
    relation between the two objects (``accuracy``), how often it states one
    at all (``stated``), and how often it is right *and* names both objects'
    colours and shapes (``strict_accuracy``)."""

    accuracy: float
    stated: float
    strict_accuracy: float
    n: int

    def as_dict(self) -> dict[str, float | None]:
        d = asdict(self)
        return {k: (None if isinstance(v, float) and v != v else v) for k, v in d.items()}


def _objects(words: list[str]) -> list[tuple[str, str]]:
    """The ``(colour, shape)`` pairs a caption names, in order."""
    from .scenes import COLORS, SHAPES

    out, color = [], None
    for w in words:
        if w in COLORS:
            color = w
        elif w in SHAPES and color is not None:
            out.append((color, w))
            color = None
    return out


def relation_accuracy(captions: Sequence[str | Sequence[str]], scenes: Sequence[Scene]) -> RelationScore:
    """Score the relation words of captions of two-object scenes (one-object
    scenes are skipped): the relation a caption gives its first-named object
    (:func:`.scenes.caption_relation`, any phrasing) must be the main object's
    relation to the other one; a caption that names the *second* object first
    (its colour and shape, not the main one's) is scored with the relation
    reversed."""
    if len(captions) != len(scenes):
        raise ValueError(f"{len(captions)} captions for {len(scenes)} scenes")
    right = stated = strict = n = 0
    for caption, scene in zip(captions, scenes):
        if scene.other is None:
            continue
        n += 1
        words = tokenize(caption) if isinstance(caption, str) else list(caption)
        rel, first = caption_relation(words)
        main, other = (scene.main.color, scene.main.shape), (scene.other.color, scene.other.shape)
        if rel is None:
            continue
        stated += 1
        if first == other and first != main:
            rel = _OPPOSITE[rel]
        ok = rel == scene.relation
        right += ok
        strict += ok and sorted(_objects(words)[:2]) == sorted([main, other])
    if not n:
        return RelationScore(float("nan"), float("nan"), float("nan"), 0)
    return RelationScore(right / n, stated / n, strict / n, n)


def evaluate_attributes(model: Any, data: Mapping[str, Any], split: str = "test", *,
                        decode: Callable[..., Any] | None = None, max_length: int = 30,
                        batch: int = 500) -> tuple[AttributeScore, list[str]]:
    """Caption every image of a shapes ``split`` with a captioning ``model``
    (greedy unless ``decode(model, features, max_length=, top_k=0)`` says
    otherwise) and score them with :func:`attribute_accuracy`.  Returns the
    score and the captions."""
    data = CaptionData.of(data)
    scenes = data.split(split).scenes if data.has_split(split) else None
    if scenes is None:
        raise ValueError(f"the data has no scenes for split {split!r} (only the built-in dataset has them)")
    if decode is None:
        from ..decoding import greedy_decode as decode
    captions = caption_split(model, data, split, np.arange(len(scenes)), decode, batch=batch, max_length=max_length)
    return attribute_accuracy(captions, scenes), captions
