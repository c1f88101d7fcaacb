"""Corpus BLEU (Papineni et al. 2002, "BLEU: a method for automatic
evaluation of machine translation").

For n = 1..4 the modified precision pools clipped n-gram counts over the
whole corpus::

    p_n = sum_cand sum_ngram min(count_cand(ngram), max_ref count_ref(ngram))
          / sum_cand sum_ngram count_cand(ngram)

the brevity penalty uses the total candidate length ``c`` and the summed
effective reference lengths ``r`` (per candidate the reference length closest
to the candidate's, the shorter on a tie): ``BP = 1`` if ``c > r`` else
``exp(1 - r / c)``; and ``BLEU-N = BP * exp(sum_{n<=N} log(p_n) / N)``
(uniform weights; 0 when any ``p_n`` is 0).  Special tokens are removed first.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

__all__ = ["corpus_bleu", "strip_special", "tokenize", "SPECIAL_TOKENS"]

SPECIAL_TOKENS = frozenset({"<NULL>", "<START>", "<END>", "<UNK>"})


def strip_special(tokens: Iterable[str]) -> list[str]:
    """The tokens without ``<NULL>``, ``<START>``, ``<END>``, ``<UNK>``."""
    return [t for t in tokens if t not in SPECIAL_TOKENS]


def tokenize(sentence: str | Sequence[str]) -> list[str]:
    """A caption string (split on whitespace) or a token list, special tokens removed."""
    tokens = sentence.split() if isinstance(sentence, str) else list(sentence)
    return strip_special(tokens)


def _ngrams(tokens: Sequence[str], n: int) -> Counter:
    return Counter(tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(references: Sequence[Sequence[str | Sequence[str]]],
                hypotheses: Sequence[str | Sequence[str]], max_n: int = 4) -> dict[str, float]:
    """BLEU-1..``max_n`` of a corpus.

    ``hypotheses[k]`` is one caption (a string or a token list) and
    ``references[k]`` the list of its reference captions.  Returns
    ``{'bleu1': ..., ..., 'bleu4': ...}`` in ``[0, 1]``.
    """
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} reference lists")
    matches = [0] * max_n
    totals = [0] * max_n
    c_len = r_len = 0
    for refs, hyp in zip(references, hypotheses):
        hyp_t = tokenize(hyp)
        refs_t = [tokenize(r) for r in refs]
        if not refs_t:
            raise ValueError("every hypothesis needs at least one reference")
        c_len += len(hyp_t)
        r_len += min((abs(len(r) - len(hyp_t)), len(r)) for r in refs_t)[1]
        for n in range(1, max_n + 1):
            cand = _ngrams(hyp_t, n)
            if not cand:
                continue
            max_ref: Counter = Counter()
            for r in refs_t:
                max_ref |= _ngrams(r, n)            # elementwise max of counts
            matches[n - 1] += sum(min(c, max_ref[g]) for g, c in cand.items())
            totals[n - 1] += sum(cand.values())
    bp = 0.0 if c_len == 0 else (1.0 if c_len > r_len else math.exp(1 - r_len / c_len))
    scores = {}
    log_sum = 0.0
    for n in range(1, max_n + 1):
        if totals[n - 1] == 0 or matches[n - 1] == 0:
            log_sum = -math.inf
        else:
            log_sum += math.log(matches[n - 1] / totals[n - 1])
        scores[f"bleu{n}"] = 0.0 if log_sum == -math.inf else bp * math.exp(log_sum / n)
    return scores
