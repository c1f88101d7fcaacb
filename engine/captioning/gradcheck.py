"""Numerical gradient checks of every captioning layer (and the whole model).

Each analytic gradient from :mod:`engine.captioning.layers` is compared with a
central-difference estimate ``(f(x + h e_i) - f(x - h e_i)) / 2h`` of the
scalar ``f = sum(forward(...) * dout)`` for a random upstream ``dout``, in
float64 on tiny random inputs.  The comparison is the classic relative error
``max_i |a_i - n_i| / max(1e-8, |a_i| + |n_i|)``.

:func:`check_layers` returns one :class:`GradCheckResult` per gradient; the
CLI (``caption gradcheck``) and the GUI print / show them.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import torch

from . import attention as A
from . import layers as L

__all__ = ["GradCheckResult", "numerical_gradient", "rel_error", "check_layers", "check_attention_layers",
           "check_model",
           "STEP_TOLERANCE", "SEQUENCE_TOLERANCE", "MODEL_TOLERANCE"]

STEP_TOLERANCE = 1e-7
SEQUENCE_TOLERANCE = 1e-5
MODEL_TOLERANCE = 1e-5


@dataclass(frozen=True)
class GradCheckResult:
    """One checked gradient: ``name`` (e.g. ``'lstm_forward: dWx'``), the
    relative error, the tolerance it is held to and whether it passed."""

    name: str
    rel_error: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.rel_error < self.tolerance

    def as_dict(self) -> dict:
        return {**asdict(self), "passed": self.passed}


def rel_error(a: torch.Tensor, b: torch.Tensor) -> float:
    """``max |a - b| / max(1e-8, |a| + |b|)`` elementwise, as a float."""
    a = a.detach().to(torch.float64)
    b = b.detach().to(torch.float64)
    if a.numel() == 0:
        return 0.0
    return float(((a - b).abs() / (a.abs() + b.abs()).clamp_min(1e-8)).max())


@torch.no_grad()
def numerical_gradient(f: Callable[[], torch.Tensor | Sequence[torch.Tensor]], x: torch.Tensor,
                       dout: torch.Tensor | Sequence[torch.Tensor] | None = None, h: float = 1e-3) -> torch.Tensor:
    """Numerical gradient of ``sum_j <f()[j], dout[j]>`` w.r.t. ``x``.

    ``f()`` returns a tensor (or a tuple of tensors) computed from ``x``;
    ``dout`` is the upstream gradient (ones when omitted).  Each element of
    ``x`` is perturbed in place and restored exactly; the five-point stencil
    ``(-f(x+2h) + 8 f(x+h) - 8 f(x-h) + f(x-2h)) / 12h`` (error O(h^4)) is
    applied to the outputs elementwise *before* they are weighted and summed,
    which keeps the rounding error far below the tolerances.
    """
    def outputs() -> list[torch.Tensor]:
        out = f()
        return [out] if isinstance(out, torch.Tensor) else list(out)

    douts = None if dout is None else ([dout] if isinstance(dout, torch.Tensor) else list(dout))
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for k in range(flat.numel()):
        old = flat[k].item()
        evals = []
        for step in (2, 1, -1, -2):
            flat[k] = old + step * h
            evals.append(outputs())
        flat[k] = old
        total = 0.0
        for j, (p2, p1, m1, m2) in enumerate(zip(*evals)):
            diff = (8 * (p1 - m1) - (p2 - m2)) / (12 * h)
            total += float((diff * douts[j]).sum()) if douts is not None else float(diff.sum())
        gflat[k] = total
    return grad


def _check(name: str, forward: Callable, inputs: Sequence[torch.Tensor], names: Sequence[str],
           analytic: Sequence[torch.Tensor], dout: Sequence[torch.Tensor], tol: float) -> list[GradCheckResult]:
    """Compare ``analytic[k]`` with the numerical gradient of
    ``sum_j <forward(*inputs)[j], dout[j]>`` w.r.t. ``inputs[k]``."""
    work = [t.clone() for t in inputs]
    results = []
    for k in range(len(inputs)):
        num = numerical_gradient(lambda: forward(*work), work[k], dout)
        results.append(GradCheckResult(f"{name}: {names[k]}", rel_error(analytic[k], num), tol))
    return results


N, T, D, H, V, M = 3, 4, 5, 6, 7, 8  # the sizes of :func:`check_layers`' random inputs


def check_layers(*, seed: int = 0, device: torch.device | str | None = None,
                 dtype: torch.dtype = torch.float64) -> list[GradCheckResult]:
    """Check every layer's backward pass; returns one result per gradient."""
    g = torch.Generator().manual_seed(seed)
    dev = torch.device(device) if device is not None else torch.device("cpu")

    def rnd(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=dtype) * scale).to(dev)

    # the inputs are drawn in this order: the checks' random numbers do not depend on the split
    return _check_rnn(rnd) + _check_word_layers(rnd, g, dev, dtype) + _check_lstm(rnd)


def _check_rnn(rnd) -> list[GradCheckResult]:
    x, h, Wx, Wh, b = rnd(N, D), rnd(N, H), rnd(D, H, scale=0.5), rnd(H, H, scale=0.5), rnd(H)
    nh, cache = L.rnn_step_forward(x, h, Wx, Wh, b)
    dnh = rnd(*nh.shape)
    out = _check("rnn_step_forward", lambda *a: (L.rnn_step_forward(*a)[0],), (x, h, Wx, Wh, b),
                 ("dx", "dprev_h", "dWx", "dWh", "db"), L.rnn_step_backward(dnh, cache), (dnh,), STEP_TOLERANCE)
    x, h0 = rnd(N, T, D), rnd(N, H)
    hs, cache = L.rnn_forward(x, h0, Wx, Wh, b)
    dh = rnd(*hs.shape)
    return out + _check("rnn_forward", lambda *a: (L.rnn_forward(*a)[0],), (x, h0, Wx, Wh, b),
                        ("dx", "dh0", "dWx", "dWh", "db"), L.rnn_backward(dh, cache), (dh,), SEQUENCE_TOLERANCE)


def _check_word_layers(rnd, g: torch.Generator, dev: torch.device, dtype: torch.dtype) -> list[GradCheckResult]:
    """The word embedding (only W has a gradient), the temporal affine layer and the softmax loss."""
    ids = torch.randint(0, V, (N, T), generator=g).to(dev)
    W = rnd(V, D)
    emb, cache = L.word_embedding_forward(ids, W)
    dout = rnd(*emb.shape)
    out = _check("word_embedding_forward", lambda W_: (L.word_embedding_forward(ids, W_)[0],), (W,),
                 ("dW",), (L.word_embedding_backward(dout, cache),), (dout,), STEP_TOLERANCE)
    x, w, bb = rnd(N, T, D), rnd(D, M), rnd(M)
    aff, cache = L.temporal_affine_forward(x, w, bb)
    dout = rnd(*aff.shape)
    out += _check("temporal_affine_forward", lambda *a: (L.temporal_affine_forward(*a)[0],), (x, w, bb),
                  ("dx", "dw", "db"), L.temporal_affine_backward(dout, cache), (dout,), STEP_TOLERANCE)
    # temporal softmax loss (scalar output, upstream 1)
    scores = rnd(N, T, V)
    y = torch.randint(0, V, (N, T), generator=g).to(dev)
    mask = (torch.rand(N, T, generator=g) > 0.3).to(dev)
    _, dx = L.temporal_softmax_loss(scores, y, mask)
    one = torch.ones((), dtype=dtype, device=dev)
    return out + _check("temporal_softmax_loss", lambda s: (L.temporal_softmax_loss(s, y, mask)[0],), (scores,),
                        ("dx",), (dx,), (one,), STEP_TOLERANCE)


def _check_lstm(rnd) -> list[GradCheckResult]:
    x, h, c = rnd(N, D), rnd(N, H), rnd(N, H)
    Wx4, Wh4, b4 = rnd(D, 4 * H, scale=0.5), rnd(H, 4 * H, scale=0.5), rnd(4 * H)
    nh, nc, cache = L.lstm_step_forward(x, h, c, Wx4, Wh4, b4)
    dnh, dnc = rnd(*nh.shape), rnd(*nc.shape)
    out = _check("lstm_step_forward", lambda *a: L.lstm_step_forward(*a)[:2], (x, h, c, Wx4, Wh4, b4),
                 ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db"),
                 L.lstm_step_backward(dnh, dnc, cache), (dnh, dnc), STEP_TOLERANCE)
    x, h0 = rnd(N, T, D), rnd(N, H)
    hs, cache = L.lstm_forward(x, h0, Wx4, Wh4, b4)
    dh = rnd(*hs.shape)
    return out + _check("lstm_forward", lambda *a: (L.lstm_forward(*a)[0],), (x, h0, Wx4, Wh4, b4),
                        ("dx", "dh0", "dWx", "dWh", "db"), L.lstm_backward(dh, cache), (dh,), SEQUENCE_TOLERANCE)


def check_attention_layers(*, seed: int = 0, device: torch.device | str | None = None,
                           dtype: torch.dtype = torch.float64) -> list[GradCheckResult]:
    """Check every backward pass of :mod:`engine.captioning.attention` (the
    annotation vectors and ``h0``, soft attention with and without an upstream
    gradient of the weights, the attention-LSTM step and sequence)."""
    g = torch.Generator().manual_seed(seed + 100)
    dev = torch.device(device) if device is not None else torch.device("cpu")

    def rnd(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=dtype) * scale).to(dev)

    N, T, Lc, C, D, H = 3, 4, 5, 4, 5, 6
    out: list[GradCheckResult] = []

    # inputs of scale 0.5 keep the softmax smooth, so the stencil's O(h^4) error stays far below the tolerances
    feats, W_proj, b_proj, W_pos = rnd(N, Lc, C, scale=0.5), rnd(C, H, scale=0.5), rnd(H, scale=0.5), rnd(Lc, H, scale=0.5)
    P, h0, cache = A.attention_init_forward(feats, W_proj, b_proj, W_pos)
    dP, dh0 = rnd(*P.shape), rnd(*h0.shape)
    out += _check("attention_init_forward", lambda *a: A.attention_init_forward(*a)[:2],
                  (feats, W_proj, b_proj, W_pos), ("dA", "dW_proj", "db_proj", "dW_pos"),
                  A.attention_init_backward(dP, dh0, cache), (dP, dh0), STEP_TOLERANCE)

    h, W_att = rnd(N, H, scale=0.5), rnd(H, H, scale=0.5)
    z, alpha, cache = A.attention_forward(h, P, W_att)
    dz, dalpha = rnd(*z.shape), rnd(*alpha.shape)
    out += _check("attention_forward", lambda *a: A.attention_forward(*a)[:2], (h, P, W_att),
                  ("dprev_h", "dP", "dW_att"), A.attention_backward(dz, cache, dalpha), (dz, dalpha),
                  STEP_TOLERANCE)

    x, c = rnd(N, D), rnd(N, H)
    Wx, Wh, Wz, b = rnd(D, 4 * H, scale=0.5), rnd(H, 4 * H, scale=0.5), rnd(H, 4 * H, scale=0.5), rnd(4 * H)
    nh, nc, _, cache = A.attention_lstm_step_forward(x, h, c, P, Wx, Wh, Wz, W_att, b)
    dnh, dnc = rnd(*nh.shape), rnd(*nc.shape)
    out += _check("attention_lstm_step_forward", lambda *a: A.attention_lstm_step_forward(*a)[:2],
                  (x, h, c, P, Wx, Wh, Wz, W_att, b),
                  ("dx", "dprev_h", "dprev_c", "dP", "dWx", "dWh", "dWz", "dW_att", "db"),
                  A.attention_lstm_step_backward(dnh, dnc, cache), (dnh, dnc), STEP_TOLERANCE)

    x = rnd(N, T, D)
    hs, cache = A.attention_lstm_forward(x, h0, P, Wx, Wh, Wz, W_att, b)
    dh = rnd(*hs.shape)
    out += _check("attention_lstm_forward", lambda *a: (A.attention_lstm_forward(*a)[0],),
                  (x, h0, P, Wx, Wh, Wz, W_att, b), ("dx", "dh0", "dP", "dWx", "dWh", "dWz", "dW_att", "db"),
                  A.attention_lstm_backward(dh, cache), (dh,), SEQUENCE_TOLERANCE)
    return out


def check_model(cell_type: str = "rnn", *, seed: int = 0, device: torch.device | str | None = None,
                tolerance: float = MODEL_TOLERANCE) -> list[GradCheckResult]:
    """Check ``CaptioningRNN.loss`` gradients of every parameter in float64
    on a tiny model (vocabulary of 6 words plus the 4 special tokens)."""
    from .model import CaptioningRNN  # local: the model imports this package's layers

    words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "dog", "on", "mat", "red"]
    regions = 4 if cell_type == "attention" else 1        # a 2x2 grid of 3 values per cell
    dim = 12 if cell_type == "attention" else 5
    model = CaptioningRNN({w: k for k, w in enumerate(words)}, input_dim=dim, wordvec_dim=4, hidden_dim=6,
                          cell_type=cell_type, dtype=torch.float64, device=device, seed=seed, regions=regions)
    g = torch.Generator().manual_seed(seed + 1)
    features = torch.randn(3, dim, generator=g, dtype=torch.float64)
    if cell_type == "attention":   # smaller features keep its softmax smooth for the finite differences
        features = features * 0.5
    captions = torch.randint(1, len(words), (3, 6), generator=g)
    captions[0, 4:] = model.null_idx                   # some padding so the mask matters
    _, grads = model.loss(features, captions)
    results = []
    for name, p in model.params.items():
        num = numerical_gradient(
            lambda: torch.tensor(model.loss(features, captions, compute_grads=False)[0], dtype=torch.float64), p)
        results.append(GradCheckResult(f"CaptioningRNN[{cell_type}]: {name}", rel_error(grads[name], num), tolerance))
    return results
