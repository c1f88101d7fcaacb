"""Tokenising, vocabulary, encoding and decoding of captions."""
from __future__ import annotations

import numpy as np
import pytest

from engine.captioning.data.vocab import SPECIAL_TOKENS, build_vocab, decode_caption, decode_captions, encode_captions, tokenize


def test_tokenize_lowercases_and_drops_punctuation():
    assert tokenize("A dog's ball, on the GRASS!") == ["a", "dog's", "ball", "on", "the", "grass"]
    assert tokenize("  ") == []
    with pytest.raises(ValueError, match="text"):
        tokenize(3)


def test_vocab_puts_special_tokens_first_and_orders_by_count():
    w2i, i2w = build_vocab([["b", "a", "b"], ["c", "b", "a"]])
    assert i2w[:4] == list(SPECIAL_TOKENS)
    assert i2w[4:] == ["b", "a", "c"]          # 3, 2, 1 occurrences
    assert all(w2i[w] == i for i, w in enumerate(i2w))


def test_min_count_sends_rare_words_to_unk():
    w2i, i2w = build_vocab([["cat", "sat"], ["cat", "ran"]], min_count=2)
    assert i2w == list(SPECIAL_TOKENS) + ["cat"]
    caps = encode_captions([["cat", "ran"]], w2i, max_length=4)
    assert caps.tolist() == [[1, 4, 3, 2, 0, 0]]
    assert decode_caption(caps[0], i2w) == "cat <UNK>"
    assert decode_caption(caps[0], i2w, keep_unk=False) == "cat"
    with pytest.raises(ValueError):
        build_vocab([["a"]], min_count=0)


def test_encoding_pads_and_cuts_at_max_length():
    w2i, i2w = build_vocab([["a", "b", "c", "d", "e"]])
    caps = encode_captions([["a", "b", "c", "d", "e"], ["a"]], w2i, max_length=3)
    assert caps.shape == (2, 5) and caps.dtype == np.int32
    assert caps[0, 0] == w2i["<START>"] and caps[0, 4] == w2i["<END>"]   # cut after 3 words, END kept
    assert decode_captions(caps, i2w) == ["a b c", "a"]
    assert caps[1].tolist()[3:] == [0, 0]
    with pytest.raises(ValueError, match="max_length"):
        encode_captions([["a"]], w2i, max_length=0)


def test_unknown_word_without_unk_token_is_an_error():
    with pytest.raises(ValueError, match="not in the vocabulary"):
        encode_captions([["zzz"]], {"<NULL>": 0, "<START>": 1, "<END>": 2}, max_length=3)
