"""Looking inside: per-step LSTM gates over a caption, and the gradient of the
last word's loss reaching back in time (checked against autograd of an
independent unrolled forward)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.captioning import CaptioningRNN
from engine.captioning.internals import caption_internals, gradient_through_time

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "circle", "square", "left"]
VOCAB = {w: i for i, w in enumerate(WORDS)}


def make(cell, seed=0, dtype=torch.float64):
    return CaptioningRNN(VOCAB, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type=cell, dtype=dtype, seed=seed)


def test_lstm_internals_follow_the_cell_equations():
    model = make("lstm")
    feats = torch.randn(5, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ids = [VOCAB["a"], VOCAB["red"], VOCAB["circle"], VOCAB["<END>"], VOCAB["<NULL>"], VOCAB["a"]]
    out = caption_internals(model, feats, ids)
    assert out["inputs"] == ["<START>", "a", "red", "circle"]
    assert out["outputs"] == ["a", "red", "circle", "<END>"]
    for name in ("i", "f", "o", "g", "c", "h"):
        assert out[name].shape == (4, 6) and out[name].dtype == np.float32
    for name in ("i", "f", "o"):
        assert out[name].min() > 0 and out[name].max() < 1
    # c_t = f_t c_{t-1} + i_t g_t and h_t = o_t tanh(c_t), with c_{-1} = 0
    c_prev = np.zeros(6)
    for t in range(4):
        c = out["f"][t] * c_prev + out["i"][t] * out["g"][t]
        np.testing.assert_allclose(out["c"][t], c, atol=1e-6)
        np.testing.assert_allclose(out["h"][t], out["o"][t] * np.tanh(c), atol=1e-6)
        c_prev = c
    # the hidden states are the ones the decoder sees step by step
    state = model.initial_state(feats[None])
    for t, w in enumerate([VOCAB["<START>"]] + ids[:3]):
        _, state = model.step(torch.tensor([w]), state)
        np.testing.assert_allclose(out["h"][t], state[0][0].numpy(), atol=1e-6)


def test_rnn_internals_have_only_the_hidden_state_and_bad_input_is_refused():
    model = make("rnn")
    out = caption_internals(model, torch.zeros(1, 5, dtype=torch.float64), torch.tensor([VOCAB["blue"], VOCAB["<END>"]]))
    assert set(out) == {"inputs", "outputs", "h"} and out["h"].shape == (2, 6)
    with pytest.raises(ValueError, match="empty"):
        caption_internals(model, torch.zeros(5), [VOCAB["<NULL>"]])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        caption_internals(model, torch.zeros(5), [99])
    with pytest.raises(ValueError, match="one image"):
        caption_internals(model, torch.zeros(2, 5), [4])


def _autograd_reference(model, feats, caps):
    """||dL_last/dh_t|| per caption by autograd through a plainly written unrolled cell."""
    p = {k: v.detach().clone().requires_grad_() for k, v in model.params.items()}
    result = []
    for n in range(caps.shape[0]):
        row = caps[n]
        length = int((row[1:] != model.null_idx).sum())
        h = feats[n:n + 1] @ p["W_proj"] + p["b_proj"]
        c = torch.zeros_like(h)
        hs = []
        for t in range(length):
            x = p["W_embed"][row[t]][None]
            a = x @ p["Wx"] + h @ p["Wh"] + p["b"]
            if model.cell_type == "rnn":
                h = torch.tanh(a)
            else:
                H = h.shape[1]
                i, f, o = (torch.sigmoid(a[:, k * H:(k + 1) * H]) for k in range(3))
                c = f * c + i * torch.tanh(a[:, 3 * H:])
                h = o * torch.tanh(c)
            h.retain_grad()
            hs.append(h)
        scores = h @ p["W_vocab"] + p["b_vocab"]
        loss = -torch.log_softmax(scores, dim=1)[0, row[length]]
        loss.backward()
        result.append([float(hs[length - 1 - k].grad.norm()) for k in range(length)])
    return result


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_gradient_through_time_matches_autograd(cell):
    model = make(cell, seed=3)
    g = torch.Generator().manual_seed(4)
    feats = torch.randn(3, 5, generator=g, dtype=torch.float64)
    caps = torch.randint(4, len(WORDS), (3, 7), generator=g)
    caps[:, 0] = VOCAB["<START>"]
    caps[0, 5], caps[0, 6] = VOCAB["<END>"], VOCAB["<NULL>"]        # 4 words + <END>
    caps[1, 3], caps[1, 4:] = VOCAB["<END>"], VOCAB["<NULL>"]       # 2 words + <END>
    caps[2, 6] = VOCAB["<END>"]                                     # 5 words + <END>
    got = gradient_through_time(model, feats, caps)
    ref = _autograd_reference(model, feats, caps)
    assert got.shape == (6,)
    for k in range(6):
        vals = [r[k] for r in ref if len(r) > k]
        assert got[k] == pytest.approx(np.mean(vals), rel=1e-9)


def test_vanilla_rnn_gradient_vanishes_with_small_recurrent_weights():
    model = make("rnn", seed=0)
    model.params["Wh"] = model.params["Wh"] * 0.3
    caps = torch.full((2, 12), VOCAB["a"])
    caps[:, 0], caps[:, -1] = VOCAB["<START>"], VOCAB["<END>"]
    g = gradient_through_time(model, torch.randn(2, 5, dtype=torch.float64), caps)
    assert g.shape == (11,)
    assert np.all(np.diff(g[1:]) < 0) and g[10] < 1e-3 * g[1]
