"""A fooling image at the photo's own size.

:func:`~engine.gradients.fooling.fool` works on the model's view of a photo
(the centre crop resized to the input size), so its result is that small
view.  Here the perturbation it found is carried onto the photo itself: it
is enlarged onto the crop region, and then the ascent goes on at full size
*through* the resize every reader applies (a differentiable antialiased
bicubic, close to Pillow's), until the photo rounded to 8 bits and read the
way every reader reads it (:func:`engine.imaging.model_view`, Pillow's
resize) is the target.  Success is only claimed after that read-back.
Pixels outside the crop are never changed (the network never sees them).
"""
from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..imaging import crop_box
from ..jobs import Cancelled, Control, Frame, uninterrupted
from ..models import Prediction
from ._common import frozen_parameters
from .fooling import FoolParams, FoolResult, perturbation_size

__all__ = ["FullSizeResult", "fool_full_size"]


@dataclass(frozen=True)
class FullSizeResult:
    """``image``: the photo, full size, with the perturbation (uint8);
    ``success``: reading ``image`` back the way every reader does gives the
    target (``read_back`` is that prediction); ``iterations``: ascent steps
    at full size after enlarging the view's perturbation (0 when enlarging
    was enough); ``l2``/``linf`` in 0..255 units against the photo."""

    success: bool
    cancelled: bool
    iterations: int
    image: np.ndarray
    read_back: Prediction
    l2: float
    linf: float

    def metadata(self, fooling: dict) -> dict:
        """The parameters embedded in the saved PNG (the CLI and the tab both
        use this): the fooling run's (:meth:`FoolResult.metadata`) with this
        photo's size, outcome and perturbation."""
        return {**fooling, "view": f"photo {self.image.shape[1]}x{self.image.shape[0]}", "success": self.success,
                "l2": self.l2, "linf": self.linf, "full_size_iterations": self.iterations}

    def as_dict(self) -> dict:
        return {"success": self.success, "cancelled": self.cancelled, "iterations": self.iterations,
                "read_back": self.read_back.as_dict(), "l2": self.l2, "linf": self.linf,
                "size": [int(self.image.shape[1]), int(self.image.shape[0])]}


def _checked_photo(model, photo: np.ndarray, result: FoolResult) -> np.ndarray:
    """``photo`` as an array, once it is an HxWx3 uint8 image whose model view ``result`` fooled."""
    photo = np.asarray(photo)
    if photo.dtype != np.uint8 or photo.ndim != 3 or photo.shape[2] != 3:
        raise ValueError(f"expected an HxWx3 uint8 photo, got {photo.dtype} {photo.shape}")
    if not np.array_equal(model.prepare(photo), result.original):
        raise ValueError("the fooling result was not made from this photo")
    return photo


def _start(model, photo: np.ndarray, result: FoolResult, top: int, left: int, side: int) -> torch.Tensor:
    """The photo's crop (1,3,side,side, 0..255) plus the fooling difference scaled up to it."""
    device = model.device
    crop = torch.from_numpy(photo[top:top + side, left:left + side]).permute(2, 0, 1)[None].float().to(device)
    delta = torch.from_numpy(result.image.astype(np.float32) - result.original.astype(np.float32))
    delta = F.interpolate(delta.permute(2, 0, 1)[None].to(device), size=(side, side), mode="bilinear",
                          align_corners=False)
    return (crop + delta).clamp(0, 255)


def fool_full_size(model, photo: np.ndarray, result: FoolResult, params: FoolParams | None = None,
                   control: Control | None = None) -> Generator[Frame, None, FullSizeResult]:
    """Carry ``result`` (a run of :func:`fool` on ``photo``) onto ``photo`` at
    its own size.  Each step ascends the target logit of the resized crop:
    ``y <- clamp(y + lr * std * s * g / ||g||_2)`` in 0..255 pixel units,
    where ``s`` = crop side / input side, so that the step seen in the
    resized view is about as long as a step of :func:`fool` with the same
    ``lr``.  Stops as soon as the 8-bit photo reads back as the target,
    after ``max_iter`` steps, or when cancelled.  Yields frames (``image``:
    the current model view, metric ``target_prob``); returns a
    :class:`FullSizeResult`."""
    control = control or Control(params or FoolParams())
    photo = _checked_photo(model, photo, result)
    target, size = result.target, model.input_size
    if photo.shape[0] == photo.shape[1] == size:  # read as it is: the view is the photo
        read = model.classify(result.image, 1)[0]
        l2, linf = perturbation_size(photo, result.image)
        return FullSizeResult(read.index == target, False, 0, result.image.copy(), read, l2, linf)
    top, left, side = crop_box(photo.shape[0], photo.shape[1], model.crop_fraction)
    y = _start(model, photo, result, top, left, side)
    unit = float(model.std.mean()) * side / size

    def rounded_photo(tensor: torch.Tensor) -> np.ndarray:
        out = photo.copy()
        out[top:top + side, left:left + side] = tensor[0].permute(1, 2, 0).round().clamp(0, 255).byte().cpu().numpy()
        return out

    def view_logits(tensor: torch.Tensor) -> torch.Tensor:
        view = F.interpolate(tensor, size=(size, size), mode="bicubic", antialias=True, align_corners=False)
        return model.logits(model.from_pixels(view.clamp(0, 255)))[0]

    iterations = 0
    while True:
        try:
            with uninterrupted():
                candidate = rounded_photo(y)
                read = model.classify(candidate, 1)[0]  # exactly as every reader reads it
            if read.index == target or control.cancelled or iterations >= control.params.max_iter:
                break
            with frozen_parameters(model.net), torch.enable_grad():
                leaf = y.detach().requires_grad_(True)
                logits = view_logits(leaf)
                (grad,) = torch.autograd.grad(logits[target], leaf)
            y = (y + control.params.lr * unit * grad / grad.norm().clamp_min(1e-12)).clamp(0, 255)
            iterations += 1
            if control.should_emit():
                with torch.no_grad():
                    prob = float(torch.softmax(logits.detach(), 0)[target])
                yield Frame(step=iterations, total=control.params.max_iter, image=model.prepare(candidate),
                            metrics={"target_prob": prob})
        except Cancelled:  # stopped in the step: candidate and read are still those of y
            break
    l2, linf = perturbation_size(photo, candidate)
    return FullSizeResult(read.index == target, control.cancelled, iterations, candidate, read, l2, linf)
