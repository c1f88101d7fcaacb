"""One photo of the folder report scored: the model's view of it and the
table of every method's metrics (:func:`~.evaluation.evaluate_methods`),
the same in this process (:mod:`.folder_eval`) and on a Dask worker
(:mod:`.folder_cluster`)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..jobs import Control
from .annotations import boxes_in_view
from .evaluation import MethodTable, evaluate_methods
from .localization import Box

__all__ = ["score_photo"]


def score_photo(model, image: np.ndarray, boxes: Sequence[Box], *, methods: Sequence[str], fills: Sequence[str],
                points: int, sanity: bool, control: Control | None = None) -> tuple[np.ndarray, MethodTable | None]:
    """One photo: the model's view of it and its :class:`MethodTable` (``None`` when stopped inside it);
    ``boxes`` in the photo's pixels."""
    view_boxes = boxes_in_view(boxes, *image.shape[:2], model.input_size, model.crop_fraction)
    table = None
    for frame in evaluate_methods(model, image, methods=methods, fills=fills, boxes=view_boxes, points=points,
                                  sanity=sanity, control=control):
        table = frame.info
    if table is None or len(table.rows) != len(methods) + 1:
        table = None
    return model.prepare(image), table
