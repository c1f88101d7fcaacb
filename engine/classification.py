"""Classification as a job (the same shape as every long job, so the GUI runs
it on its background thread like the others)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .jobs import Control, Frame
from .models import Classifier, Prediction

__all__ = ["Classified", "classify_job"]


@dataclass(frozen=True)
class Classified:
    """What :func:`classify_job` reports: the top classes and the network's name."""

    predictions: list[Prediction]
    model: str


def classify_job(model: Classifier, image: np.ndarray, control: Control | None = None, top: int = 5) -> Iterator[Frame]:
    """Classify ``image`` (the model's view of it, ``model.prepare``); yields
    one final frame whose ``info`` is a :class:`Classified` (the top-``top``
    list and the network's name), and returns the list."""
    control = control or Control()
    if control.cancelled:
        return []
    view = model.prepare(image)
    predictions: list[Prediction] = model.classify(view, top=top, prepared=True)
    yield Frame(step=1, total=1, image=view, info=Classified(predictions, model.name), final=True)
    return predictions
