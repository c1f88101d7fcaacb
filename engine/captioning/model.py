"""The image-captioning model: image features -> RNN/LSTM -> word scores.

Architecture (Vinyals et al. 2015, "Show and Tell", in the CS231n form):

* ``h0 = features W_proj + b_proj``  (image features to the initial hidden state)
* ``x = W_embed[captions_in]``        (word embedding of the input words)
* ``h = rnn(x, h0)`` or ``lstm(x, h0)`` over the sequence
* ``scores = h W_vocab + b_vocab``   (vocabulary scores at every step)
* loss: masked softmax cross-entropy of ``scores`` against ``captions_out``.

The ``"attention"`` cell (Xu et al. 2015, "Show, Attend and Tell", soft
attention) reads a *grid* of features instead: the flat features of
``regions`` = L cells (:func:`~engine.captioning.attention.grid_features`)
become annotation vectors ``P = A W_proj + b_proj + W_pos`` (one per cell),
``h0`` is their mean, and at every word the LSTM first looks at the cells
(``alpha = softmax(P . (h W_att) / sqrt(H))``, context ``z = sum alpha P``)
and reads ``z`` through ``Wz`` (:mod:`engine.captioning.attention`).

All forward and backward passes are the explicit ones of
:mod:`engine.captioning.layers` and :mod:`engine.captioning.attention`; no autograd.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from . import attention as A
from . import layers as L

__all__ = ["CaptioningRNN", "SPECIAL_TOKENS", "NULL", "START", "END", "UNK", "CELL_TYPES", "CELLS", "Cell"]

NULL, START, END, UNK = "<NULL>", "<START>", "<END>", "<UNK>"
SPECIAL_TOKENS = (NULL, START, END, UNK)

_DTYPES = {"float32": torch.float32, "float64": torch.float64}


@dataclass(frozen=True)
class Cell:
    """How a recurrent cell is named: ``title`` in forms and sentences, ``short`` in run labels."""

    title: str
    short: str


#: the recurrent cells a model can have, by key (the one table of their names)
CELLS = {"rnn": Cell("Vanilla RNN", "RNN"), "lstm": Cell("LSTM", "LSTM"),
         "attention": Cell("LSTM with attention", "Attention")}
CELL_TYPES = tuple(CELLS)


class CaptioningRNN:
    """A captioning RNN with explicit gradients.

    ``word_to_idx`` maps every word (including ``<NULL>``, ``<START>``,
    ``<END>``; ``<UNK>`` is optional) to ``0..V-1``.  ``params`` holds the
    classic names: ``W_proj (D, H)``, ``b_proj (H,)``, ``W_embed (V, W)``,
    ``Wx (W, H|4H)``, ``Wh (H, H|4H)``, ``b (H|4H,)``, ``W_vocab (H, V)``,
    ``b_vocab (V,)``.  ``seed`` makes the initialisation reproducible.

    ``cell_type="attention"`` needs ``regions`` (L, the grid's cells; the
    flat ``input_dim`` holds ``C = input_dim / L`` values per cell) and has
    ``W_proj (C, H)``, ``W_pos (L, H)`` (each cell's position),
    ``W_att (H, H)`` (the attention's query), ``Wz (H, 4H)`` (the context
    into the gates) besides the LSTM's ``Wx, Wh, b``.  After every
    :meth:`loss` of an attention model :attr:`last_attention` holds the
    weights ``(N, T, L)``.
    """

    def __init__(self, word_to_idx: Mapping[str, int], input_dim: int = 512, wordvec_dim: int = 128,
                 hidden_dim: int = 128, cell_type: str = "rnn", dtype: torch.dtype = torch.float32,
                 device: torch.device | str | None = None, seed: int | None = None, regions: int = 1) -> None:
        if cell_type not in CELL_TYPES:
            raise ValueError(f"cell_type must be 'rnn', 'lstm' or 'attention', not {cell_type!r}")
        regions = int(regions)
        if cell_type == "attention" and (regions < 2 or int(input_dim) % regions):
            raise ValueError(f"the attention cell needs a grid of features: regions >= 2 dividing input_dim "
                             f"({input_dim}), got {regions}")
        if cell_type != "attention" and regions != 1:
            raise ValueError("regions is for the attention cell only")
        if isinstance(dtype, str):
            dtype = _DTYPES[dtype]
        if dtype not in (torch.float32, torch.float64):
            raise ValueError("dtype must be torch.float32 or torch.float64")
        for name, dim in (("input_dim", input_dim), ("wordvec_dim", wordvec_dim), ("hidden_dim", hidden_dim)):
            if int(dim) < 1:
                raise ValueError(f"{name} must be a positive integer")
        missing = [t for t in (NULL, START, END) if t not in word_to_idx]
        if missing:
            raise ValueError(f"the vocabulary lacks the special token(s) {', '.join(missing)}")
        V = len(word_to_idx)
        if sorted(int(v) for v in word_to_idx.values()) != list(range(V)):
            raise ValueError("word_to_idx values must be exactly 0..V-1")

        self.cell_type = cell_type
        self.word_to_idx = {str(w): int(i) for w, i in word_to_idx.items()}
        self.idx_to_word = [""] * V
        for w, i in self.word_to_idx.items():
            self.idx_to_word[i] = w
        self.input_dim, self.wordvec_dim, self.hidden_dim = int(input_dim), int(wordvec_dim), int(hidden_dim)
        self.regions = regions
        self.dtype = dtype
        self.device = torch.device(device) if device is not None else torch.device("cpu")
        self.null_idx = self.word_to_idx[NULL]
        self.start_idx = self.word_to_idx[START]
        self.end_idx = self.word_to_idx[END]
        self.unk_idx = self.word_to_idx.get(UNK)
        #: (T,) norms of dL/dh_t over the batch, set by every :meth:`loss` call
        self.last_hidden_grad_norms: torch.Tensor | None = None
        #: (N, T, L) attention weights of the last :meth:`loss` (attention cell only)
        self.last_attention: torch.Tensor | None = None
        self.params = self._init_params(seed)

    # ------------------------------------------------------------------ setup
    def _init_params(self, seed: int | None) -> dict[str, torch.Tensor]:
        g = torch.Generator()
        if seed is None:
            g.seed()
        else:
            g.manual_seed(int(seed))
        D, W, H, V = self.input_dim, self.wordvec_dim, self.hidden_dim, len(self.word_to_idx)
        G = H if self.cell_type == "rnn" else 4 * H
        C = D // self.regions

        def randn(*shape, scale):
            return torch.randn(*shape, generator=g, dtype=torch.float64) * scale

        p = {
            "W_proj": randn(C, H, scale=1 / math.sqrt(C)), "b_proj": torch.zeros(H),
            "W_embed": randn(V, W, scale=0.01),
            "Wx": randn(W, G, scale=1 / math.sqrt(W)), "Wh": randn(H, G, scale=1 / math.sqrt(H)),
            "b": torch.zeros(G),
            "W_vocab": randn(H, V, scale=1 / math.sqrt(H)), "b_vocab": torch.zeros(V),
        }
        if self.cell_type == "attention":
            p.update(W_pos=randn(self.regions, H, scale=1.0), W_att=randn(H, H, scale=1 / math.sqrt(H)),
                     Wz=randn(H, G, scale=1 / math.sqrt(H)))
        return {k: v.to(device=self.device, dtype=self.dtype).contiguous() for k, v in p.items()}

    @property
    def vocab_size(self) -> int:
        return len(self.idx_to_word)

    def config(self) -> dict:
        """The constructor arguments (except the vocabulary) as plain values."""
        return {"input_dim": self.input_dim, "wordvec_dim": self.wordvec_dim, "hidden_dim": self.hidden_dim,
                "cell_type": self.cell_type, "dtype": str(self.dtype).replace("torch.", ""),
                **({"regions": self.regions} if self.cell_type == "attention" else {})}

    def load_params(self, params: Mapping[str, torch.Tensor]) -> None:
        """Replace the parameters (shapes must match) with copies on this
        model's device and dtype."""
        if set(params) != set(self.params):
            raise ValueError(f"parameters must be exactly {sorted(self.params)}")
        for k, v in params.items():
            if tuple(v.shape) != tuple(self.params[k].shape):
                raise ValueError(f"parameter {k} has shape {tuple(v.shape)}, expected {tuple(self.params[k].shape)}")
        self.params = {k: v.detach().to(device=self.device, dtype=self.dtype).clone() for k, v in params.items()}

    def _as_features(self, features) -> torch.Tensor:
        f = torch.as_tensor(features).to(device=self.device, dtype=self.dtype)
        if f.ndim != 2 or f.shape[1] != self.input_dim:
            raise ValueError(f"features must be (N, {self.input_dim}), got {tuple(f.shape)}")
        return f

    # ------------------------------------------------------------------ training
    def _words_in_and_out(self, captions, input_words, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The words read (``captions[:, :-1]`` or ``input_words``) and the words to predict
        (``captions[:, 1:]``), checked: shapes, ``n`` rows, ids in the vocabulary."""
        captions = torch.as_tensor(captions).to(device=self.device, dtype=torch.long)
        if captions.ndim != 2 or captions.shape[0] != n or captions.shape[1] < 2:
            raise ValueError(f"captions must be (N, T+1) with T >= 1 for {n} feature rows, "
                             f"got {tuple(captions.shape)}")
        if int(captions.min()) < 0 or int(captions.max()) >= self.vocab_size:
            raise ValueError(f"caption word ids must lie in 0..{self.vocab_size - 1}")
        captions_in, captions_out = captions[:, :-1], captions[:, 1:]
        if input_words is not None:
            captions_in = torch.as_tensor(input_words).to(device=self.device, dtype=torch.long)
            if tuple(captions_in.shape) != tuple(captions_out.shape):
                raise ValueError(f"input_words must be {tuple(captions_out.shape)}, got {tuple(captions_in.shape)}")
            if int(captions_in.min()) < 0 or int(captions_in.max()) >= self.vocab_size:
                raise ValueError(f"input word ids must lie in 0..{self.vocab_size - 1}")
        return captions_in, captions_out

    def loss(self, features, captions, *, compute_grads: bool = True,
             input_words=None) -> tuple[float, dict[str, torch.Tensor]]:
        """Loss and gradients for a minibatch.

        ``features (N, D)``, ``captions (N, T+1)`` word ids starting with
        ``<START>``.  The RNN reads ``captions[:, :-1]`` and is scored against
        ``captions[:, 1:]`` where those are not ``<NULL>``.  ``input_words
        (N, T)``, when given, is read instead of ``captions[:, :-1]`` (the
        solver's word dropout replaces some input words by ``<UNK>``; the
        targets stay the true next words).  Returns
        ``(loss, grads)`` with a gradient for every parameter (``{}`` when
        ``compute_grads`` is false); sets :attr:`last_hidden_grad_norms`.
        """
        p = self.params
        features = self._as_features(features)
        captions_in, captions_out = self._words_in_and_out(captions, input_words, features.shape[0])
        mask = captions_out != self.null_idx

        x, embed_cache = L.word_embedding_forward(captions_in, p["W_embed"])
        if self.cell_type == "attention":
            P, h0, proj_cache = A.attention_init_forward(A.grid_features(features, self.regions), p["W_proj"],
                                                         p["b_proj"], p["W_pos"])
            h, rnn_cache = A.attention_lstm_forward(x, h0, P, p["Wx"], p["Wh"], p["Wz"], p["W_att"], p["b"])
            self.last_attention = rnn_cache.alpha.detach().cpu()
        else:
            h0, proj_cache = L.temporal_affine_forward(features.unsqueeze(1), p["W_proj"], p["b_proj"])
            h0 = h0[:, 0]
            if self.cell_type == "rnn":
                h, rnn_cache = L.rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])
            else:
                h, rnn_cache = L.lstm_forward(x, h0, p["Wx"], p["Wh"], p["b"])
        scores, vocab_cache = L.temporal_affine_forward(h, p["W_vocab"], p["b_vocab"])
        loss, dscores = L.temporal_softmax_loss(scores, captions_out, mask)
        if not compute_grads:
            return float(loss), {}

        grads: dict[str, torch.Tensor] = {}
        dh, grads["W_vocab"], grads["b_vocab"] = L.temporal_affine_backward(dscores, vocab_cache)
        if self.cell_type == "attention":
            dx, dh0, dP, grads["Wx"], grads["Wh"], grads["Wz"], grads["W_att"], grads["b"], dtotal = \
                A.attention_lstm_backward(dh, rnn_cache, return_hidden_grads=True)
            _, grads["W_proj"], grads["b_proj"], grads["W_pos"] = A.attention_init_backward(dP, dh0, proj_cache)
        else:
            backward = L.rnn_backward if self.cell_type == "rnn" else L.lstm_backward
            dx, dh0, grads["Wx"], grads["Wh"], grads["b"], dtotal = backward(dh, rnn_cache, return_hidden_grads=True)
            _, grads["W_proj"], grads["b_proj"] = L.temporal_affine_backward(dh0.unsqueeze(1), proj_cache)
        grads["W_embed"] = L.word_embedding_backward(dx, embed_cache)
        self.last_hidden_grad_norms = dtotal.pow(2).sum(dim=(0, 2)).sqrt().detach().cpu()
        return float(loss), grads

    # ------------------------------------------------------------------ decoding steps
    def initial_state(self, features) -> tuple:
        """The recurrent state before the first word: ``(h0, c0)`` (``c0`` is
        ``None`` for the vanilla RNN); for the attention cell ``(h0, c0, P)``
        with the annotation vectors ``P (N, L, H)`` it looks at."""
        p = self.params
        f = self._as_features(features)
        if self.cell_type == "attention":
            P, h0, _ = A.attention_init_forward(A.grid_features(f, self.regions), p["W_proj"], p["b_proj"],
                                                p["W_pos"])
            return h0, torch.zeros_like(h0), P
        h0 = f @ p["W_proj"] + p["b_proj"]
        return h0, (torch.zeros_like(h0) if self.cell_type == "lstm" else None)

    @torch.no_grad()
    def step(self, word_ids: torch.Tensor, state):
        """Feed one word per sequence: returns ``(scores (B, V), new_state)``."""
        p = self.params
        h, c = state[:2]
        x = p["W_embed"][word_ids.to(device=self.device, dtype=torch.long)]
        if self.cell_type == "attention":
            P = state[2]
            h, c, _, _ = A.attention_lstm_step_forward(x, h, c, P, p["Wx"], p["Wh"], p["Wz"], p["W_att"], p["b"])
            return h @ p["W_vocab"] + p["b_vocab"], (h, c, P)
        if self.cell_type == "rnn":
            h, _ = L.rnn_step_forward(x, h, p["Wx"], p["Wh"], p["b"])
        else:
            h, c, _ = L.lstm_step_forward(x, h, c, p["Wx"], p["Wh"], p["b"])
        return h @ p["W_vocab"] + p["b_vocab"], (h, c)

    def sample(self, features, max_length: int = 30) -> torch.Tensor:
        """Greedy captions ``(N, max_length)`` of word ids (CPU, int64): the
        first generated word first (no ``<START>``), ``<END>`` kept where a
        caption stops and ``<NULL>`` after it."""
        from .decoding import greedy_decode  # decoding only duck-types the model

        return greedy_decode(self, features, max_length=max_length, top_k=0).ids
