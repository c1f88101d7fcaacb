"""Recurrent layers with explicit forward and backward passes (no autograd).

The classic API of the CS231n image-captioning assignment, on torch tensors:
every ``*_forward`` returns ``(out, cache)`` and every ``*_backward`` takes
the upstream gradient and that cache and returns the gradients in the order of
the forward's arguments.  The functions work on any device and in float32 or
float64 and never modify their inputs in place.  Gradients come from the
written-out backward passes (which run under :func:`torch.no_grad`), never
from autograd; the forward passes are plain tensor code, so tests can check
the backward passes *against* autograd of the very same forward code.

Shapes: ``N`` minibatch, ``T`` time steps, ``D`` input size, ``H`` hidden
size, ``V`` vocabulary size, ``M`` output size.

The LSTM follows Hochreiter & Schmidhuber (1997) with the forget gate of Gers
et al. (2000); the 4H pre-activations are split in the order input, forget,
output, block input (``i, f, o, g``).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = [
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward",
    "word_embedding_forward", "word_embedding_backward",
    "temporal_affine_forward", "temporal_affine_backward", "temporal_softmax_loss",
    "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
    "LSTMCache", "lstm_gate_trace",
]

Tensor = torch.Tensor


# --------------------------------------------------------------------- vanilla RNN
def rnn_step_forward(x: Tensor, prev_h: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor):
    """One vanilla-RNN step: ``next_h = tanh(x Wx + prev_h Wh + b)``.

    ``x (N, D)``, ``prev_h (N, H)``, ``Wx (D, H)``, ``Wh (H, H)``, ``b (H,)``.
    Returns ``(next_h (N, H), cache)``.
    """
    next_h = torch.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


@torch.no_grad()
def rnn_step_backward(dnext_h: Tensor, cache):
    """Backward of :func:`rnn_step_forward`.

    With ``da = dnext_h * (1 - next_h**2)``: ``dx = da Wx^T``,
    ``dprev_h = da Wh^T``, ``dWx = x^T da``, ``dWh = prev_h^T da``,
    ``db = sum_N da``.  Returns ``dx, dprev_h, dWx, dWh, db``.
    """
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h * next_h)
    return da @ Wx.T, da @ Wh.T, x.T @ da, prev_h.T @ da, da.sum(0)


def rnn_forward(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor):
    """A vanilla RNN over a whole sequence, ``h_t = tanh(x_t Wx + h_{t-1} Wh + b)``.

    ``x (N, T, D)``, ``h0 (N, H)``.  Returns ``(h (N, T, H), cache)``.  The
    input projection ``x Wx + b`` is done for all steps in one matrix product.
    """
    N, T, _ = x.shape
    xw = x @ Wx + b                                   # (N, T, H), a new tensor
    steps = []
    prev = h0
    for t in range(T):
        prev = torch.tanh(xw[:, t] + prev @ Wh)
        steps.append(prev)
    h = torch.stack(steps, dim=1) if T else xw.new_zeros((N, 0, Wh.shape[0]))
    return h, (x, h0, Wx, Wh, h)


@torch.no_grad()
def rnn_backward(dh: Tensor, cache, *, return_hidden_grads: bool = False):
    """Backward of :func:`rnn_forward`.

    ``dh (N, T, H)`` is the upstream gradient of every hidden state (from the
    output layer only).  Walking back in time the total gradient of ``h_t`` is
    ``dh_t + da_{t+1} Wh^T`` and ``da_t = (dh_t + ...) * (1 - h_t**2)``; the
    weight gradients are then sums over all steps, done in single products.
    Returns ``dx, dh0, dWx, dWh, db``; with ``return_hidden_grads=True`` also
    the total hidden-state gradients ``(N, T, H)`` (for vanishing-gradient plots).
    """
    x, h0, Wx, Wh, h = cache
    N, T, D = x.shape
    H = h0.shape[1]
    da = torch.empty_like(h)
    dtotal = torch.empty_like(h) if return_hidden_grads else None
    dnext = torch.zeros_like(h0)
    for t in reversed(range(T)):
        dht = dh[:, t] + dnext
        if dtotal is not None:
            dtotal[:, t] = dht
        ht = h[:, t]
        da[:, t] = dht * (1 - ht * ht)
        dnext = da[:, t] @ Wh.T
    h_prev = torch.cat([h0.unsqueeze(1), h[:, :-1]], dim=1)
    da2 = da.reshape(N * T, H)
    dx = da @ Wx.T
    dWx = x.reshape(N * T, D).T @ da2
    dWh = h_prev.reshape(N * T, H).T @ da2
    db = da2.sum(0)
    grads = (dx, dnext, dWx, dWh, db)
    return grads + (dtotal,) if return_hidden_grads else grads


# --------------------------------------------------------------------- embedding
def word_embedding_forward(x: Tensor, W: Tensor):
    """Look up word vectors: ``out[n, t] = W[x[n, t]]``.

    ``x (N, T)`` integer ids in ``[0, V)``, ``W (V, D)``.  Returns
    ``(out (N, T, D), cache)``.
    """
    if x.dtype.is_floating_point or x.dtype == torch.bool:
        raise TypeError("word ids must be an integer tensor")
    x = x.to(device=W.device, dtype=torch.long)
    return W[x], (x, W.shape, W.dtype, W.device)


@torch.no_grad()
def word_embedding_backward(dout: Tensor, cache):
    """Backward of :func:`word_embedding_forward`: ``dW[v] = sum over (n, t)
    with x[n, t] == v of dout[n, t]`` (a scatter-add, ``index_add_``).
    Returns ``dW (V, D)``."""
    x, shape, dtype, device = cache
    dW = torch.zeros(shape, dtype=dtype, device=device)
    dW.index_add_(0, x.reshape(-1), dout.reshape(-1, shape[1]).to(dtype))
    return dW


# --------------------------------------------------------------------- affine + loss
def temporal_affine_forward(x: Tensor, w: Tensor, b: Tensor):
    """The same affine map at every step: ``out[n, t] = x[n, t] w + b``.

    ``x (N, T, D)``, ``w (D, M)``, ``b (M,)``.  Returns ``(out (N, T, M), cache)``.
    """
    return x @ w + b, (x, w)


@torch.no_grad()
def temporal_affine_backward(dout: Tensor, cache):
    """Backward of :func:`temporal_affine_forward`: ``dx = dout w^T``,
    ``dw = sum_{n,t} x[n,t]^T dout[n,t]``, ``db = sum_{n,t} dout[n,t]``."""
    x, w = cache
    N, T, D = x.shape
    M = w.shape[1]
    d2 = dout.reshape(N * T, M)
    return dout @ w.T, x.reshape(N * T, D).T @ d2, d2.sum(0)


def temporal_softmax_loss(x: Tensor, y: Tensor, mask: Tensor):
    """Masked softmax cross-entropy summed over time, averaged over the batch.

    ``loss = -(1/N) sum_{n,t} mask[n,t] log softmax(x[n,t])[y[n,t]]`` with
    ``x (N, T, V)`` scores, ``y (N, T)`` targets, ``mask (N, T)`` (bool or 0/1).
    Numerically stable (log-sum-exp with the max subtracted).  The gradient is
    ``dx[n,t] = mask[n,t] (softmax(x[n,t]) - onehot(y[n,t])) / N``.
    Returns ``(loss, dx)``; ``loss`` is a 0-d tensor on ``x``'s device.
    """
    N, T, V = x.shape
    flat = x.reshape(N * T, V)
    yf = y.reshape(N * T).to(device=x.device, dtype=torch.long)
    mf = mask.reshape(N * T).to(device=x.device, dtype=x.dtype)
    shifted = flat - flat.max(dim=1, keepdim=True).values
    log_z = torch.log(torch.exp(shifted).sum(dim=1, keepdim=True))
    log_probs = shifted - log_z
    rows = torch.arange(N * T, device=x.device)
    loss = -(mf * log_probs[rows, yf]).sum() / N
    with torch.no_grad():
        dx = torch.exp(log_probs)
        dx[rows, yf] -= 1
        dx = dx * (mf / N).unsqueeze(1)
    return loss, dx.reshape(N, T, V)


# --------------------------------------------------------------------- LSTM
def _lstm_gates(a: Tensor, H: int):
    """Split pre-activations ``a (..., 4H)`` into activated gates ``i, f, o, g``."""
    ifo = torch.sigmoid(a[..., : 3 * H])
    return ifo[..., :H], ifo[..., H: 2 * H], ifo[..., 2 * H:], torch.tanh(a[..., 3 * H:])


def lstm_step_forward(x: Tensor, prev_h: Tensor, prev_c: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor):
    """One LSTM step.

    ``a = x Wx + prev_h Wh + b`` (N, 4H) split into ``a_i, a_f, a_o, a_g``;
    ``i = sigma(a_i)``, ``f = sigma(a_f)``, ``o = sigma(a_o)``, ``g = tanh(a_g)``;
    ``next_c = f * prev_c + i * g``; ``next_h = o * tanh(next_c)``.
    Returns ``next_h, next_c, cache``.
    """
    H = prev_h.shape[1]
    i, f, o, g = _lstm_gates(x @ Wx + prev_h @ Wh + b, H)
    next_c = f * prev_c + i * g
    tanh_c = torch.tanh(next_c)
    next_h = o * tanh_c
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)


def _lstm_da(dh: Tensor, dc: Tensor, prev_c: Tensor, i, f, o, g, tanh_c):
    """Gradient of the pre-activations of one step, and of the previous cell.

    ``dc_total = dc + dh * o * (1 - tanh(c)**2)``; ``do = dh * tanh(c)``;
    ``df = dc_total * prev_c``; ``di = dc_total * g``; ``dg = dc_total * i``;
    through the nonlinearities ``sigma' = s (1 - s)``, ``tanh' = 1 - t**2``.
    """
    dct = dc + dh * o * (1 - tanh_c * tanh_c)
    da = torch.cat([
        dct * g * i * (1 - i),
        dct * prev_c * f * (1 - f),
        dh * tanh_c * o * (1 - o),
        dct * i * (1 - g * g),
    ], dim=-1)
    return da, dct * f


@torch.no_grad()
def lstm_step_backward(dnext_h: Tensor, dnext_c: Tensor, cache):
    """Backward of :func:`lstm_step_forward` (formulas in :func:`_lstm_da`).
    Returns ``dx, dprev_h, dprev_c, dWx, dWh, db``."""
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    da, dprev_c = _lstm_da(dnext_h, dnext_c, prev_c, i, f, o, g, tanh_c)
    return da @ Wx.T, da @ Wh.T, dprev_c, x.T @ da, prev_h.T @ da, da.sum(0)


@dataclass(frozen=True)
class LSTMCache:
    """What :func:`lstm_forward` remembers, per time step (all ``(N, T, H)``
    except the inputs): the gates ``i, f, o, g`` (after their nonlinearities),
    the cell states ``c`` and ``tanh_c = tanh(c)``, the hidden states ``h``.
    :func:`lstm_gate_trace` hands them to the "look inside" views."""

    x: Tensor
    h0: Tensor
    Wx: Tensor
    Wh: Tensor
    h: Tensor
    c: Tensor
    tanh_c: Tensor
    i: Tensor
    f: Tensor
    o: Tensor
    g: Tensor


def _lstm_steps(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor, extra=None):
    """The LSTM recurrence over ``x (N, T, D)`` with ``c_0 = 0``, shared by
    :func:`lstm_forward` and the attention LSTM.  ``extra(prev_h)``, when
    given, returns ``(term, record)``: ``term`` is added to each step's
    pre-activations (after ``x Wx + prev_h Wh + b``) and ``record`` (a tuple)
    is kept with the step.  Returns per step ``(h, c, tanh_c, i, f, o, g,
    *record)``."""
    H = h0.shape[1]
    xw = x @ Wx + b
    steps = []
    prev_h, prev_c = h0, torch.zeros_like(h0)
    for t in range(x.shape[1]):
        a = xw[:, t] + prev_h @ Wh
        record = ()
        if extra is not None:
            term, record = extra(prev_h)
            a = a + term
        i, f, o, g = _lstm_gates(a, H)
        prev_c = f * prev_c + i * g
        tanh_c = torch.tanh(prev_c)
        prev_h = o * tanh_c
        steps.append((prev_h, prev_c, tanh_c, i, f, o, g) + tuple(record))
    return steps


def _stack_steps(steps: list, k: int, like: Tensor, width: int) -> Tensor:
    """Item ``k`` of every step stacked along time: ``(N, T, width)``
    (``(N, 0, width)`` for an empty sequence)."""
    return torch.stack([s[k] for s in steps], dim=1) if steps else like.new_zeros((like.shape[0], 0, width))


def lstm_forward(x: Tensor, h0: Tensor, Wx: Tensor, Wh: Tensor, b: Tensor):
    """An LSTM over a whole sequence with ``c_0 = 0`` (step formulas in
    :func:`lstm_step_forward`).  ``x (N, T, D)``, ``h0 (N, H)``, ``Wx (D, 4H)``,
    ``Wh (H, 4H)``, ``b (4H,)``.  Returns ``(h (N, T, H), cache)`` where the
    cache is an :class:`LSTMCache`."""
    steps = _lstm_steps(x, h0, Wx, Wh, b)
    h, c, tanh_c, i, f, o, g = (_stack_steps(steps, k, h0, h0.shape[1]) for k in range(7))
    cache = LSTMCache(x=x, h0=h0, Wx=Wx, Wh=Wh, h=h, c=c, tanh_c=tanh_c, i=i, f=f, o=o, g=g)
    return h, cache


def _lstm_steps_backward(dh: Tensor, cache, return_hidden_grads: bool, extra=None):
    """Backward through time of :func:`_lstm_steps`, shared by
    :func:`lstm_backward` and the attention LSTM.  ``cache`` has ``x, h0, Wx,
    Wh, h, c, tanh_c, i, f, o, g``; ``extra(t, da_t)``, when given, returns
    the gradient that step ``t``'s extra term sends to ``prev_h`` (added to
    ``da_t Wh^T``).  Returns ``(da (N*T, 4H), dx, dh0, dWx, dWh, dtotal)``;
    ``dtotal`` (the total hidden-state gradients) is ``None`` unless asked."""
    x, h, c = cache.x, cache.h, cache.c
    N, T, D = x.shape
    H = cache.h0.shape[1]
    da = x.new_empty((N, T, 4 * H))
    dtotal = torch.empty_like(h) if return_hidden_grads else None
    dnext_h = torch.zeros_like(cache.h0)
    dnext_c = torch.zeros_like(cache.h0)
    zero_c = torch.zeros_like(cache.h0)
    for t in reversed(range(T)):
        dht = dh[:, t] + dnext_h
        if dtotal is not None:
            dtotal[:, t] = dht
        prev_c = c[:, t - 1] if t > 0 else zero_c
        da_t, dnext_c = _lstm_da(dht, dnext_c, prev_c, cache.i[:, t], cache.f[:, t],
                                 cache.o[:, t], cache.g[:, t], cache.tanh_c[:, t])
        da[:, t] = da_t
        dnext_h = da_t @ cache.Wh.T
        if extra is not None:
            dnext_h = dnext_h + extra(t, da_t)
    h_prev = torch.cat([cache.h0.unsqueeze(1), h[:, :-1]], dim=1)
    da2 = da.reshape(N * T, 4 * H)
    dx = da @ cache.Wx.T
    dWx = x.reshape(N * T, D).T @ da2
    dWh = h_prev.reshape(N * T, H).T @ da2
    return da2, dx, dnext_h, dWx, dWh, dtotal


@torch.no_grad()
def lstm_backward(dh: Tensor, cache: LSTMCache, *, return_hidden_grads: bool = False):
    """Backward of :func:`lstm_forward`.

    Walking back in time, the total gradient of ``h_t`` is ``dh_t + da_{t+1}
    Wh^T`` and of ``c_t`` is ``dc_{t+1} * f_{t+1}`` plus the path through
    ``h_t``; weight gradients are sums over all steps (single products).
    Returns ``dx, dh0, dWx, dWh, db``; with ``return_hidden_grads=True`` also
    the total hidden-state gradients ``(N, T, H)``.
    """
    da2, dx, dh0, dWx, dWh, dtotal = _lstm_steps_backward(dh, cache, return_hidden_grads)
    grads = (dx, dh0, dWx, dWh, da2.sum(0))
    return grads + (dtotal,) if return_hidden_grads else grads


def lstm_gate_trace(cache: LSTMCache) -> dict[str, Tensor]:
    """The per-step internals of an :func:`lstm_forward` call, for plotting:
    ``{'i', 'f', 'o', 'g', 'c', 'h'}`` each ``(N, T, H)`` (detached CPU copies)."""
    return {name: getattr(cache, name).detach().cpu().clone() for name in ("i", "f", "o", "g", "c", "h")}
