"""A saliency computation as a job (the shape every long job has), so the
GUI runs it on its background thread: first the map, then its deletion and
insertion curves, each reported as a frame as soon as it is ready."""
from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass, replace

import numpy as np

from ..jobs import Cancelled, Control, Frame
from .attribution import SaliencyParams, compute_saliency
from .curves import Curve, deletion_curve, insertion_curve, random_map

__all__ = ["SaliencyResult", "saliency_job"]


@dataclass(frozen=True)
class SaliencyResult:
    """A map on the model's view of the photo, with its curves (``None`` when
    the curves were not asked for) and the name of the network it explains."""

    view: np.ndarray
    saliency: np.ndarray  # HxW float32, non-negative
    target: int
    label: str
    params: SaliencyParams
    deletion: Curve | None = None
    insertion: Curve | None = None
    random_deletion: Curve | None = None
    model: str = ""

    def metadata(self, what: str = "overlay", *, source: str = "", cmap: str = "", opacity: float | None = None) -> dict:
        """The parameters embedded in a saved map or overlay PNG (CLI and tab)."""
        meta = {"kind": f"saliency-{what}", "model": self.model, "source": os.path.basename(source),
                "target": {"index": self.target, "label": self.label}, **self.params.describe(),
                "view": f"model view {self.view.shape[1]}x{self.view.shape[0]}"}
        if cmap:
            meta["cmap"] = cmap
        if opacity is not None:
            meta["opacity"] = opacity
        if self.deletion is not None and self.insertion is not None:
            meta.update(deletion_auc=self.deletion.auc, insertion_auc=self.insertion.auc)
        return meta


def saliency_job(
    model,
    image: np.ndarray,
    target: int | None = None,
    params: SaliencyParams | None = None,
    control: Control | None = None,
    *,
    prepared: bool = False,
    curves: bool = True,
    points: int = 21,
) -> Generator[Frame, None, SaliencyResult | None]:
    """Compute the map of ``control.params`` (or ``params``) for ``target``
    (``None``: the predicted class) on the model's evaluation view of
    ``image`` (``prepared=True``: the image already is that view).

    Frames: one whose ``info`` is the :class:`SaliencyResult` without curves
    (the HxW float32 map, ``target``, ``label``) as soon as the map is ready;
    then, with ``curves``, a final one whose result adds ``deletion``,
    ``insertion`` and ``random_deletion`` (:class:`Curve`; the random-order
    curve is the reference a map has to beat).  Returns that
    :class:`SaliencyResult`, or ``None`` when cancelled.
    """
    if control is None:
        control = Control(params or SaliencyParams())
    p = control.params
    if not isinstance(p, SaliencyParams):
        raise ValueError("the control's parameters must be SaliencyParams")
    view = np.asarray(image).copy() if prepared else model.prepare(image)
    x = model.preprocess(view)
    if target is None:
        target = model.classify(view, 1, prepared=True)[0].index
    target = model.class_index(target) if isinstance(target, str) else int(target)
    if not 0 <= target < len(model.labels):
        raise ValueError(f"target class {target} is out of range 0..{len(model.labels) - 1}")
    label = model.labels[target]
    try:
        sal_t = compute_saliency(model, x, target, p, control=control)[0]
    except Cancelled:
        return None
    saliency = sal_t.detach().cpu().numpy().astype(np.float32)
    result = SaliencyResult(view, saliency, target, label, p, model=model.name)
    yield Frame(step=1, total=2 if curves else 1, image=view, info=result, final=not curves)
    if control.cancelled:
        return None
    if not curves:
        return result
    common = dict(points=points, batch_size=p.batch_size, control=control)
    try:
        deletion = deletion_curve(model, x, sal_t, target, **common)
        insertion = insertion_curve(model, x, sal_t, target, **common)
        reference = deletion_curve(model, x, random_map(*saliency.shape, seed=p.seed, device=x.device), target,
                                   **common)
    except Cancelled:
        return None
    result = replace(result, deletion=deletion, insertion=insertion, random_deletion=reference)
    yield Frame(step=2, total=2, image=view, info=result, final=True)
    return result
