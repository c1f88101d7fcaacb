"""Spatial soft attention with explicit forward and backward passes (no autograd).

Xu et al. 2015, "Show, Attend and Tell" (soft, deterministic attention), in
the classic API of :mod:`engine.captioning.layers`: every ``*_forward``
returns its outputs and a cache, every ``*_backward`` takes the upstream
gradients and that cache and returns the gradients in the order of the
forward's arguments.  The backward passes run under :func:`torch.no_grad`;
the forward passes are plain tensor code, so tests check the backward passes
against autograd of the very same forward code.

Shapes: ``N`` minibatch, ``T`` time steps, ``L`` grid cells (regions), ``C``
feature values per cell, ``D`` word-vector size, ``H`` hidden size.

* :func:`attention_init_forward`: the grid features ``A (N, L, C)``
  become annotation vectors ``P = A W_proj + b_proj + W_pos (N, L, H)``
  (``W_pos`` a learned embedding of each cell's position, so that the
  attended context says *where* as well as *what*) and the initial hidden
  state ``h0 = mean_i P_i``.
* :func:`attention_forward`: scores ``e_i = P_i . (prev_h W_att) / sqrt(H)``
  (a scaled bilinear form of the hidden state and each cell), weights
  ``alpha = softmax_i(e)`` and the context ``z = sum_i alpha_i P_i``.
* :func:`attention_lstm_step_forward`: attend with ``prev_h``, then an LSTM
  step (:func:`~engine.captioning.layers.lstm_step_forward`, gates ``i, f,
  o, g``) whose pre-activations also read the context:
  ``a = x Wx + prev_h Wh + z Wz + b``.
* :func:`attention_lstm_forward`: that step over a sequence (``c_0 = 0``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from .layers import LSTMCache, _lstm_da, _lstm_gates, _lstm_steps, _lstm_steps_backward, _stack_steps

__all__ = [
    "attention_init_forward", "attention_init_backward", "attention_forward", "attention_backward",
    "attention_lstm_step_forward", "attention_lstm_step_backward", "attention_lstm_forward",
    "attention_lstm_backward", "AttentionLSTMCache", "grid_features",
]

Tensor = torch.Tensor


def grid_features(features: Tensor, regions: int) -> Tensor:
    """Flat grid features ``(N, C * L)`` (channel-major, cells row-major within
    a channel, as ``adaptive_avg_pool2d(...).flatten(1)`` writes them, also
    for several layers one after the other) as ``A (N, L, C)``."""
    N, DL = features.shape
    if DL % regions:
        raise ValueError(f"{DL} feature values are not a whole number of values per cell for {regions} cells")
    return features.reshape(N, DL // regions, regions).transpose(1, 2)


# --------------------------------------------------------------------- annotations and h0
def attention_init_forward(A: Tensor, W_proj: Tensor, b_proj: Tensor, W_pos: Tensor):
    """Annotation vectors and the initial hidden state.

    ``A (N, L, C)``, ``W_proj (C, H)``, ``b_proj (H,)``, ``W_pos (L, H)``.
    ``P = A W_proj + b_proj + W_pos``; ``h0 = (1/L) sum_i P_i``.
    Returns ``(P (N, L, H), h0 (N, H), cache)``.
    """
    P = A @ W_proj + b_proj + W_pos
    return P, P.mean(dim=1), (A, W_proj)


@torch.no_grad()
def attention_init_backward(dP: Tensor, dh0: Tensor, cache):
    """Backward of :func:`attention_init_forward`: the total gradient of ``P``
    is ``dP + dh0 / L`` (every cell alike); then ``dA = dP_tot W_proj^T``,
    ``dW_proj = sum_{n,i} A_ni^T dP_tot_ni``, ``db_proj = sum_{n,i} dP_tot_ni``,
    ``dW_pos = sum_n dP_tot_n``.  Returns ``dA, dW_proj, db_proj, dW_pos``."""
    A, W_proj = cache
    N, L, C = A.shape
    dPt = dP + (dh0 / L).unsqueeze(1)
    d2 = dPt.reshape(N * L, -1)
    return dPt @ W_proj.T, A.reshape(N * L, C).T @ d2, d2.sum(0), dPt.sum(0)


# --------------------------------------------------------------------- soft attention
def attention_forward(prev_h: Tensor, P: Tensor, W_att: Tensor):
    """Soft attention over the cells.

    ``prev_h (N, H)``, ``P (N, L, H)``, ``W_att (H, H)``.  ``q = prev_h W_att``;
    ``e_i = P_i . q / sqrt(H)``; ``alpha = softmax(e)`` (max subtracted);
    ``z = sum_i alpha_i P_i``.  Returns ``(z (N, H), alpha (N, L), cache)``.
    """
    H = P.shape[2]
    q = prev_h @ W_att
    scale = 1.0 / math.sqrt(H)
    e = (P @ q.unsqueeze(2)).squeeze(2) * scale
    e = e - e.max(dim=1, keepdim=True).values
    w = torch.exp(e)
    alpha = w / w.sum(dim=1, keepdim=True)
    z = (alpha.unsqueeze(1) @ P).squeeze(1)
    return z, alpha, (prev_h, P, W_att, q, alpha, scale)


@torch.no_grad()
def attention_backward(dz: Tensor, cache, dalpha: Tensor | None = None):
    """Backward of :func:`attention_forward`.

    ``dalpha_i = dz . P_i`` (plus an upstream ``dalpha`` when given);
    through the softmax ``de = alpha * (dalpha - sum_j alpha_j dalpha_j)``;
    ``dP_i = alpha_i dz + de_i q / sqrt(H)``; ``dq = sum_i de_i P_i / sqrt(H)``;
    ``dprev_h = dq W_att^T``; ``dW_att = prev_h^T dq``.
    Returns ``dprev_h, dP, dW_att``.
    """
    prev_h, P, W_att, q, alpha, scale = cache
    da = (P @ dz.unsqueeze(2)).squeeze(2)
    if dalpha is not None:
        da = da + dalpha
    de = alpha * (da - (alpha * da).sum(dim=1, keepdim=True))
    dP = alpha.unsqueeze(2) * dz.unsqueeze(1) + (de * scale).unsqueeze(2) * q.unsqueeze(1)
    dq = (de.unsqueeze(1) @ P).squeeze(1) * scale
    return dq @ W_att.T, dP, prev_h.T @ dq


# --------------------------------------------------------------------- the attention LSTM
def attention_lstm_step_forward(x: Tensor, prev_h: Tensor, prev_c: Tensor, P: Tensor, Wx: Tensor, Wh: Tensor,
                                Wz: Tensor, W_att: Tensor, b: Tensor):
    """One LSTM step that looks at the image first.

    ``z, alpha = attention(prev_h, P, W_att)``; ``a = x Wx + prev_h Wh + z Wz + b``
    split into ``i, f, o, g`` as in :func:`~engine.captioning.layers.lstm_step_forward`;
    ``next_c = f * prev_c + i * g``; ``next_h = o * tanh(next_c)``.
    ``x (N, D)``, ``prev_h, prev_c (N, H)``, ``P (N, L, H)``, ``Wx (D, 4H)``,
    ``Wh (H, 4H)``, ``Wz (H, 4H)``, ``W_att (H, H)``, ``b (4H,)``.
    Returns ``next_h, next_c, alpha (N, L), cache``.
    """
    H = prev_h.shape[1]
    z, alpha, att_cache = attention_forward(prev_h, P, W_att)
    i, f, o, g = _lstm_gates(x @ Wx + prev_h @ Wh + z @ Wz + b, H)
    next_c = f * prev_c + i * g
    tanh_c = torch.tanh(next_c)
    next_h = o * tanh_c
    return next_h, next_c, alpha, (x, prev_h, prev_c, z, Wx, Wh, Wz, i, f, o, g, tanh_c, att_cache)


@torch.no_grad()
def attention_lstm_step_backward(dnext_h: Tensor, dnext_c: Tensor, cache):
    """Backward of :func:`attention_lstm_step_forward`: the LSTM's gate
    gradient ``da`` (:func:`~engine.captioning.layers._lstm_da`), then
    ``dz = da Wz^T`` through :func:`attention_backward`; ``prev_h`` gets
    both ``da Wh^T`` and the attention's query gradient.
    Returns ``dx, dprev_h, dprev_c, dP, dWx, dWh, dWz, dW_att, db``."""
    x, prev_h, prev_c, z, Wx, Wh, Wz, i, f, o, g, tanh_c, att_cache = cache
    da, dprev_c = _lstm_da(dnext_h, dnext_c, prev_c, i, f, o, g, tanh_c)
    dh_att, dP, dW_att = attention_backward(da @ Wz.T, att_cache)
    return (da @ Wx.T, da @ Wh.T + dh_att, dprev_c, dP, x.T @ da, prev_h.T @ da, z.T @ da, dW_att, da.sum(0))


@dataclass(frozen=True)
class AttentionLSTMCache(LSTMCache):
    """What :func:`attention_lstm_forward` remembers: an :class:`LSTMCache`
    (inputs, gates, cells, hidden states) plus the annotations ``P``, the
    weights ``Wz`` and ``W_att``, per step (``(N, T, .)``) the contexts ``z``
    and attention weights ``alpha (N, T, L)``, and every step's attention
    cache."""

    P: Tensor
    Wz: Tensor
    W_att: Tensor
    z: Tensor
    alpha: Tensor
    att: tuple


def attention_lstm_forward(x: Tensor, h0: Tensor, P: Tensor, Wx: Tensor, Wh: Tensor, Wz: Tensor, W_att: Tensor,
                           b: Tensor):
    """The attention LSTM over a sequence with ``c_0 = 0`` (step formulas in
    :func:`attention_lstm_step_forward`).  ``x (N, T, D)``, ``h0 (N, H)``,
    ``P (N, L, H)``.  Returns ``(h (N, T, H), cache)`` where the cache is an
    :class:`AttentionLSTMCache` (its ``alpha`` is where the model looked)."""
    H = h0.shape[1]

    def attend(prev_h):
        z, alpha, att = attention_forward(prev_h, P, W_att)
        return z @ Wz, (z, alpha, att)

    steps = _lstm_steps(x, h0, Wx, Wh, b, attend)
    h, c, tanh_c, i, f, o, g, z = (_stack_steps(steps, k, h0, H) for k in range(8))
    cache = AttentionLSTMCache(x=x, h0=h0, P=P, Wx=Wx, Wh=Wh, Wz=Wz, W_att=W_att, h=h, c=c, tanh_c=tanh_c,
                               i=i, f=f, o=o, g=g, z=z, alpha=_stack_steps(steps, 8, h0, P.shape[1]),
                               att=tuple(s[9] for s in steps))
    return h, cache


@torch.no_grad()
def attention_lstm_backward(dh: Tensor, cache: AttentionLSTMCache, *, return_hidden_grads: bool = False):
    """Backward of :func:`attention_lstm_forward`.

    Walking back in time, the total gradient of ``h_t`` is ``dh_t`` plus
    ``da_{t+1} Wh^T`` plus the gradient of step ``t+1``'s attention query;
    ``P`` collects the attention gradients of every step.  Weight gradients
    are sums over all steps (single products).  Returns ``dx, dh0, dP, dWx,
    dWh, dWz, dW_att, db``; with ``return_hidden_grads=True`` also the total
    hidden-state gradients ``(N, T, H)``.
    """
    dP = torch.zeros_like(cache.P)
    dW_att = torch.zeros_like(cache.W_att)

    def attend_backward(t, da_t):
        dh_att, dP_t, dW_att_t = attention_backward(da_t @ cache.Wz.T, cache.att[t])
        dP.add_(dP_t)
        dW_att.add_(dW_att_t)
        return dh_att

    da2, dx, dh0, dWx, dWh, dtotal = _lstm_steps_backward(dh, cache, return_hidden_grads, attend_backward)
    dWz = cache.z.reshape(da2.shape[0], cache.h0.shape[1]).T @ da2
    grads = (dx, dh0, dP, dWx, dWh, dWz, dW_att, da2.sum(0))
    return grads + (dtotal,) if return_hidden_grads else grads
