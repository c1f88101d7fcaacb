"""A saliency computation as a job (the shape every long job has), so the
GUI runs it on its background thread: first the map, then its deletion and
insertion curves (:func:`saliency_job`) or its MoRF/LeRF/random removal
curves under a fill-in (:func:`saliency_removal_job`, :func:`removal_job`
for a map already made), each reported as a frame as soon as it is ready;
and the cascading randomisation strip (:func:`sanity_job`)."""
from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass, replace

import numpy as np
import torch

from ..jobs import Cancelled, Control, Frame
from .attribution import SaliencyParams, compute_saliency
from .curves import Curve, deletion_curve, insertion_curve, random_map
from .removal import RemovalCurves, removal_curves
from .sanity import RandomizationStep, cascade, cascade_tops, parameter_modules

__all__ = ["SaliencyResult", "saliency_job", "saliency_removal_job", "removal_job", "sanity_job"]


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
    removal: RemovalCurves | None = None   # MoRF / LeRF / random under one fill-in

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
        if self.removal is not None:
            r = self.removal
            meta.update(fill_in=r.fill, morf_auc=r.morf.auc, lerf_auc=r.lerf.auc, random_order_auc=r.random.auc)
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


def removal_job(model, view: np.ndarray, saliency: np.ndarray, target: int, *, fill: str = "blur", points: int = 21,
                seed: int = 0, batch_size: int = 0,
                control: Control | None = None) -> Generator[Frame, None, RemovalCurves | None]:
    """The MoRF, LeRF and random-order curves (:func:`.removal.removal_curves`)
    of a map already computed on the model's view ``view``: one frame whose
    ``info`` is the :class:`RemovalCurves`; ``None`` when cancelled."""
    control = control or Control({})
    x = model.preprocess(view)
    sal = torch.as_tensor(np.asarray(saliency, dtype=np.float32), device=x.device)
    try:
        curves = removal_curves(model, x, sal, int(target), fill=fill, points=points, seed=seed,
                                batch_size=batch_size, control=control)
    except Cancelled:
        return None
    yield Frame(step=1, total=1, image=view, info=curves, final=True)
    return curves


def saliency_removal_job(model, image: np.ndarray, target: int | None = None, control: Control | None = None, *,
                         fill: str = "blur", points: int = 21) -> Generator[Frame, None, SaliencyResult | None]:
    """:func:`saliency_job`'s map (first frame), then its removal curves
    under ``fill`` (second frame, ``info`` the result with ``removal``)."""
    result = yield from saliency_job(model, image, target, control=control, curves=False)
    if result is None:
        return None
    p = result.params
    curves = None
    for frame in removal_job(model, result.view, result.saliency, result.target, fill=fill, points=points,
                             seed=p.seed, batch_size=p.batch_size, control=control):
        curves = frame.info
        yield Frame(step=2, total=2, image=frame.image, info=replace(result, removal=curves), final=True)
    return None if curves is None else replace(result, removal=curves)


def sanity_job(model, view: np.ndarray, saliency: np.ndarray, target: int, params: SaliencyParams, *,
               pictures: int = 6, control: Control | None = None) -> Generator[Frame, None, list | None]:
    """The cascading randomisation strip of the map ``saliency`` (made with
    ``params`` on ``view``): ``pictures`` steps from the logits down to every
    layer (:func:`.sanity.cascade_tops`), one frame per step whose ``info``
    is the :class:`RandomizationStep` with the randomised model's map.
    Returns the steps, or ``None`` when cancelled."""
    control = control or Control(params)
    x = model.preprocess(view)
    reference = torch.as_tensor(np.asarray(saliency, dtype=np.float32), device=x.device)
    tops = cascade_tops(len(parameter_modules(model.net)), pictures)
    steps: list[RandomizationStep] = []
    try:
        for i, step in enumerate(cascade(model, x, lambda m, xx, t: compute_saliency(m, xx, t, params,
                                                                                     control=control)[0],
                                         int(target), tops, seed=params.seed, reference=reference, control=control)):
            steps.append(step)
            yield Frame(step=i + 1, total=len(tops), image=view, info=step, final=i + 1 == len(tops))
    except Cancelled:
        return None
    return steps
