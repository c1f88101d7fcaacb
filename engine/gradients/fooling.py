"""Fooling images (Szegedy, Zaremba, Sutskever, Bruna, Erhan, Goodfellow &
Fergus, "Intriguing properties of neural networks", ICLR 2014): gradient
ascent on a target class score until the network predicts that class.

The image is worked on at the model's view of it (``model.prepare``, i.e.
:func:`engine.imaging.model_view`: a picture already at the input size as it
is, any other the centre crop of 87.5 % of the shorter side resized to the
input size).  The result, the frames and the perturbation sizes all refer to
that view, so the saved fooling image is read back, by ``classify`` or any
tab, exactly as it was made.
"""
from __future__ import annotations

import math
import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from ..jobs import Cancelled, Control, Frame, uninterrupted
from ..models import Prediction
from ..params import Params, param
from ._common import frozen_parameters

__all__ = ["FoolParams", "FoolResult", "FoolingStep", "fool", "difference_image", "perturbation_size"]


@dataclass(frozen=True)
class FoolParams(Params):
    """``lr``: step length in the normalised input space (> 0, default 1);
    ``max_iter``: most gradient steps (1..100000, default 100).  Both may be
    changed while a run goes on (``control.update``)."""

    lr: float = param(1.0, "Learning rate", low=0.0, strict_low=True, high=1000.0, step=0.1, decimals=3,
                      help="Step length ||dX||_2 in the normalised input space",
                      slider=(0.01, 5.0))
    max_iter: int = param(100, "Max iterations", low=1, high=100_000, step=10,
                          help="Most gradient steps before giving up")


@dataclass(frozen=True)
class FoolingStep:
    """What a frame of :func:`fool` reports besides the image and metrics:
    the magnified difference from the original (and its factor), the class
    the network sees now, and on the final frame the top 5 of the 8-bit
    image (``None`` before)."""

    difference: np.ndarray
    difference_factor: float
    predicted_index: int
    predicted_label: str
    predicted_prob: float
    predictions: list[Prediction] | None = None


@dataclass(frozen=True)
class FoolResult:
    """Outcome of a fooling run.  ``image`` is the final 8-bit image (what
    gets saved); ``final_prediction`` is the network's top class for exactly
    that 8-bit image, and ``success`` means it is the target.  ``l2`` and
    ``linf`` measure ``image - original`` in 0..255 pixel units over all
    three channels."""

    success: bool
    cancelled: bool
    iterations: int
    rounding_retries: int  # steps on which the 8-bit rounding undid the fool and the ascent went on
    target: int
    target_label: str
    image: np.ndarray
    original: np.ndarray
    original_prediction: Prediction
    final_prediction: Prediction
    l2: float
    linf: float
    model: str = ""  # the name of the network that was fooled

    def difference(self) -> tuple[np.ndarray, float]:
        """The magnified difference image and its magnification factor."""
        return difference_image(self.original, self.image)

    def as_dict(self) -> dict:
        return {
            "success": self.success, "cancelled": self.cancelled, "iterations": self.iterations,
            "rounding_retries": self.rounding_retries, "target": {"index": self.target, "label": self.target_label},
            "original_prediction": self.original_prediction.as_dict(),
            "final_prediction": self.final_prediction.as_dict(),
            "l2": self.l2, "linf": self.linf, "model": self.model,
        }

    def metadata(self, kind: str = "fooling", *, source: str = "", lr: float | None = None,
                 max_iter: int | None = None) -> dict:
        """The parameters embedded in a saved PNG (the CLI and the tab both use this)."""
        meta = {"kind": kind, "model": self.model, "source": os.path.basename(source),
                "target": {"index": self.target, "label": self.target_label}, "iterations": self.iterations,
                "success": self.success, "l2": self.l2, "linf": self.linf,
                "view": f"model view {self.image.shape[1]}x{self.image.shape[0]}"}
        if lr is not None:
            meta["lr"] = lr
        if max_iter is not None:
            meta["max_iter"] = max_iter
        if kind == "fooling-difference":
            meta["magnification"] = self.difference()[1]
        return meta


def perturbation_size(original: np.ndarray, modified: np.ndarray) -> tuple[float, float]:
    """(L2, L-infinity) of ``modified - original`` in 0..255 units."""
    d = modified.astype(np.int32) - original.astype(np.int32)
    return float(np.sqrt(np.sum(d.astype(np.float64) ** 2))), float(np.abs(d).max(initial=0))


def difference_image(original: np.ndarray, modified: np.ndarray, factor: float | None = None) -> tuple[np.ndarray, float]:
    """Visualise ``modified - original`` as ``128 + factor * d`` (uint8).

    With ``factor=None`` the largest absolute difference is stretched to 127
    (factor ``127 / max|d|``, 1 when the images are equal).  Returns the
    image and the factor used."""
    d = modified.astype(np.float32) - original.astype(np.float32)
    if factor is None:
        peak = float(np.abs(d).max(initial=0))
        factor = 127.0 / peak if peak > 0 else 1.0
    if not (math.isfinite(factor) and factor > 0):
        raise ValueError(f"magnification factor must be a positive number, got {factor}")
    return np.clip(np.rint(128.0 + factor * d), 0, 255).astype(np.uint8), float(factor)


def _quantise(model, x: torch.Tensor) -> torch.Tensor:
    """The normalised tensor of the 8-bit image ``x`` rounds to (on device)."""
    return model.from_pixels(model.to_pixels(x).clamp(0, 255).round())


def _prediction(model, logits: torch.Tensor, index: int) -> Prediction:
    prob = float(torch.softmax(logits, dim=0)[index])
    return Prediction(index, model.labels[index], prob)


def _forward(model, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits (1000,) of ``x`` with a graph back to a fresh leaf copy of it.
    Grad mode is set here, not across the generator's ``yield``s, so the
    consumer's own grad mode never leaks in or out."""
    with frozen_parameters(model.net), torch.enable_grad():
        leaf = x.detach().requires_grad_(True)
        return leaf, model.logits(leaf)[0]


def _frame(model, x, logits, target, original, step, total, final=False) -> Frame:
    image = model.deprocess(x)
    logits = logits.detach()
    probs = torch.softmax(logits, dim=0)
    top = int(logits.argmax())
    l2, linf = perturbation_size(original, image)
    diff, factor = difference_image(original, image)
    info = FoolingStep(diff, factor, top, model.labels[top], float(probs[top]),
                       model.top(probs, 5) if final else None)
    return Frame(
        step=step, total=total, image=image, final=final, info=info,
        metrics={"target_score": float(logits[target]), "top_score": float(logits[top]),
                 "target_prob": float(probs[target]), "l2": l2, "linf": linf},
    )


def fool(
    model,
    image: np.ndarray,
    target: int,
    params: FoolParams | None = None,
    control: Control | None = None,
    *,
    prepared: bool = False,
) -> Generator[Frame, None, FoolResult]:
    """Gradient ascent on the target logit ``S_t`` until the network predicts ``t``.

    Each step, in the normalised input space and on the model's device:

        ``g = dS_t/dx,   x <- clamp(x + lr * g / ||g||_2)``

    where ``clamp`` keeps every pixel in 0..255.  Whenever the prediction is
    the target, the image rounded to 8 bits is classified too; the run stops
    as soon as that rounded image is the target, so the returned (and saved)
    8-bit image is itself classified as the target whenever ``success`` is
    true.  If rounding undid the fool, the ascent goes on from the unrounded
    image: restarting from the rounded one would retrace the same sub-grey-
    level steps and round back again (measured: with lr 0.1 on coffee.png,
    140 such retries and no success in 300 steps), whereas the unrounded
    image keeps gaining margin until rounding cannot undo it.  The run also
    stops after ``max_iter`` steps or when ``control`` is cancelled.

    ``params`` builds a :class:`Control` when none is given; otherwise
    ``control.params`` (a :class:`FoolParams`) is read every step, so
    ``lr`` and ``max_iter`` can change live.  Yields a :class:`Frame` when
    ``control.should_emit()`` (image, target/top score, target probability,
    L2/L-inf so far; ``info``: a :class:`FoolingStep`, the magnified
    difference and current prediction) and a last frame with ``final=True``
    (its ``info.predictions``: the top 5 for the final 8-bit image); returns a
    :class:`FoolResult`.
    """
    control = _fool_control(params, control)
    image = np.asarray(image)
    target = _check_fool_input(model, image, target)
    original = image.copy() if prepared else model.prepare(image)
    ascent = _Ascent(model.preprocess(original))
    yield from _climb(model, ascent, target, control, original)
    if ascent.original_prediction is None:  # cancelled before the first pass ended
        with uninterrupted(), torch.no_grad():
            logits = model.logits(ascent.x)[0]
        ascent.original_prediction = _prediction(model, logits, int(logits.argmax()))
    with uninterrupted(), torch.no_grad():
        x = _quantise(model, ascent.x)
        logits = model.logits(x)[0]
    final = model.deprocess(x)
    predicted = int(logits.argmax())
    yield _frame(model, x, logits, target, original, ascent.iterations, control.params.max_iter, final=True)
    l2, linf = perturbation_size(original, final)
    return FoolResult(
        success=predicted == target, cancelled=control.cancelled, iterations=ascent.iterations,
        rounding_retries=ascent.retries, target=target, target_label=model.labels[target], image=final,
        original=original, original_prediction=ascent.original_prediction,
        final_prediction=_prediction(model, logits, predicted), l2=l2, linf=linf, model=model.name,
    )


def _fool_control(params: FoolParams | None, control: Control | None) -> Control:
    if control is None:
        control = Control(params or FoolParams())
    if not isinstance(control.params, FoolParams):
        raise ValueError("the control's parameters must be FoolParams")
    return control


def _check_fool_input(model, image: np.ndarray, target) -> int:
    """``target`` as an ``int`` once ``image`` (HxWx3 uint8) and ``target`` (a class index) are checked."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 image, got {image.dtype} {image.shape}")
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) or not 0 <= int(target) < len(model.labels):
        raise ValueError(f"target class must be an index in 0..{len(model.labels) - 1}, got {target!r}")
    return int(target)


@dataclass
class _Ascent:
    """Where a :func:`fool` run stands: the normalised image ``x``, whether it is the exact tensor of
    an 8-bit image (``quantised``), the steps and rounding retries so far, and the network's
    prediction for the original (``None`` until the first pass ended)."""

    x: torch.Tensor
    quantised: bool = True
    iterations: int = 0
    retries: int = 0
    original_prediction: Prediction | None = None


def _climb(model, ascent: _Ascent, target: int, control: Control, original: np.ndarray) -> Iterator[Frame]:
    """The gradient ascent of :func:`fool`, updating ``ascent``; yields the frames it emits and
    ends at success (the 8-bit image is the target), ``max_iter`` steps, or a cancel."""
    while True:
        try:
            p = control.params
            leaf, logits = _forward(model, ascent.x)
            predicted = int(logits.argmax())
            if ascent.original_prediction is None:
                ascent.original_prediction = _prediction(model, logits.detach(), predicted)
            if control.should_emit():
                yield _frame(model, ascent.x, logits, target, original, ascent.iterations, p.max_iter)
            if control.cancelled or (predicted == target and _fooled_in_8_bits(model, ascent, target)):
                return
            if ascent.iterations >= p.max_iter:
                return
            (grad,) = torch.autograd.grad(logits[target], leaf)
            step = p.lr * grad / grad.norm().clamp_min(1e-12)
            ascent.x = model.clamp(ascent.x.detach() + step)
            ascent.quantised = False
            ascent.iterations += 1
        except Cancelled:  # stopped inside the network's pass: x is the last full step
            return


def _fooled_in_8_bits(model, ascent: _Ascent, target: int) -> bool:
    """The network predicts ``target`` for ``ascent.x``: does it for the 8-bit image too?  If so,
    ``x`` becomes that image; if rounding undid the fool, the ascent goes on from the unrounded one."""
    if ascent.quantised:
        return True
    rounded = _quantise(model, ascent.x)  # the 8-bit image is what counts
    with torch.no_grad():
        if int(model.logits(rounded)[0].argmax()) == target:
            ascent.x, ascent.quantised = rounded, True
            return True
    ascent.retries += 1  # rounding undid the fool: keep climbing from the unrounded image
    return False
