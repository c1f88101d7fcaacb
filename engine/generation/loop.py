"""The one optimisation loop of image generation, and its step rules.

:func:`optimize` is a generator: each step it reads the latest parameter
snapshot from ``control.params`` (so learning rate, weights, blur, jitter and
the number of steps change while it runs), asks a *gradient oracle* to fill
the ``.grad`` of the optimised tensors with the gradient of a loss to
minimise, applies a step rule, runs the post-step operations (clamp, blur),
and yields a :class:`~engine.jobs.Frame` when ``control.should_emit()``.
Metrics stay on the device until a frame is emitted (no per-step host sync).

Step rules (both read ``p.lr`` every step):

* :class:`AdamStep` -- Adam (Kingma & Ba 2015), as Lucid uses for Fourier
  parameterisations.
* :class:`NormalizedStep` -- ``x <- x - lr / std * g / mean|g|``: a step whose
  mean size is ``lr`` pixel units whatever the gradient's scale (DeepDream's
  ``make_step``, also used for plain-pixel class visualization).
"""
from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..jobs import Cancelled, Control, Frame

__all__ = ["AdamStep", "NormalizedStep", "optimize", "LoopResult"]

Metrics = dict[str, torch.Tensor]


class AdamStep:
    """Adam on ``tensors`` with the learning rate read from ``p.lr`` each step."""

    def __init__(self, tensors: Sequence[torch.Tensor]) -> None:
        self.tensors = list(tensors)
        self.optimizer = torch.optim.Adam(self.tensors, lr=1e-3)

    def step(self, p: Any) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = float(p.lr)
        self.optimizer.step()


class NormalizedStep:
    """Normalised gradient descent in pixel units: the mean absolute change of
    a pixel per step is ``p.lr`` (0..255 scale), converted to the model's
    normalised space by the per-channel ``std``."""

    def __init__(self, tensors: Sequence[torch.Tensor], std: torch.Tensor) -> None:
        self.tensors = list(tensors)
        self.inv_std = 1.0 / std

    @torch.no_grad()
    def step(self, p: Any) -> None:
        for t in self.tensors:
            if t.grad is None:
                continue
            g = t.grad
            mean_abs = torch.linalg.vector_norm(g, ord=1) / g.numel()
            t.addcmul_(g, self.inv_std * (float(p.lr) / mean_abs.clamp_min(1e-12)), value=-1.0)


@dataclass
class LoopResult:
    """What :func:`optimize` returns: steps done, whether it was cancelled, the
    last metrics (floats) and ``image``: the last ``render()`` when nothing
    changed after it (``None`` otherwise), so a job that ends need not draw the
    same picture again."""

    steps: int = 0
    cancelled: bool = False
    metrics: dict[str, float] = field(default_factory=dict)
    image: Any = None


def _floats(metrics: Metrics) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()}


def _gradient(tensors: Sequence[torch.Tensor], gradient: Callable[[Any, int], Metrics], p: Any, step: int) -> Metrics:
    """Clear the tensors' gradients and have ``gradient`` fill them; its metrics."""
    for t in tensors:
        t.grad = None
    return gradient(p, step)


def optimize(
    *,
    tensors: Sequence[torch.Tensor],
    gradient: Callable[[Any, int], Metrics],
    rule: AdamStep | NormalizedStep,
    control: Control,
    steps: Callable[[Any], int],
    render: Callable[[], np.ndarray],
    after_step: Callable[[Any, int], None] | None = None,
    step_offset: int = 0,
    total: Callable[[Any], int] | None = None,
    extra: Callable[[], dict] | None = None,
    info: Callable[[], Any] | None = None,
    start_image: Any = None,
) -> Generator[Frame, None, LoopResult]:
    """Run ``steps(p)`` steps (re-read every step) and yield frames.

    * ``gradient(p, step)`` fills ``t.grad`` for every tensor (gradient of
      the loss to *minimise*) and returns detached metric tensors.
    * ``after_step(p, step)`` runs after the update (clamp, periodic blur).
    * ``render()`` returns the current image as uint8 HxWx3 (called only
      when a frame is emitted); ``extra()`` adds to ``Frame.extra`` and
      ``info()`` is ``Frame.info``.
    * ``start_image``: ``render()`` of the starting tensors, if the caller has
      it.  The result's ``image`` is the picture of the tensors at the end when
      one was drawn after the last update: a Stop in the middle of a
      1024-px step then ends without drawing the picture again (about 35 ms).
    * Frame steps are offset by ``step_offset`` and their total is
      ``total(p)`` (default ``steps(p)``), for jobs made of several stages.
    """
    result = LoopResult(image=start_image)
    metrics: Metrics = {}
    step = 0
    while True:
        p = control.params
        if step >= steps(p) or control.cancelled:
            break
        try:
            metrics = _gradient(tensors, gradient, p, step)
        except Cancelled:  # stopped inside the network's pass (a large image): the last full step stands
            break
        if control.cancelled:  # stopped while the gradient was computed: no update, no frame to render
            break
        rule.step(p)
        result.image = None  # the tensors changed: no picture of them yet
        if after_step is not None:
            with torch.no_grad():
                after_step(p, step)
        step += 1
        if control.should_emit():
            result.metrics = _floats(metrics)
            result.image = render()
            yield Frame(step=step_offset + step, total=(total or steps)(control.params), image=result.image,
                        metrics=dict(result.metrics), extra=extra() if extra is not None else {},
                        info=info() if info is not None else None)
    result.steps = step
    result.cancelled = control.cancelled
    if metrics:
        result.metrics = _floats(metrics)
    return result
