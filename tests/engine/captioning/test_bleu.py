"""Corpus BLEU against values worked out by hand (Papineni et al. 2002)."""
from __future__ import annotations

import math

import pytest

from engine.captioning.bleu import corpus_bleu, strip_special


def test_identical_captions_score_one():
    refs = [["a red circle left of a blue square"], ["two green triangles"]]
    hyps = ["a red circle left of a blue square", "two green triangles"]
    assert corpus_bleu(refs, hyps) == pytest.approx({"bleu1": 1.0, "bleu2": 1.0, "bleu3": 1.0, "bleu4": 1.0})


def test_worked_example_the_cat():
    # hyp: the cat sat on the mat   ref: the cat is on the mat
    # p1 = 5/6 (the x2, cat, on, mat), p2 = 3/5 (the cat, on the, the mat),
    # p3 = 1/4 (on the mat), p4 = 0/3; c = r = 6 so BP = 1.
    s = corpus_bleu([["the cat is on the mat"]], ["the cat sat on the mat"])
    assert s["bleu1"] == pytest.approx(5 / 6)
    assert s["bleu2"] == pytest.approx(math.sqrt(5 / 6 * 3 / 5))        # = sqrt(1/2)
    assert s["bleu3"] == pytest.approx(0.5)                              # (1/8) ** (1/3)
    assert s["bleu4"] == 0.0


def test_brevity_penalty_example():
    # hyp a b c d e (c = 5), ref a b c d f g (r = 6): BP = exp(1 - 6/5)
    # p1 = 4/5, p2 = 3/4, p3 = 2/3, p4 = 1/2
    s = corpus_bleu([["a b c d f g"]], ["a b c d e"])
    bp = math.exp(-0.2)
    assert s["bleu1"] == pytest.approx(bp * 4 / 5)
    assert s["bleu4"] == pytest.approx(bp * (4 / 5 * 3 / 4 * 2 / 3 * 1 / 2) ** 0.25)


def test_counts_are_clipped():
    # "the" 4 times, at most once in the reference: p1 = 1/4; c = 4 > r = 2: BP = 1
    assert corpus_bleu([["the cat"]], ["the the the the"])["bleu1"] == pytest.approx(0.25)


def test_multiple_references_clip_by_max_and_pick_closest_length():
    # "the" may count twice (second reference); closest reference length is 3
    s = corpus_bleu([["the cat", "the the dog"]], ["the the cat"])
    assert s["bleu1"] == pytest.approx(1.0)
    # a tie between lengths 3 and 5 for c = 4 takes the shorter: r = 3 < c, no penalty
    s = corpus_bleu([["x y z", "a b c d e"]], ["a b c d"])
    assert s["bleu1"] == pytest.approx(1.0)


def test_statistics_are_pooled_over_the_corpus():
    # 3 + 0 unigram matches out of 3 + 1 words: p1 = 3/4 (the mean of the
    # sentence scores would be 0.5); bigrams: 2 of 2; c = r = 4
    s = corpus_bleu([["a b c"], ["x"]], ["a b c", "y"])
    assert s["bleu1"] == pytest.approx(3 / 4)
    assert s["bleu2"] == pytest.approx(math.sqrt(3 / 4 * 2 / 2))


def test_special_tokens_are_removed_and_edge_cases():
    assert strip_special(["<START>", "a", "<UNK>", "b", "<END>", "<NULL>"]) == ["a", "b"]
    s = corpus_bleu([["<START> a red square <END>"]], [["a", "red", "square", "<END>", "<NULL>"]])
    assert s["bleu3"] == pytest.approx(1.0)
    assert corpus_bleu([["a b"]], [""]) == {"bleu1": 0.0, "bleu2": 0.0, "bleu3": 0.0, "bleu4": 0.0}
    with pytest.raises(ValueError):
        corpus_bleu([["a"]], ["a", "b"])
