"""A second opinion: another bundled network classifies a result.

A class visualization, fooling image, inversion or dream is made to please
one network; whether a *different* network sees the same thing is the
cross-model question of Szegedy et al. ("Intriguing properties of neural
networks", 2014: fooling images often transfer) and a cheap, honest check
of a visualization (a picture only the working network likes is probably
adversarial texture, not an object).

A result is already a network's whole view, so the judge sees the whole
picture resized to its own input size (no centre crop, which would cut the
edges the working network saw).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..imaging import resize
from ..jobs import Control, Frame
from .classifier import Classifier, Prediction
from .registry import DEFAULT_MODEL, bundled_models, load_model

__all__ = ["Opinion", "judge_view", "second_opinion", "judge_choices", "default_judge", "cached_model", "second_opinion_job"]


def judge_view(judge: Classifier, image: np.ndarray) -> np.ndarray:
    """The whole picture at the judge's input size."""
    image = np.asarray(image, dtype=np.uint8)
    return resize(image, (judge.input_size, judge.input_size))


def second_opinion(judge: Classifier, image: np.ndarray, top: int = 5) -> list[Prediction]:
    """The judge's top-``top`` classes for a result picture (:func:`judge_view`)."""
    with torch.no_grad():
        return judge.classify(judge_view(judge, image), top=top, prepared=True)


def judge_choices(working: str | None = None) -> list[str]:
    """Bundled networks that can judge ``working``'s results (all the others, installed here)."""
    return [name for name in bundled_models() if name != working]


def default_judge(working: str | None = None) -> str | None:
    """Lite1 judges every network but itself, which Lite0 judges."""
    choices = judge_choices(working)
    for name in ("efficientnet_lite1", DEFAULT_MODEL):
        if name in choices:
            return name
    return choices[0] if choices else None


_CACHE: dict[tuple[str, str], Classifier] = {}
_LOCK = threading.Lock()


def cached_model(name: str, device: str | torch.device | None = None) -> Classifier:
    """``load_model(name, device)``, loaded once per process (judges are asked again and again)."""
    key = (name, str(device))
    with _LOCK:
        model = _CACHE.get(key)
        if model is None:
            model = _CACHE[key] = load_model(name, device)
        return model


@dataclass(frozen=True)
class Opinion:
    """What :func:`second_opinion_job` reports: the judge's name and top
    classes; with a working network, its name and its own top; with a target,
    the judge's and the working network's probability of it.  ``same_classes``:
    the judge knows the working network's classes (a network of the user's,
    with its own classes, cannot be judged on its target: no ``target_prob``)."""

    judge: str
    predictions: list[Prediction]
    working: str | None = None
    working_predictions: list[Prediction] = field(default_factory=list)
    target_prob: float | None = None
    working_target_prob: float | None = None
    same_classes: bool = True


def second_opinion_job(judge_name: str, image: np.ndarray, device: str | torch.device | None = None,
                       control: Control | None = None, top: int = 5, working: Classifier | None = None,
                       target: int | None = None) -> Iterator[Frame]:
    """A job (loads the judge once, then classifies): one final frame whose
    ``info`` is an :class:`Opinion`: ``predictions`` and ``judge`` (the
    judge's top-``top``), with ``working``: also ``working_predictions`` (that
    network's own top for the picture, :meth:`Classifier.classify`), and with
    ``target``: the judge's ``target_prob`` and the working network's
    ``working_target_prob`` (the judge's only when it has the working network's
    classes, ``same_classes``).  Returns the judge's predictions."""
    control = control or Control()
    judge = cached_model(judge_name, device)
    if control.cancelled:
        return []
    with torch.no_grad():
        probs = judge.probabilities(judge.preprocess(judge_view(judge, image)))[0]
        same = working is None or tuple(working.labels) == tuple(judge.labels)
        opinion = Opinion(judge.name, judge.top(probs, top), same_classes=same,
                          target_prob=None if target is None or not same else float(probs[int(target)]))
        if working is not None:
            own = working.probabilities(working.preprocess(working.prepare(image)))[0]
            opinion = replace(opinion, working=working.name, working_predictions=working.top(own, top),
                              working_target_prob=None if target is None else float(own[int(target)]))
    yield Frame(step=1, total=1, image=None, info=opinion, final=True)
    return opinion.predictions
