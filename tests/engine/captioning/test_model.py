"""CaptioningRNN: parameters, loss and gradients (numerical and autograd
references), hidden-gradient norms, greedy sampling."""
from __future__ import annotations

import math

import pytest
import torch

from engine.captioning.gradcheck import check_model
from engine.captioning.model import CaptioningRNN

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "dog", "on", "mat", "red", "big"]
W2I = {w: i for i, w in enumerate(WORDS)}
V = len(WORDS)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def batch(seed=0, N=4, T=7, D=5):
    g = torch.Generator().manual_seed(seed)
    features = torch.randn(N, D, generator=g, dtype=torch.float64)
    captions = torch.randint(4, V, (N, T), generator=g)
    captions[:, 0] = W2I["<START>"]
    captions[0, 3] = W2I["<END>"]
    captions[0, 4:] = W2I["<NULL>"]
    captions[1, -1] = W2I["<END>"]
    return features, captions


@pytest.mark.parametrize("cell, G", [("rnn", 1), ("lstm", 4)])
def test_parameter_names_and_shapes(cell, G):
    m = CaptioningRNN(W2I, input_dim=7, wordvec_dim=3, hidden_dim=5, cell_type=cell, seed=0)
    shapes = {k: tuple(v.shape) for k, v in m.params.items()}
    assert shapes == {"W_proj": (7, 5), "b_proj": (5,), "W_embed": (V, 3), "Wx": (3, 5 * G), "Wh": (5, 5 * G),
                      "b": (5 * G,), "W_vocab": (5, V), "b_vocab": (V,)}
    assert all(v.dtype == torch.float32 for v in m.params.values())
    assert (m.null_idx, m.start_idx, m.end_idx, m.unk_idx) == (0, 1, 2, 3)
    same = CaptioningRNN(W2I, input_dim=7, wordvec_dim=3, hidden_dim=5, cell_type=cell, seed=0)
    assert all(torch.equal(v, same.params[k]) for k, v in m.params.items())


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="cell_type"):
        CaptioningRNN(W2I, cell_type="gru")
    with pytest.raises(ValueError, match="<END>"):
        CaptioningRNN({"<NULL>": 0, "<START>": 1, "a": 2})
    with pytest.raises(ValueError, match="features"):
        CaptioningRNN(W2I, input_dim=5).loss(torch.zeros(2, 4), torch.ones(2, 3, dtype=torch.long))
    m = CaptioningRNN(W2I, input_dim=4)
    with pytest.raises(ValueError, match="word ids"):
        m.loss(torch.zeros(2, 4), torch.full((2, 3), V))
    with pytest.raises(ValueError, match="captions must be"):
        m.loss(torch.zeros(2, 4), torch.ones(3, 3, dtype=torch.long))


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_whole_model_gradient_check(cell):
    results = check_model(cell, seed=3)
    assert len(results) == 8
    for r in results:
        assert r.passed, (r.name, r.rel_error)
        assert r.rel_error < 1e-6


def test_zero_weights_give_uniform_loss():
    m = CaptioningRNN(W2I, input_dim=5, wordvec_dim=4, hidden_dim=6, dtype=torch.float64, seed=0)
    m.load_params({k: torch.zeros_like(v) for k, v in m.params.items()})
    features, captions = batch()
    loss, grads = m.loss(features, captions)
    scored = int((captions[:, 1:] != 0).sum())
    assert loss == pytest.approx(scored * math.log(V) / captions.shape[0], rel=1e-12)
    assert set(grads) == set(m.params)


def reference_loss(params, features, captions, cell, null=0, input_words=None):
    """The same network written with plain torch ops, differentiated by autograd."""
    p = params
    h = features @ p["W_proj"] + p["b_proj"]
    c = torch.zeros_like(h)
    x = p["W_embed"][captions[:, :-1] if input_words is None else input_words]
    H = h.shape[1]
    total = 0.0
    for t in range(x.shape[1]):
        a = x[:, t] @ p["Wx"] + h @ p["Wh"] + p["b"]
        if cell == "rnn":
            h = torch.tanh(a)
        else:
            i, f, o = torch.sigmoid(a[:, :H]), torch.sigmoid(a[:, H:2 * H]), torch.sigmoid(a[:, 2 * H:3 * H])
            c = f * c + i * torch.tanh(a[:, 3 * H:])
            h = o * torch.tanh(c)
        logp = torch.log_softmax(h @ p["W_vocab"] + p["b_vocab"], dim=1)
        y = captions[:, t + 1]
        total = total - (logp.gather(1, y[:, None])[:, 0] * (y != null)).sum()
    return total / features.shape[0]


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_loss_and_grads_match_an_autograd_reference(cell):
    m = CaptioningRNN(W2I, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type=cell, dtype=torch.float64, seed=1)
    features, captions = batch(seed=2)
    loss, grads = m.loss(features, captions)
    leaf = {k: v.clone().requires_grad_(True) for k, v in m.params.items()}
    ref = reference_loss(leaf, features, captions, cell)
    auto = torch.autograd.grad(ref, list(leaf.values()))
    assert loss == pytest.approx(ref.detach().item(), rel=1e-12)
    for (name, _), a in zip(leaf.items(), auto):
        assert torch.allclose(grads[name], a, rtol=1e-9, atol=1e-12), name


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_input_words_replace_what_the_rnn_reads_not_the_targets(cell):
    """Word dropout's hook: the RNN reads ``input_words``, the loss still
    scores the true next words; gradients match autograd in float64."""
    m = CaptioningRNN(W2I, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type=cell, dtype=torch.float64, seed=1)
    features, captions = batch(seed=2)
    same, _ = m.loss(features, captions, input_words=captions[:, :-1])
    assert same == m.loss(features, captions)[0]
    words = captions[:, :-1].clone()
    words[:, 2:4] = W2I["<UNK>"]
    loss, grads = m.loss(features, captions, input_words=words)
    assert loss != pytest.approx(same)
    leaf = {k: v.clone().requires_grad_(True) for k, v in m.params.items()}
    ref = reference_loss(leaf, features, captions, cell, input_words=words)
    auto = torch.autograd.grad(ref, list(leaf.values()))
    assert loss == pytest.approx(ref.detach().item(), rel=1e-12)
    for (name, _), a in zip(leaf.items(), auto):
        assert torch.allclose(grads[name], a, rtol=1e-9, atol=1e-12), name
    assert grads["W_embed"][W2I["<UNK>"]].abs().sum() > 0   # the <UNK> row now learns
    with pytest.raises(ValueError, match="input_words must be"):
        m.loss(features, captions, input_words=words[:, 1:])
    with pytest.raises(ValueError, match="input word ids"):
        m.loss(features, captions, input_words=words + V)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_hidden_grad_norms_and_float32(cell):
    m = CaptioningRNN(W2I, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type=cell, seed=4)
    features, captions = batch(seed=5)
    assert m.last_hidden_grad_norms is None
    loss, grads = m.loss(features.float(), captions)
    norms = m.last_hidden_grad_norms
    assert norms.shape == (captions.shape[1] - 1,)
    assert bool((norms > 0).all()) and bool(torch.isfinite(norms).all())
    assert math.isfinite(loss) and all(g.dtype == torch.float32 for g in grads.values())
    m64 = CaptioningRNN(W2I, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type=cell, dtype=torch.float64, seed=4)
    loss64, _ = m64.loss(features, captions)
    assert loss == pytest.approx(loss64, rel=1e-5)
    assert torch.allclose(norms.double(), m64.last_hidden_grad_norms, rtol=1e-4)


def test_inputs_are_not_modified_by_loss():
    m = CaptioningRNN(W2I, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type="lstm", dtype=torch.float64, seed=0)
    features, captions = batch()
    f0, c0 = features.clone(), captions.clone()
    p0 = {k: v.clone() for k, v in m.params.items()}
    m.loss(features, captions)
    assert torch.equal(features, f0) and torch.equal(captions, c0)
    assert all(torch.equal(v, p0[k]) for k, v in m.params.items())


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_sample_stops_at_end_and_pads_with_null(cell):
    m = CaptioningRNN(W2I, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type=cell, seed=0)
    features = torch.randn(3, 5)
    p = dict(m.params)
    p["W_vocab"] = torch.zeros_like(p["W_vocab"])
    p["b_vocab"] = torch.zeros(V)
    p["b_vocab"][W2I["cat"]] = 5.0
    m.load_params(p)
    out = m.sample(features, max_length=6)
    assert out.shape == (3, 6) and out.dtype == torch.long
    assert bool((out == W2I["cat"]).all())                       # never ends: fills max_length
    p["b_vocab"][W2I["<END>"]] = 9.0
    m.load_params(p)
    out = m.sample(features, max_length=6)
    assert out[:, 0].tolist() == [W2I["<END>"]] * 3 and bool((out[:, 1:] == 0).all())


def test_random_model_samples_have_nothing_after_end():
    m = CaptioningRNN(W2I, input_dim=5, wordvec_dim=4, hidden_dim=6, cell_type="rnn", seed=7)
    p = dict(m.params)
    p["W_vocab"] = p["W_vocab"] * 20                                   # peaky, varied predictions
    m.load_params(p)
    out = m.sample(torch.randn(40, 5, generator=torch.Generator().manual_seed(0)), max_length=8)
    ended = 0
    for row in out.tolist():
        if W2I["<END>"] in row:
            ended += 1
            k = row.index(W2I["<END>"])
            assert all(w == 0 for w in row[k + 1:])
    assert ended > 0
