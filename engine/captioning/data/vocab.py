"""Captions as word ids: tokenising, building a vocabulary, encoding and
decoding, in the layout of the course's ``coco_captioning`` data.

* Special tokens take the first ids, as in ``coco2014_vocab.json``:
  ``<NULL>`` = 0 (padding), ``<START>`` = 1, ``<END>`` = 2, ``<UNK>`` = 3.
* An encoded caption is a row ``<START> w1 ... wn <END> <NULL> ...`` of a
  ``(N, T)`` integer array; words longer than ``max_length`` are cut.
* Words seen fewer than ``min_count`` times in the training captions map to
  ``<UNK>``.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = [
    "NULL", "START", "END", "UNK", "SPECIAL_TOKENS",
    "tokenize", "build_vocab", "encode_captions", "decode_caption", "decode_captions",
]

NULL, START, END, UNK = "<NULL>", "<START>", "<END>", "<UNK>"
SPECIAL_TOKENS = (NULL, START, END, UNK)

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lower-case words of a caption: letters, digits and inner apostrophes
    (``"A dog's ball."`` -> ``['a', "dog's", 'ball']``); punctuation dropped."""
    if not isinstance(text, str):
        raise ValueError(f"a caption must be text, got {type(text).__name__}")
    return _WORD.findall(text.lower())


def build_vocab(tokenized: Iterable[Sequence[str]], min_count: int = 1) -> tuple[dict[str, int], list[str]]:
    """``(word_to_idx, idx_to_word)`` from tokenised training captions.

    Words appearing at least ``min_count`` times get ids after the four
    special tokens, most frequent first (ties alphabetical, so the result is
    deterministic)."""
    if int(min_count) != min_count or min_count < 1:
        raise ValueError(f"min_count must be a positive integer, got {min_count}")
    counts = Counter(w for words in tokenized for w in words)
    for token in SPECIAL_TOKENS:
        counts.pop(token, None)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    idx_to_word = list(SPECIAL_TOKENS) + kept
    return {w: i for i, w in enumerate(idx_to_word)}, idx_to_word


def encode_captions(tokenized: Sequence[Sequence[str]], word_to_idx: dict[str, int], max_length: int) -> np.ndarray:
    """``(N, max_length + 2)`` int32 array of ``<START> words <END> <NULL>...``;
    unknown words become ``<UNK>``, captions longer than ``max_length`` words
    are cut (their ``<END>`` kept)."""
    if int(max_length) != max_length or max_length < 1:
        raise ValueError(f"max_length must be a positive integer, got {max_length}")
    unk = word_to_idx.get(UNK)
    out = np.full((len(tokenized), int(max_length) + 2), word_to_idx[NULL], dtype=np.int32)
    for row, words in enumerate(tokenized):
        ids = [word_to_idx[START]]
        for w in list(words)[: int(max_length)]:
            idx = word_to_idx.get(w, unk)
            if idx is None:
                raise ValueError(f"word {w!r} is not in the vocabulary and there is no {UNK} token")
            ids.append(idx)
        ids.append(word_to_idx[END])
        out[row, : len(ids)] = ids
    return out


def decode_caption(ids: Iterable[int], idx_to_word: Sequence[str], *, keep_unk: bool = True) -> str:
    """Word ids -> text: stops at ``<END>``, skips ``<NULL>``/``<START>``
    (and ``<UNK>`` unless ``keep_unk``)."""
    words = []
    for i in ids:
        w = idx_to_word[int(i)]
        if w == END:
            break
        if w in (NULL, START) or (w == UNK and not keep_unk):
            continue
        words.append(w)
    return " ".join(words)


def decode_captions(ids: np.ndarray, idx_to_word: Sequence[str], *, keep_unk: bool = True) -> list[str]:
    """Rows of word ids -> list of caption texts (see :func:`decode_caption`)."""
    arr = np.asarray(ids)
    if arr.ndim == 1:
        arr = arr[None]
    return [decode_caption(row, idx_to_word, keep_unk=keep_unk) for row in arr]
