"""Class visualization: an image the network recognises as a chosen class.

Gradient ascent from seeded noise on the class score minus image priors
(Simonyan, Vedaldi & Zisserman, "Deep Inside Convolutional Networks", ICLR
2014 workshop; with the jitter and periodic blur of Yosinski et al. 2015)::

    x* = argmax_x  S_c(T(x)) - l2 * ||x||^2/n - tv * TV(x)/n

where ``T`` is a random view (pad, jitter, small scale and rotation).  Two
parameterisations of ``x`` (see :mod:`.parameterizations`):

* ``"fourier"`` (default): Lucid's decorrelated Fourier image with Adam and
  transformation robustness -- the class's object appears (Olah et al.,
  "Feature Visualization", Distill 2017).  The default recipe (issue #15,
  measured on the 12-class grid of ``tests/bench/classviz_grid.py``) renders
  224 px in 512 steps, caps the image's contrast at a photo-like level
  (less saturated noise; in the spirit of MACO's magnitude constraint, Fel
  et al. 2023), and shows the network each step's view at a random scale
  between half and full size (``min_view``: multi-scale transformation
  robustness; the object must be recognisable small as well as large, which
  gives larger, clearer shapes and less fine "hair", and the smaller views
  make a step cheaper), with a steeper spectrum (``decay`` 1.5).  A
  coarse-to-fine opening of the spectrum is available (``coarse``); it gave
  larger, blurrier shapes and is off by default.
* ``"maco"``: MACO (Fel et al., NeurIPS 2023): only the phase of the
  decorrelated image's spectrum is optimised, its magnitude fixed to that of
  the shipped photos (:class:`.parameterizations.MacoImage`); paler, more
  photo-like pictures that stay so on deeper networks.  The recommended
  choice per network is :data:`PARAMETERIZATION_BY_NETWORK`.
* ``"pixels"``: the classic loop (normalised gradient steps, jitter, blur
  every few steps, clamp) -- reaches the class as confidently but looks like
  coloured high-frequency noise.
"""
from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from ..jobs import Control, Frame, interrupt_here
from ..params import Params, param
from ..validation import check_choice
from .grey_image import as_seen_by
from .importance import Importance, ImportanceMap
from .loop import optimize
from .objectives import class_logit
from .parameterizations import PARAMETERIZATION_TITLES, PARAMETERIZATIONS, make_parameterization
from .prior_params import l2_weight, periodic_blur_every, periodic_blur_sigma, tv_weight
from .regularizers import l2_penalty, total_variation
from .transforms import robust_view
from .unit_objectives import UnitObjective

__all__ = ["ClassVizParams", "class_visualization", "generate", "recommended_parameterization", "MAX_SIZE"]

#: MACO's Adam step on the phase (radians), measured on the 12-class grid.
MACO_LR = 0.1
#: The parameterisation class visualization starts with on each bundled network, chosen by eye on the
#: 12-class grid of tests/bench/classviz_grid.py (README, issue #28): MACO where it names more classes.
PARAMETERIZATION_BY_NETWORK = {"efficientnet_lite2": "maco"}
MAX_SIZE = 1024  # as inversion: a step at 2048 px takes ~15 s here, and one op of it longer than a prompt Stop allows


@dataclass(frozen=True)
class ClassVizParams(Params):
    """Live parameters of :func:`class_visualization` (all may change mid-run
    except ``parameterization``, ``size`` and ``decay``, read once at the start).

    ``size``: side of the generated square image; up to the network's input
    size, every random view of it (padded, so a little larger) is resized to
    the input size (Lucent renders 128 px upsampled this way); larger images
    are seen at their own scale.  ``decay``: the Fourier spectrum's frequency
    scaling exponent (1 in Lucid; 1.5, measured on EfficientNet-Lite0, gives
    larger, more object-like shapes).  ``contrast``: the standard deviation
    the image's variation is capped at (:class:`.parameterizations.FourierImage`;
    0 = free, as in Lucid, which saturates).  ``coarse``: the fraction of
    ``steps`` over which the updated frequency band opens from 1/16 cycles per
    pixel to all (:func:`coarse_to_fine_cutoff`; skipped on a warm start).

    ``lr``: Adam learning rate (fourier) or mean pixel change per step in
    0..255 units (pixels).  ``l2``/``tv``: weights of the mean-squared and
    total-variation priors (normalised space).  ``blur_every``/``blur_sigma``:
    Gaussian blur of the pixels every so many steps (0 = never; pixels only).
    ``jitter``/``pad``/``scale``/``rotate``: the random view (pixels,
    relative scale amount, degrees).  ``min_view``: the view is then shrunk
    by a random factor between this and 1 (antialiased; :func:`view_at_scale`).
    """

    parameterization: str = param("fourier", "Parameterisation", choices=PARAMETERIZATION_TITLES, live=False,
                                  help="How the image is represented while it is optimised")
    size: int = param(224, "Image size", low=16, high=MAX_SIZE, step=16, unit="px", live=False,
                      help="Side of the generated square image")
    decay: float = param(1.5, "Spectrum decay", low=0.0, high=3.0, step=0.05, live=False,
                         help="Fourier frequency scaling exponent: higher = smoother, larger shapes")
    contrast: float = param(3.0, "Contrast", low=0.0, high=10.0, step=0.05, decimals=2, slider=(0.0, 4.0),
                            help="Fourier: the image's variation is capped at this standard deviation (decorrelated "
                                 "logits; photos have 1-3); 0 = free, which saturates")
    coarse: float = param(0.0, "Coarse to fine", low=0.0, high=1.0, step=0.05, decimals=2, slider=(0.0, 1.0),
                          help="Fourier: fraction of the steps over which the frequency band opens, large shapes "
                               "first; 0 = all frequencies from the start")
    steps: int = param(512, "Steps", low=0, high=100_000, step=10,
                       help="Optimisation steps; change it to run longer or stop earlier")
    lr: float = param(0.05, "Learning rate", low=0.0, high=1000.0, step=0.01, decimals=3,
                      help="Adam step (fourier) or mean pixel change per step (pixels)",
                      slider=(0.0, 0.2))
    l2: float = l2_weight(0.0)
    tv: float = tv_weight(0.0)
    blur_every: int = periodic_blur_every()
    blur_sigma: float = periodic_blur_sigma()
    jitter: int = param(8, "Jitter", low=0, high=256, unit="px", help="Largest random shift of the image each step",
                        slider=(0, 32))
    pad: int = param(12, "Pad", low=0, high=256, unit="px", help="Grey border added before the random view",
                     slider=(0, 32))
    scale: float = param(0.2, "Random scale ±", low=0.0, high=0.5, step=0.01,
                         help="Largest relative random zoom of the view",
                         slider=(0.0, 0.5))
    rotate: float = param(15.0, "Random rotation ±", low=0.0, high=180.0, step=1.0, decimals=1, unit="°",
                          help="Largest random rotation of the view",
                          slider=(0.0, 45.0))
    min_view: float = param(0.5, "Smallest view", low=0.1, high=1.0, step=0.05, decimals=2, slider=(0.1, 1.0),
                            help="Each step the network sees the image at a random scale between this and 1 "
                                 "(multi-scale: larger, clearer shapes and cheaper steps); 1 = always full scale")

    @classmethod
    def defaults(cls, parameterization: str = "fourier", **changes) -> ClassVizParams:
        """The recommended settings for a parameterisation (then ``changes``)."""
        if parameterization == "pixels":
            base = cls(parameterization="pixels", size=224, steps=200, lr=2.0, l2=0.02, tv=0.0, blur_every=10,
                       blur_sigma=0.5, jitter=16, pad=0, scale=0.0, rotate=0.0, contrast=0.0, coarse=0.0,
                       min_view=1.0)
        elif parameterization == "maco":
            base = cls(parameterization="maco", lr=MACO_LR, contrast=0.0)
        else:
            base = cls(parameterization=check_choice("parameterization", parameterization, PARAMETERIZATIONS))
        return replace(base, **changes)

def recommended_parameterization(model_name: str) -> str:
    """The parameterisation to start with on the network ``model_name`` (its canonical
    name); the Fourier image on any network not measured."""
    return PARAMETERIZATION_BY_NETWORK.get(model_name, "fourier")


def class_visualization(
    model,
    target: int | str | UnitObjective,
    params: ClassVizParams | None = None,
    control: Control | None = None,
    *,
    seed: int = 0,
    init: np.ndarray | None = None,
) -> Iterator[Frame]:
    """Generate an image of class ``target`` (index or name), or one that
    maximises a :class:`~.unit_objectives.UnitObjective` (a channel, a
    neuron, sums of them: ``parse_objective("blocks.8:12")``).

    Yields frames with metrics ``objective`` (class score or unit objective),
    ``prob`` (for a class: the softmax probability of the target on the
    current view), ``l2`` and ``tv``; the last frame has ``final=True``.  ``init`` (uint8, any size; resized to
    ``size``) warm-starts from an image instead of noise.  Returns the final
    uint8 image.
    """
    control = control or Control(params or ClassVizParams())
    if params is not None and control.params is not params:
        raise ValueError("pass the parameters either as params or inside control, not both")
    p0: ClassVizParams = control.params
    if not isinstance(p0, ClassVizParams):
        raise ValueError("class_visualization needs ClassVizParams in control.params")
    goal = Goal.of(model, target)
    generator = torch.Generator().manual_seed(int(seed))
    rng = random.Random(int(seed))
    start = None
    if init is not None:
        from ..imaging import resize

        start = model.preprocess(resize(np.asarray(init, dtype=np.uint8), (p0.size, p0.size)))
    image = as_seen_by(model, make_parameterization(p0.parameterization, p0.size, p0.size, mean=model.mean,
                                                    std=model.std, generator=generator, init=start, decay=p0.decay,
                                                    contrast=p0.contrast))
    return (yield from generate(model, goal, image, control, rng, coarse_to_fine=start is None))


def generate(model, goal: Goal, image, control: Control, rng: random.Random, *, coarse_to_fine: bool,
             penalty=None, extra: dict | None = None) -> Iterator[Frame]:
    """The loop of :func:`class_visualization` on a ready parameterised ``image``:
    frames with the importance mask so far (``info``: an :class:`.importance.ImportanceMap`), the last one
    final.  ``penalty(p, x)``, when given, returns a term added to the loss and
    its unweighted value (metric ``distance``; feature accentuation's closeness)."""
    gradient = _ClassVizGradient(model, image, goal, control, rng, coarse_to_fine=coarse_to_fine, penalty=penalty)
    render = renderer(model, image)
    first = render()  # drawn now, not after a Stop in the first step (35 ms at 1024 px)
    extra = {"target": goal.index, "label": goal.label, **(extra or {})}
    result = yield from optimize(
        tensors=image.tensors, gradient=gradient, rule=image.step_rule(model.std), control=control,
        steps=lambda p: p.steps, render=render, after_step=functools.partial(image.after_step, model),
        extra=lambda: dict(extra), info=lambda: ImportanceMap(gradient.importance.mask()), start_image=first,
    )
    final = result.image if result.image is not None else render()
    yield Frame(step=result.steps, total=control.params.steps, image=final, metrics=result.metrics,
                extra={**extra, "cancelled": result.cancelled}, info=ImportanceMap(gradient.importance.mask()),
                final=True)
    return final


@dataclass(frozen=True)
class Goal:
    """What the image should show: a class ``index`` or ``units`` (a checked unit objective)."""

    index: int | None
    units: UnitObjective | None
    label: str

    @classmethod
    def of(cls, model, target: int | str | UnitObjective) -> Goal:
        if isinstance(target, UnitObjective):
            units = target.check(model)
            return cls(None, units, units.label)
        index = model.class_index(target)
        return cls(index, None, model.labels[index])


class _ClassVizGradient:
    """The gradient oracle of :func:`class_visualization` (see :func:`.loop.optimize`): the loss
    ``-score(view) + l2 * l2(x) + tv * TV(x)`` on a random view of the image, backwards."""

    def __init__(self, model, image, goal: Goal, control: Control, rng: random.Random, *, coarse_to_fine: bool,
                 penalty=None):
        self.model, self.image, self.goal, self.control, self.rng = model, image, goal, control, rng
        self.penalty = penalty
        self.coarse_to_fine = coarse_to_fine  # a warm start has its shapes already
        self.grey = model.from_pixels(torch.full_like(model.mean, 127.5))
        self.importance = Importance()

    def __call__(self, p: ClassVizParams, step: int) -> dict[str, torch.Tensor]:
        self.image.follow(p)
        x = interrupt_here(self.image.image(), self.control)  # each piece of a 1024-px step takes a while
        self.importance.watch(x)
        view = interrupt_here(self._view(p, x), self.control)
        logits = None
        if self.goal.units is not None:
            score = self.goal.units(self.model, view)
        else:
            logits = self.model.logits(view)
            score = class_logit(logits, self.goal.index)
        with torch.set_grad_enabled(p.l2 != 0):  # a term of weight 0 is only measured (no backward at 1024 px)
            l2 = l2_penalty(x)
        with torch.set_grad_enabled(p.tv != 0):
            tv = total_variation(x)
        loss = -score + p.l2 * l2 + p.tv * tv
        metrics = {"objective": score.detach(), "l2": l2.detach(), "tv": tv.detach()}
        if self.penalty is not None:
            term, metrics["distance"] = self.penalty(p, x)
            loss = loss + term
        self.control.raise_if_cancelled()
        loss.backward()
        if self.coarse_to_fine:
            self.image.low_pass_gradient(coarse_to_fine_cutoff(step, p.steps, p.coarse))
        if logits is not None:
            with torch.no_grad():
                metrics["prob"] = torch.softmax(logits[0], dim=0)[self.goal.index]
        return metrics

    def _view(self, p: ClassVizParams, x: torch.Tensor) -> torch.Tensor:
        """A random view of ``x`` (pad, jitter, scale, rotation), at the scale the network sees it."""
        view = robust_view(x, self.rng, pad_width=p.pad, jitter_px=p.jitter, scale=p.scale, degrees=p.rotate,
                           fill=self.grey)
        self.control.raise_if_cancelled()
        return view_at_scale(view, self.model.input_size, p.size <= self.model.input_size,
                             self.rng.uniform(p.min_view, 1.0) if p.min_view < 1.0 else 1.0)


#: The band the coarse-to-fine schedule starts with and ends beyond (cycles per pixel; the
#: highest frequency of an image is sqrt(2)/2 = 0.71 on the diagonal).
COARSE_START, COARSE_END = 1.0 / 16, 0.75


def coarse_to_fine_cutoff(step: int, steps: int, fraction: float) -> float | None:
    """The Fourier image's low-pass cutoff at ``step``: growing linearly from
    1/16 cycles per pixel to the whole band over the first ``fraction`` of
    the ``steps``; ``None`` (no low-pass) after that, or when ``fraction`` is 0."""
    span = fraction * steps
    if span <= 0 or step >= span:
        return None
    return COARSE_START + (COARSE_END - COARSE_START) * step / span


def view_at_scale(view: torch.Tensor, input_size: int, fit: bool, factor: float) -> torch.Tensor:
    """The random view as the network sees it: resized to ``input_size``
    when ``fit`` (an image up to the input size) or when smaller, else at its
    own scale; then shrunk by ``factor`` (< 1: the multi-scale view of
    ``min_view``, antialiased so that the image's finest detail is averaged
    as a camera would, not sampled)."""
    side = input_size if fit or view.shape[-1] < input_size else view.shape[-1]
    if factor < 1.0:
        side = max(16, round(side * factor))
        return F.interpolate(view, size=(side, side), mode="bilinear", align_corners=False, antialias=True)
    if side != view.shape[-1]:
        return F.interpolate(view, size=(side, side), mode="bilinear", align_corners=True)
    return view


def renderer(model, param):
    """A function returning the parameterised image as uint8 HxWx3."""

    def render() -> np.ndarray:
        with torch.no_grad():
            return model.deprocess(param.image())

    return render
