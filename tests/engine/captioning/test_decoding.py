"""Decoders: greedy, temperature sampling, beam search, decode_captions."""
from __future__ import annotations

import itertools
import math

import pytest
import torch

from engine.captioning.decoding import beam_search, decode_captions, greedy_decode, temperature_sample
from engine.captioning.model import CaptioningRNN

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "dog", "on", "mat", "red"]
W2I = {w: i for i, w in enumerate(WORDS)}
V = len(WORDS)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def peaky_model(cell="lstm", seed=0, scale=6.0):
    """A random model whose word distributions are far from uniform."""
    m = CaptioningRNN(W2I, input_dim=5, wordvec_dim=4, hidden_dim=8, cell_type=cell, dtype=torch.float64, seed=seed)
    p = dict(m.params)
    p["W_vocab"] = p["W_vocab"] * scale
    p["W_embed"] = p["W_embed"] * 100
    m.load_params(p)
    return m


def features(n=4, seed=0):
    return torch.randn(n, 5, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def seq_logprob(model, feats, seq):
    """log p(seq | image) by teacher forcing through model.step."""
    state = model.initial_state(feats)
    word = torch.full((feats.shape[0],), model.start_idx)
    total = torch.zeros(feats.shape[0], dtype=torch.float64)
    for w in seq:
        scores, state = model.step(word, state)
        total += torch.log_softmax(scores, dim=1)[:, w]
        word = torch.full((feats.shape[0],), w)
    return total


def test_decode_captions():
    ids = torch.tensor([[1, 4, 5, 3, 2, 6, 0], [4, 0, 6, 2, 0, 0, 0]])
    assert decode_captions(ids, WORDS) == ["a cat", "a dog"]
    assert decode_captions(ids[0], WORDS) == "a cat"
    assert decode_captions(ids[0], WORDS, keep_unk=True) == "a cat <UNK>"


def test_greedy_matches_model_sample_and_reports_top_k():
    m = peaky_model()
    f = features()
    res = greedy_decode(m, f, max_length=7, top_k=3)
    assert torch.equal(res.ids, m.sample(f, max_length=7))
    assert res.captions == decode_captions(res.ids, WORDS)
    for n, row in enumerate(res.ids.tolist()):
        length = row.index(2) + 1 if 2 in row else 7
        assert len(res.top_k[n]) == length
        for t, top in enumerate(res.top_k[n]):
            probs = [p for _, p in top]
            assert len(top) == 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 1 + 1e-9
            assert top[0][0] == WORDS[row[t]]                      # greedy takes the top word


def test_temperature_sampling_is_seeded_and_low_temperature_is_greedy():
    m = peaky_model(scale=1.0)
    f = features(8)
    a = temperature_sample(m, f, temperature=1.0, seed=3, max_length=6)
    b = temperature_sample(m, f, temperature=1.0, seed=3, max_length=6)
    c = temperature_sample(m, f, temperature=1.0, seed=4, max_length=6)
    assert torch.equal(a.ids, b.ids) and not torch.equal(a.ids, c.ids)
    cold = temperature_sample(m, f, temperature=1e-4, seed=0, max_length=6)
    assert torch.equal(cold.ids, greedy_decode(m, f, max_length=6).ids)
    hot = temperature_sample(m, f, temperature=1e4, seed=0, max_length=6, top_k=V)
    first = [p for _, p in hot.top_k[0][0]]
    assert max(first) - min(first) < 1e-3 and sum(first) == pytest.approx(1.0)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            temperature_sample(m, f, temperature=bad)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_beam_width_one_is_greedy(cell):
    m = peaky_model(cell, seed=2)
    f = features(6, seed=1)
    assert torch.equal(beam_search(m, f, beam_width=1, max_length=8).ids, greedy_decode(m, f, max_length=8).ids)


def test_wide_beam_finds_the_exhaustive_best():
    """With a beam wider than every candidate list, beam search is exhaustive
    search over captions of at most 3 tokens; compare with brute force."""
    m = peaky_model("rnn", seed=5, scale=2.0)
    f = features(2, seed=3)
    res = beam_search(m, f, beam_width=1000, max_length=3)
    others = [w for w in range(V) if w != m.end_idx]
    candidates = [(m.end_idx,)] + [(w, m.end_idx) for w in others] + \
        [(a, b, m.end_idx) for a, b in itertools.product(others, others)] + list(itertools.product(others, repeat=3))
    best = [(-math.inf, None)] * 2
    for seq in candidates:
        lp = seq_logprob(m, f, seq) / len(seq)
        best = [max(best[n], (float(lp[n]), seq)) for n in range(2)]
    for n in range(2):
        assert res.scores[n] == pytest.approx(best[n][0], rel=1e-9)
        row = res.ids[n].tolist()
        assert tuple(row[: len(best[n][1])]) == best[n][1]


def test_beam_search_records_kept_finished_and_dropped():
    m = peaky_model(seed=6, scale=2.0)
    f = features(3, seed=4)
    k = 3
    res = beam_search(m, f, beam_width=k, max_length=10, top_k=4)
    assert len(res.beams) == 3
    for n in range(3):
        steps = res.beams[n]
        assert steps[0].step == 0 and len(steps[0].kept) + len(steps[0].finished) >= 1
        for st in steps:
            assert len(st.kept) <= k and len(st.finished) <= k
            lps = [b.log_prob for b in st.kept]
            assert lps == sorted(lps, reverse=True)
            for b in st.dropped:
                if b.ids[-1] != m.end_idx:                      # live candidates beyond the k kept
                    assert len(st.kept) == k and b.log_prob <= lps[-1]
            for b in st.kept + st.finished + st.dropped:
                assert b.score == pytest.approx(b.log_prob / len(b.ids))
                assert len(b.ids) == st.step + 1
        row = res.ids[n].tolist()
        length = row.index(m.end_idx) + 1 if m.end_idx in row else 10
        assert len(res.top_k[n]) == length and all(len(t) == 4 for t in res.top_k[n])
        # the reported score is the true length-normalised log-probability
        lp = seq_logprob(m, f[n:n + 1], row[:length])[0] / length
        assert res.scores[n] == pytest.approx(float(lp), rel=1e-9)
        assert res.words[n] == decode_captions(res.ids[n], WORDS).split()


def test_beam_is_at_least_as_good_as_greedy_on_average():
    m = peaky_model(seed=8, scale=2.0)
    f = features(12, seed=5)
    g = greedy_decode(m, f, max_length=8)
    b = beam_search(m, f, beam_width=5, max_length=8)

    def norm_lp(ids):
        out = []
        for n, row in enumerate(ids.tolist()):
            length = row.index(2) + 1 if 2 in row else len(row)
            out.append(float(seq_logprob(m, f[n:n + 1], row[:length])[0]) / length)
        return out

    assert sum(norm_lp(b.ids)) >= sum(norm_lp(g.ids)) - 1e-9
    with pytest.raises(ValueError):
        beam_search(m, f, beam_width=0)
