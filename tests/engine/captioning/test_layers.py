"""The explicit forward/backward layers: numerical gradients, autograd
agreement, reference implementations, no in-place changes, float32."""
from __future__ import annotations

import math

import pytest
import torch

from engine.captioning import layers as L
from engine.captioning.gradcheck import SEQUENCE_TOLERANCE, STEP_TOLERANCE, check_layers, numerical_gradient, rel_error

F64 = torch.float64
N, T, D, H, V = 3, 5, 4, 6, 9


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def rnd(g, *shape, dtype=F64, scale=1.0):
    return (torch.randn(*shape, generator=g, dtype=F64) * scale).to(dtype)


def rnn_inputs(g, dtype=F64, seq=True):
    x = rnd(g, N, T, D, dtype=dtype) if seq else rnd(g, N, D, dtype=dtype)
    return x, rnd(g, N, H, dtype=dtype), rnd(g, D, H, dtype=dtype, scale=0.5), rnd(g, H, H, dtype=dtype, scale=0.5), rnd(g,
                                                                                                                         H, dtype=dtype)  # noqa: E501


def lstm_inputs(g, dtype=F64, seq=True):
    x = rnd(g, N, T, D, dtype=dtype) if seq else rnd(g, N, D, dtype=dtype)
    return (x, rnd(g, N, H, dtype=dtype), rnd(g, D, 4 * H, dtype=dtype, scale=0.5),
            rnd(g, H, 4 * H, dtype=dtype, scale=0.5), rnd(g, 4 * H, dtype=dtype))


# ----------------------------------------------------------------- the checker itself
def test_numerical_gradient_is_exact_on_a_polynomial():
    x = torch.tensor([0.5, -1.25, 2.0], dtype=F64)
    num = numerical_gradient(lambda: x ** 3, x)
    assert torch.allclose(num, 3 * x ** 2, rtol=0, atol=1e-10)
    assert rel_error(num, 3 * x ** 2) < 1e-10
    assert rel_error(torch.ones(2), torch.full((2,), 1.1)) == pytest.approx(0.1 / 2.1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_layer_passes_the_numerical_check(seed):
    results = check_layers(seed=seed)
    assert {r.name.split(":")[0] for r in results} == {
        "rnn_step_forward", "rnn_forward", "word_embedding_forward", "temporal_affine_forward",
        "temporal_softmax_loss", "lstm_step_forward", "lstm_forward"}
    for r in results:
        expected = SEQUENCE_TOLERANCE if r.name.startswith(("rnn_forward", "lstm_forward")) else STEP_TOLERANCE
        assert r.tolerance == expected
        assert r.passed, (r.name, r.rel_error)
    assert len(results) == 5 + 5 + 1 + 3 + 1 + 6 + 5


def test_a_wrong_backward_fails_the_check(monkeypatch):
    right = L.lstm_step_backward

    def wrong(dh, dc, cache):
        dx, dh0, dc0, dWx, dWh, db = right(dh, dc, cache)
        return dx, dh0, dc0, dWx, dWh * 1.001, db

    monkeypatch.setattr(L, "lstm_step_backward", wrong)
    failed = [r.name for r in check_layers() if not r.passed]
    assert failed == ["lstm_step_forward: dWh"]


# ----------------------------------------------------------------- autograd agreement
def autograd_grads(out, dout, inputs):
    outs = out if isinstance(out, tuple) else (out,)
    douts = dout if isinstance(dout, tuple) else (dout,)
    total = sum((o * d).sum() for o, d in zip(outs, douts))
    return torch.autograd.grad(total, inputs)


def leafs(tensors):
    return [t.clone().requires_grad_(True) for t in tensors]


def assert_all_close(ours, theirs, tol=1e-10):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        assert torch.allclose(a, b, rtol=tol, atol=tol)


def test_rnn_step_matches_autograd():
    g = torch.Generator().manual_seed(1)
    ins = leafs(rnn_inputs(g, seq=False))
    h, cache = L.rnn_step_forward(*ins)
    dh = rnd(g, *h.shape)
    assert_all_close(L.rnn_step_backward(dh, cache), autograd_grads(h, dh, ins))


@pytest.mark.parametrize("cell, seed", [("rnn", 2), ("lstm", 4)])
def test_sequence_matches_autograd(cell, seed):
    g = torch.Generator().manual_seed(seed)
    ins = leafs(rnn_inputs(g) if cell == "rnn" else lstm_inputs(g))
    forward, backward = (L.rnn_forward, L.rnn_backward) if cell == "rnn" else (L.lstm_forward, L.lstm_backward)
    h, cache = forward(*ins)
    dh = rnd(g, *h.shape)
    assert_all_close(backward(dh, cache), autograd_grads(h, dh, ins))


def test_lstm_step_matches_autograd():
    g = torch.Generator().manual_seed(3)
    x, h0, Wx, Wh, b = lstm_inputs(g, seq=False)
    ins = leafs((x, h0, rnd(g, N, H), Wx, Wh, b))
    h, c, cache = L.lstm_step_forward(*ins)
    dh, dc = rnd(g, *h.shape), rnd(g, *c.shape)
    assert_all_close(L.lstm_step_backward(dh, dc, cache), autograd_grads((h, c), (dh, dc), ins))


def test_embedding_affine_and_loss_match_autograd():
    g = torch.Generator().manual_seed(5)
    ids = torch.randint(0, V, (N, T), generator=g)
    (W,) = leafs([rnd(g, V, D)])
    out, cache = L.word_embedding_forward(ids, W)
    dout = rnd(g, *out.shape)
    assert_all_close([L.word_embedding_backward(dout, cache)], autograd_grads(out, dout, [W]))

    ins = leafs([rnd(g, N, T, D), rnd(g, D, V), rnd(g, V)])
    out, cache = L.temporal_affine_forward(*ins)
    dout = rnd(g, *out.shape)
    assert_all_close(L.temporal_affine_backward(dout, cache), autograd_grads(out, dout, ins))

    (scores,) = leafs([rnd(g, N, T, V, scale=3.0)])
    mask = torch.rand(N, T, generator=g) > 0.4
    loss, dx = L.temporal_softmax_loss(scores, ids, mask)
    (auto,) = torch.autograd.grad(loss, [scores])
    assert torch.allclose(dx, auto, rtol=1e-12, atol=1e-12)


# ----------------------------------------------------------------- reference forwards
def test_rnn_forward_equals_torch_nn_rnn():
    g = torch.Generator().manual_seed(6)
    x, h0, Wx, Wh, b = rnn_inputs(g)
    ref = torch.nn.RNN(D, H, batch_first=True, nonlinearity="tanh").double()
    with torch.no_grad():
        ref.weight_ih_l0.copy_(Wx.T), ref.weight_hh_l0.copy_(Wh.T)
        ref.bias_ih_l0.copy_(b), ref.bias_hh_l0.zero_()
        expected, _ = ref(x, h0.unsqueeze(0))
    h, _ = L.rnn_forward(x, h0, Wx, Wh, b)
    assert torch.allclose(h, expected, atol=1e-12)


def test_lstm_forward_equals_torch_nn_lstm_with_gates_reordered():
    g = torch.Generator().manual_seed(7)
    x, h0, Wx, Wh, b = lstm_inputs(g)
    # ours: i, f, o, g ; torch: i, f, g, o
    order = torch.cat([torch.arange(0, 2 * H), torch.arange(3 * H, 4 * H), torch.arange(2 * H, 3 * H)])
    ref = torch.nn.LSTM(D, H, batch_first=True).double()
    with torch.no_grad():
        ref.weight_ih_l0.copy_(Wx.T[order]), ref.weight_hh_l0.copy_(Wh.T[order])
        ref.bias_ih_l0.copy_(b[order]), ref.bias_hh_l0.zero_()
        expected, (hT, cT) = ref(x, (h0.unsqueeze(0), torch.zeros(1, N, H, dtype=F64)))
    h, cache = L.lstm_forward(x, h0, Wx, Wh, b)
    assert torch.allclose(h, expected, atol=1e-12)
    trace = L.lstm_gate_trace(cache)
    assert torch.allclose(trace["c"][:, -1], cT[0], atol=1e-12)


def test_lstm_gate_trace_is_consistent():
    g = torch.Generator().manual_seed(8)
    h, cache = L.lstm_forward(*lstm_inputs(g))
    tr = L.lstm_gate_trace(cache)
    assert set(tr) == {"i", "f", "o", "g", "c", "h"}
    assert all(v.shape == (N, T, H) for v in tr.values())
    prev_c = torch.cat([torch.zeros(N, 1, H, dtype=F64), tr["c"][:, :-1]], dim=1)
    assert torch.allclose(tr["c"], tr["f"] * prev_c + tr["i"] * tr["g"])
    assert torch.allclose(tr["h"], tr["o"] * torch.tanh(tr["c"]))
    assert torch.equal(tr["h"], h)
    for name in "ifo":
        assert bool(((tr[name] > 0) & (tr[name] < 1)).all())


def test_lstm_step_gate_order_is_i_f_o_g():
    x, h, c = torch.zeros(1, 1, dtype=F64), torch.zeros(1, 1, dtype=F64), torch.full((1, 1), 2.0, dtype=F64)
    b = torch.tensor([10.0, -10.0, 0.0, 0.5], dtype=F64)  # i open, f shut, o half, g = tanh(0.5)
    Wx, Wh = torch.zeros(1, 4, dtype=F64), torch.zeros(1, 4, dtype=F64)
    nh, nc, _ = L.lstm_step_forward(x, h, c, Wx, Wh, b)
    sig = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    expect_c = sig(-10) * 2.0 + sig(10) * math.tanh(0.5)
    assert nc.item() == pytest.approx(expect_c, rel=1e-12)
    assert nh.item() == pytest.approx(0.5 * math.tanh(expect_c), rel=1e-12)


# ----------------------------------------------------------------- known values and details
def test_softmax_loss_known_values_and_stability():
    x = torch.zeros(2, 3, 4, dtype=F64)
    y = torch.zeros(2, 3, dtype=torch.long)
    mask = torch.tensor([[1, 1, 1], [1, 0, 0]], dtype=torch.bool)
    loss, dx = L.temporal_softmax_loss(x, y, mask)
    assert float(loss) == pytest.approx(4 * math.log(4) / 2)
    assert torch.all(dx[1, 1:] == 0)
    assert dx[0, 0, 0].item() == pytest.approx((0.25 - 1) / 2)
    big = torch.tensor([[[1e4, 0.0, -1e4]]], dtype=torch.float32)
    loss, dx = L.temporal_softmax_loss(big, torch.tensor([[1]]), torch.ones(1, 1))
    assert float(loss) == pytest.approx(1e4) and torch.isfinite(dx).all()


def test_embedding_accumulates_repeated_words():
    W = torch.arange(12, dtype=F64).reshape(4, 3)
    ids = torch.tensor([[1, 1], [3, 1]])
    out, cache = L.word_embedding_forward(ids, W)
    assert torch.equal(out[1, 0], W[3])
    dW = L.word_embedding_backward(torch.ones(2, 2, 3, dtype=F64), cache)
    assert dW[:, 0].tolist() == [0.0, 3.0, 0.0, 1.0]
    for bad in (ids.double(), ids.bool()):
        with pytest.raises(TypeError, match="^word ids must be an integer tensor$"):
            L.word_embedding_forward(bad, W)
    for narrow in (torch.uint8, torch.int32):   # a uint8 index would be a mask if not made long
        assert torch.equal(L.word_embedding_forward(ids.to(narrow), W)[0], out)


def test_word_ids_of_any_integer_type_and_a_0_1_mask_give_the_same_loss():
    g = torch.Generator().manual_seed(5)
    x, y = rnd(g, N, T, V), torch.randint(0, V, (N, T), generator=g)
    mask = torch.rand(N, T, generator=g) > 0.3
    loss, dx = L.temporal_softmax_loss(x, y, mask)
    for ids in (y.to(torch.uint8), y.to(torch.int32)):
        other_loss, other_dx = L.temporal_softmax_loss(x, ids, mask.to(torch.int64))
        assert torch.equal(other_loss, loss) and torch.equal(other_dx, dx)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_an_empty_sequence_gives_empty_hidden_states(cell):
    g = torch.Generator().manual_seed(6)
    if cell == "rnn":
        x, h0, Wx, Wh, b = rnn_inputs(g)
        h, _ = L.rnn_forward(x[:, :0], h0, Wx, Wh, b)
    else:
        x, h0, Wx, Wh, b = lstm_inputs(g)
        h, cache = L.lstm_forward(x[:, :0], h0, Wx, Wh, b)
        assert cache.c.shape == cache.i.shape == (N, 0, H)
    assert h.shape == (N, 0, H) and h.dtype == F64


def test_hidden_grads_are_totals_through_time():
    g = torch.Generator().manual_seed(9)
    h, cache = L.rnn_forward(*rnn_inputs(g))
    dh = torch.zeros_like(h)
    dh[:, -1] = 1.0
    *_, dtotal = L.rnn_backward(dh, cache, return_hidden_grads=True)
    assert torch.equal(dtotal[:, -1], dh[:, -1])
    assert torch.all(dtotal[:, :-1].abs().sum(dim=2) > 0)      # earlier steps receive gradient
    h, cache = L.lstm_forward(*lstm_inputs(g))
    *_, dtotal = L.lstm_backward(torch.ones_like(h), cache, return_hidden_grads=True)
    assert dtotal.shape == h.shape


def make_inputs(dtype, seed=10):
    """The inputs of every layer: RNN (5), LSTM (5), word ids, W_embed, W_vocab, b_vocab, mask."""
    g = torch.Generator().manual_seed(seed)
    r_in, l_in = rnn_inputs(g, dtype), lstm_inputs(g, dtype)
    ids = torch.randint(0, V, (N, T), generator=g)
    W, w, b = rnd(g, V, D, dtype=dtype), rnd(g, H, V, dtype=dtype), rnd(g, V, dtype=dtype)
    mask = torch.rand(N, T, generator=g) > 0.3
    return [*r_in, *l_in, ids, W, w, b, mask]


def run_all(dtype, seed=10, inputs=None, upstream=None):
    """Forward and backward of every layer; returns (inputs, outputs).  ``upstream`` (a list)
    receives (gradient passed to a backward, its copy taken before the call)."""
    inputs = make_inputs(dtype, seed) if inputs is None else inputs
    r_in, l_in, (ids, W, w, b, mask) = inputs[:5], inputs[5:10], inputs[10:]
    upstream = [] if upstream is None else upstream

    def ones(like):
        grad = torch.ones_like(like)
        upstream.append((grad, grad.clone()))
        return grad

    outs = []
    h, c = L.rnn_forward(*r_in)
    outs += [h, *L.rnn_backward(ones(h), c)]
    x0, h0, *_ = r_in
    hs, c = L.rnn_step_forward(x0[:, 0], h0, *r_in[2:])
    outs += [hs, *L.rnn_step_backward(ones(hs), c)]
    hl, c = L.lstm_forward(*l_in)
    outs += [hl, *L.lstm_backward(ones(hl), c)]
    hs, cs, c = L.lstm_step_forward(l_in[0][:, 0], l_in[1], l_in[1], *l_in[2:])
    outs += [hs, cs, *L.lstm_step_backward(ones(hs), ones(cs), c)]
    e, c = L.word_embedding_forward(ids, W)
    outs += [e, L.word_embedding_backward(ones(e), c)]
    s, c = L.temporal_affine_forward(hl, w, b)
    outs += [s, *L.temporal_affine_backward(ones(s), c)]
    outs += list(L.temporal_softmax_loss(s, ids, mask))
    return inputs, outs


def test_inputs_are_never_modified():
    """Every layer's forward and backward leaves its inputs and upstream gradients as they were
    (compared with copies taken before the calls)."""
    inputs = make_inputs(F64)
    before = [t.clone() for t in inputs]
    upstream: list[tuple[torch.Tensor, torch.Tensor]] = []
    run_all(F64, inputs=inputs, upstream=upstream)
    assert len(upstream) == 7
    for i, (a, b) in enumerate(zip(inputs, before)):
        assert torch.equal(a, b), f"input {i} was modified"
    for i, (grad, copy) in enumerate(upstream):
        assert torch.equal(grad, copy), f"upstream gradient {i} was modified"


def test_float32_runs_and_agrees_with_float64():
    _, outs32 = run_all(torch.float32)
    _, outs64 = run_all(F64)
    for a, b in zip(outs32, outs64):
        if a.dtype.is_floating_point:
            assert a.dtype == torch.float32
        assert torch.allclose(a.double(), b.to(F64), rtol=1e-4, atol=1e-4)
