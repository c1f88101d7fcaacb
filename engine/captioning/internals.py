"""Looking inside a captioning model: the recurrent cell's internals over the
words of one caption, and how far back in time the loss gradient reaches.

* :func:`caption_internals` re-runs the cell over a caption (teacher-forced:
  step ``t`` reads ``<START>, w_1, ..., w_{n}`` and is scored against
  ``w_1, ..., w_n, <END>``) and returns, per step, the hidden state and, for
  the LSTM, the input / forget / output gates ``i, f, o``, the block input
  ``g`` and the cell state ``c`` (Hochreiter & Schmidhuber 1997; the gate
  order of :func:`~engine.captioning.layers.lstm_step_forward`); for the
  attention cell also where it looked before every word (``alpha``, one
  weight per grid cell) and the entropy of those weights.
* :func:`gradient_through_time` measures the vanishing-gradient picture
  (Bengio et al. 1994; Pascanu et al. 2013): the norm of the gradient of the
  *last* word's loss with respect to the hidden state ``k`` steps earlier,
  ``||dL_last / dh_{T-k}||``, averaged over captions.  For a vanilla RNN it
  shrinks roughly geometrically with ``k`` (repeated products with
  ``diag(1 - h^2) Wh^T``); the LSTM's additive cell path keeps it larger.

Both use only the explicit forward / backward layers of
:mod:`engine.captioning.layers` and :mod:`engine.captioning.attention` (no
autograd).  No Qt here.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from . import attention as A
from . import layers as L

__all__ = ["caption_internals", "gradient_through_time", "attention_entropy"]


def attention_entropy(alpha) -> np.ndarray:
    """``-sum_i alpha_i log alpha_i`` (nats) of every row of ``alpha (..., L)``:
    0 when one cell takes all the weight, ``log L`` when all weigh alike."""
    a = np.asarray(alpha, dtype=np.float64)
    return -(a * np.log(np.clip(a, 1e-300, None))).sum(axis=-1)


def _forward(model, feats: torch.Tensor, x: torch.Tensor):
    """The model's recurrent forward pass: ``(h, cache, backward)``."""
    p = model.params
    if model.cell_type == "attention":
        P, h0, _ = A.attention_init_forward(A.grid_features(feats, model.regions), p["W_proj"], p["b_proj"],
                                            p["W_pos"])
        h, cache = A.attention_lstm_forward(x, h0, P, p["Wx"], p["Wh"], p["Wz"], p["W_att"], p["b"])
        return h, cache, A.attention_lstm_backward
    h0 = feats @ p["W_proj"] + p["b_proj"]
    if model.cell_type == "lstm":
        h, cache = L.lstm_forward(x, h0, p["Wx"], p["Wh"], p["b"])
        return h, cache, L.lstm_backward
    h, cache = L.rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])
    return h, cache, L.rnn_backward


def _ids_list(word_ids, model) -> list[int]:
    ids = [int(i) for i in torch.as_tensor(word_ids).reshape(-1).tolist()]
    out = []
    for i in ids:
        if not 0 <= i < model.vocab_size:
            raise ValueError(f"word id {i} is outside the vocabulary (0..{model.vocab_size - 1})")
        if i == model.null_idx:
            break
        out.append(i)
        if i == model.end_idx:
            break
    return out


@torch.no_grad()
def caption_internals(model, features, word_ids: Sequence[int] | torch.Tensor) -> dict:
    """The cell's per-step internals while it produces the caption ``word_ids``.

    ``features`` is one image's feature vector ``(D,)`` or ``(1, D)``;
    ``word_ids`` the generated ids without ``<START>`` (as in
    :class:`~engine.captioning.decoding.DecodeResult.ids`), read up to and
    including ``<END>`` (``<NULL>`` ends it too).  Returns ``{'inputs': [...],
    'outputs': [...], 'h': (T, H)}`` plus ``'i', 'f', 'o', 'g', 'c'`` (each
    ``(T, H)`` float32 numpy) for the LSTM and the attention cell, where
    ``inputs[t]`` is the word step ``t`` reads and ``outputs[t]`` the word it
    emitted; the attention cell adds ``'alpha' (T, L)`` (the weights it gave
    the grid cells before emitting word ``t``; the same as while decoding,
    which saw the same words) and ``'entropy' (T,)`` (nats, at most ``log L``).
    """
    ids = _ids_list(word_ids, model)
    if not ids:
        raise ValueError("the caption is empty: there is no time step to show")
    f = torch.as_tensor(features)
    f = f.reshape(1, -1) if f.ndim == 1 else f
    if f.shape[0] != 1:
        raise ValueError(f"give the features of one image, got {tuple(f.shape)}")
    p = model.params
    inputs = [model.start_idx] + ids[:-1]
    x = p["W_embed"][torch.tensor([inputs], dtype=torch.long, device=model.device)]
    itw = model.idx_to_word
    out: dict = {"inputs": [itw[i] for i in inputs], "outputs": [itw[i] for i in ids]}
    h, cache, _ = _forward(model, model._as_features(f), x)
    if model.cell_type == "rnn":
        out["h"] = h[0].detach().cpu().to(torch.float32).numpy()
        return out
    for name, value in L.lstm_gate_trace(cache).items():
        out[name] = value[0].to(torch.float32).numpy()
    if model.cell_type == "attention":
        out["alpha"] = cache.alpha[0].detach().cpu().to(torch.float32).numpy()
        out["entropy"] = attention_entropy(out["alpha"]).astype(np.float32)
    return out


@torch.no_grad()
def gradient_through_time(model, features, captions) -> np.ndarray:
    """``g[k]`` = mean over captions of ``||dL_last / dh_{t_last - k}||``.

    ``features (N, D)``, ``captions (N, T+1)`` word ids starting with
    ``<START>`` (the training layout).  ``L_last`` is the cross-entropy of
    the last scored word of each caption (its ``<END>``), so ``g[0]`` is the
    gradient at the step that made that loss and ``g[k]`` the part of it
    that travelled ``k`` steps back through the recurrence.  Entry ``k``
    averages the captions at least ``k + 1`` words long.  Returns a float64
    numpy array of length ``max caption length``.
    """
    p = model.params
    feats = model._as_features(features)
    caps = torch.as_tensor(captions).to(device=model.device, dtype=torch.long)
    if caps.ndim != 2 or caps.shape[0] != feats.shape[0] or caps.shape[1] < 2:
        raise ValueError("captions must be (N, T+1) with T >= 1 and one row per feature vector")
    cap_in, cap_out = caps[:, :-1], caps[:, 1:]
    valid = cap_out != model.null_idx
    lengths = valid.sum(dim=1)
    keep = lengths > 0
    if not bool(keep.any()):
        raise ValueError("every caption is empty")
    feats, cap_in, cap_out, lengths = feats[keep], cap_in[keep], cap_out[keep], lengths[keep]
    N, T = cap_in.shape
    last = lengths - 1
    mask = torch.zeros((N, T), dtype=torch.bool, device=model.device)
    mask[torch.arange(N, device=model.device), last] = True

    x, _ = L.word_embedding_forward(cap_in, p["W_embed"])
    h, cache, backward = _forward(model, feats, x)
    scores, vocab_cache = L.temporal_affine_forward(h, p["W_vocab"], p["b_vocab"])
    _, dscores = L.temporal_softmax_loss(scores, cap_out, mask)
    dscores = dscores * N                                   # per caption, not averaged over the batch
    dh, _, _ = L.temporal_affine_backward(dscores, vocab_cache)
    dtotal = backward(dh, cache, return_hidden_grads=True)[-1]
    norms = dtotal.norm(dim=2).cpu().to(torch.float64)     # (N, T)
    Tmax = int(lengths.max())
    sums, counts = np.zeros(Tmax), np.zeros(Tmax)
    for n, ln in enumerate(lengths.tolist()):
        back = norms[n, :ln].flip(0).numpy()                 # k = 0 is the last word's step
        sums[:ln] += back
        counts[:ln] += 1
    return sums / np.maximum(counts, 1)
