"""Turning a captioning model into captions: greedy, temperature sampling and
beam search.

Every decoder drives the model one word at a time through two methods it
duck-types (so this module does not import the model):
``model.initial_state(features) -> state`` and
``model.step(word_ids (B,), state) -> (scores (B, V), state)``, where a state
is a tuple of ``(B, H)`` tensors (or ``None``), plus ``model.start_idx``,
``end_idx``, ``null_idx``, ``idx_to_word`` and ``device``.

Each returns a :class:`DecodeResult`: the ids ``(N, max_length)`` (``<END>``
kept where a caption stops, ``<NULL>`` after), the decoded words with the
special tokens removed, and for every step the ``top_k`` most probable words
with their probabilities (what the GUI shows as a bar chart).  Beam search
(e.g. Graves 2012; Wu et al. 2016 for length normalisation) also records, per
step, which hypotheses were kept, which finished and which were dropped.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

__all__ = ["DecodeResult", "Beam", "BeamStep", "greedy_decode", "temperature_sample", "beam_search",
           "decode_captions"]

_SPECIAL = ("<NULL>", "<START>", "<END>", "<UNK>")

TopK = list[tuple[str, float]]


@dataclass(frozen=True)
class Beam:
    """A beam-search hypothesis: generated ids (no ``<START>``), summed log
    probability and its length-normalised score ``log_prob / len(ids)``."""

    ids: tuple[int, ...]
    words: list[str]
    log_prob: float
    score: float


@dataclass(frozen=True)
class BeamStep:
    """What beam search did at one step for one image."""

    step: int
    kept: list[Beam]
    finished: list[Beam]
    dropped: list[Beam]


@dataclass
class DecodeResult:
    """Decoded captions for ``N`` images.  ``top_k[n][t]`` lists ``(word,
    probability)`` pairs at step ``t`` of caption ``n``; ``beams[n]`` (beam
    search only) lists a :class:`BeamStep` per step."""

    ids: torch.Tensor
    words: list[list[str]]
    top_k: list[list[TopK]]
    beams: list[list[BeamStep]] | None = None
    scores: list[float] = field(default_factory=list)

    @property
    def captions(self) -> list[str]:
        return [" ".join(w) for w in self.words]


def decode_captions(ids, idx_to_word: Sequence[str], *, keep_unk: bool = False):
    """Word ids to strings: stops at ``<END>``, drops ``<NULL>``/``<START>``
    (and ``<UNK>`` unless ``keep_unk``).  A 1-D input gives one string, a 2-D
    input a list of strings."""
    t = torch.as_tensor(ids)
    single = t.ndim == 1
    rows = [t.tolist()] if single else t.tolist()
    out = [" ".join(_words(row, idx_to_word, keep_unk=keep_unk)) for row in rows]
    return out[0] if single else out


def _words(row: Sequence[int], idx_to_word: Sequence[str], *, keep_unk: bool = False) -> list[str]:
    words = []
    for i in row:
        w = idx_to_word[int(i)]
        if w == "<END>":
            break
        if w in _SPECIAL and not (keep_unk and w == "<UNK>"):
            continue
        words.append(w)
    return words


def _check_length(max_length: int) -> int:
    if int(max_length) < 1:
        raise ValueError("max_length must be at least 1")
    return int(max_length)


def _topk_lists(probs: torch.Tensor, k: int, idx_to_word: Sequence[str]) -> list[TopK]:
    """``probs (B, V)`` to B lists of the k most probable ``(word, p)``."""
    if k <= 0:
        return [[] for _ in range(probs.shape[0])]
    values, idx = probs.topk(min(k, probs.shape[1]), dim=1)
    return [[(idx_to_word[i], float(v)) for v, i in zip(vr, ir)]
            for vr, ir in zip(values.cpu().tolist(), idx.cpu().tolist())]


@torch.no_grad()
def _stepwise(model, features, pick, max_length: int, top_k: int) -> DecodeResult:
    """Shared loop of greedy and sampled decoding; ``pick(scores) -> (probs, ids)``."""
    max_length = _check_length(max_length)
    state = model.initial_state(features)
    N = state[0].shape[0]
    dev = state[0].device
    words = torch.full((N,), model.start_idx, dtype=torch.long, device=dev)
    out = torch.full((N, max_length), model.null_idx, dtype=torch.long, device=dev)
    done = torch.zeros(N, dtype=torch.bool, device=dev)
    tops: list[list[TopK]] = [[] for _ in range(N)]
    for t in range(max_length):
        scores, state = model.step(words, state)
        probs, chosen = pick(scores)
        chosen = torch.where(done, torch.full_like(chosen, model.null_idx), chosen)
        out[:, t] = chosen
        if top_k > 0:
            active = (~done).cpu().tolist()
            for n, lst in enumerate(_topk_lists(probs, top_k, model.idx_to_word)):
                if active[n]:
                    tops[n].append(lst)
        done = done | (chosen == model.end_idx)
        if bool(done.all()):
            break
        words = chosen
    ids = out.cpu()
    return DecodeResult(ids=ids, words=[_words(r, model.idx_to_word) for r in ids.tolist()], top_k=tops)


def greedy_decode(model, features, *, max_length: int = 30, top_k: int = 5) -> DecodeResult:
    """Pick the most probable word at every step, ``w_t = argmax p(w | w_<t, image)``."""
    def pick(scores):
        probs = torch.softmax(scores, dim=1)
        return probs, probs.argmax(dim=1)

    return _stepwise(model, features, pick, max_length, top_k)


def temperature_sample(model, features, *, temperature: float = 1.0, max_length: int = 30, top_k: int = 5,
                       generator: torch.Generator | None = None, seed: int | None = None) -> DecodeResult:
    """Sample every word from ``softmax(scores / temperature)`` (lower is
    closer to greedy, higher more varied).  ``seed`` (or a ``generator`` on
    the model's device) makes it reproducible.  ``top_k`` reports the tempered
    probabilities that were sampled from."""
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError("temperature must be a positive finite number")
    if generator is None and seed is not None:
        generator = torch.Generator(device=model.device).manual_seed(int(seed))

    def pick(scores):
        probs = torch.softmax(scores / temperature, dim=1)
        return probs, torch.multinomial(probs, 1, generator=generator).squeeze(1)

    return _stepwise(model, features, pick, max_length, top_k)


#: A beam-search hypothesis: (word ids, summed log probability, top-k lists of its steps).
Hypothesis = tuple[tuple[int, ...], float, tuple]


@torch.no_grad()
def beam_search(model, features, *, beam_width: int = 5, max_length: int = 30, top_k: int = 5) -> DecodeResult:
    """Beam search with length-normalised scores ``sum_t log p(w_t) / length``.

    At every step each image's ``beam_width`` live hypotheses are extended by
    every word; of the ``2 * beam_width`` best extensions (by summed log
    probability) those ending in ``<END>`` that rank among the first
    ``beam_width`` are finished, the best ``beam_width`` others are kept and
    the rest dropped (so ``beam_width=1`` is exactly greedy decoding).  An image stops when
    it has ``beam_width`` finished hypotheses, at ``max_length`` the live ones
    count as finished, and the best normalised score wins.
    """
    k = int(beam_width)
    if k < 1:
        raise ValueError("beam_width must be at least 1")
    max_length = _check_length(max_length)
    h0 = model.initial_state(features)
    N = h0[0].shape[0]
    dev = h0[0].device
    rows = torch.arange(N, device=dev).repeat_interleave(k)
    state = tuple(s.index_select(0, rows) if s is not None else None for s in h0)
    # per image: live hypotheses; slot j <-> row n*k + j
    live: list[list[Hypothesis]] = [[((), 0.0, ())] for _ in range(N)]
    finished: list[list[Hypothesis]] = [[] for _ in range(N)]
    history: list[list[BeamStep]] = [[] for _ in range(N)]
    last = torch.full((N * k,), model.start_idx, dtype=torch.long, device=dev)
    for t in range(max_length):
        if not any(live):
            break
        scores, state = model.step(last, state)
        logp = torch.log_softmax(scores, dim=1)
        vals, idx = _best_extensions(logp, live, k)
        tops = _topk_lists(logp.exp(), top_k, model.idx_to_word)
        parents = torch.arange(N * k).reshape(N, k).clone()
        next_words = torch.full((N, k), model.null_idx, dtype=torch.long)
        for n in range(N):
            if not live[n]:
                continue
            kept, new_fin, dropped = _sort_extensions(model, live[n], vals[n], idx[n], tops[n * k: (n + 1) * k], k)
            for slot, (j, hyp) in enumerate(kept):
                parents[n, slot] = n * k + j
                next_words[n, slot] = hyp[0][-1]
            kept = [hyp for _, hyp in kept]
            finished[n].extend(new_fin)
            live[n] = kept if len(finished[n]) < k and t < max_length - 1 else []
            if t == max_length - 1:
                finished[n].extend(kept)
            history[n].append(BeamStep(step=t, kept=_beams(kept, model.idx_to_word),
                                       finished=_beams(new_fin, model.idx_to_word),
                                       dropped=_beams(dropped, model.idx_to_word)))
        sel = parents.reshape(-1).to(dev)
        state = tuple(s.index_select(0, sel) if s is not None else None for s in state)
        last = next_words.reshape(-1).to(dev)
    return _best_of(finished, history, max_length, model)


def _best_extensions(logp: torch.Tensor, live: list[list[Hypothesis]], k: int) -> tuple[list, list]:
    """Per image, the ``2k`` best (summed log probability, ``slot * V + word``) of every live
    hypothesis extended by every word (empty slots at ``-inf``), as lists."""
    N, V = len(live), logp.shape[1]
    base = torch.full((N, k), -math.inf, dtype=logp.dtype, device=logp.device)
    for n, hyps in enumerate(live):
        base[n, : len(hyps)] = torch.tensor([h[1] for h in hyps], dtype=logp.dtype)
    total = (base.reshape(N * k, 1) + logp).reshape(N, k * V)
    vals, idx = total.topk(min(2 * k, k * V), dim=1)
    return vals.cpu().tolist(), idx.cpu().tolist()


def _sort_extensions(model, hyps: list[Hypothesis], vals: list[float], idx: list[int], tops: list, k: int):
    """One image's ranked extensions sorted into ``kept`` (``(slot it came from, hypothesis)``, at
    most ``k``), ``finished`` (ending in ``<END>`` among the first ``k``) and ``dropped``."""
    V = len(model.idx_to_word)
    kept, finished, dropped = [], [], []
    for rank, (v, i) in enumerate(zip(vals, idx)):
        if v == -math.inf:
            continue
        j, w = divmod(i, V)
        ids, _, hist = hyps[j]
        hyp = (ids + (w,), v, hist + (tops[j],))
        if w == model.end_idx and rank < k:
            finished.append(hyp)
        elif w == model.end_idx or len(kept) >= k:
            dropped.append(hyp)
        else:
            kept.append((j, hyp))
    return kept, finished, dropped


def _beams(hyps: list[Hypothesis], itw: Sequence[str]) -> list[Beam]:
    return [Beam(ids=ids, words=_words(ids, itw), log_prob=logp, score=logp / max(1, len(ids)))
            for ids, logp, _ in hyps]


def _best_of(finished: list[list[Hypothesis]], history: list[list[BeamStep]], max_length: int, model) -> DecodeResult:
    """Each image's finished hypothesis of the best length-normalised score."""
    ids = torch.full((len(finished), max_length), model.null_idx, dtype=torch.long)
    words, all_tops, best_scores = [], [], []
    for n, hyps in enumerate(finished):
        best = max(hyps, key=lambda h: h[1] / max(1, len(h[0])), default=((), 0.0, ()))
        if best[0]:
            ids[n, : len(best[0])] = torch.tensor(best[0])
        words.append(_words(best[0], model.idx_to_word))
        all_tops.append(list(best[2]))
        best_scores.append(best[1] / max(1, len(best[0])))
    return DecodeResult(ids=ids, words=words, top_k=all_tops, beams=history, scores=best_scores)
