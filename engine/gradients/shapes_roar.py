"""ROAR on the shape classifier (Hooker et al. 2019; :mod:`.roar`) as one
job: the window's *Saliency ▸ ROAR on the Shape Classifier…* and
``tools/shapes_roar.py`` run it.

1. The classifier (it must know the 8 shapes of :mod:`engine.shape_scenes`)
   explains each training scene (seed 0) and test scene (seed 1) for its
   true shape with each method (the noise-tunnel methods share one draw,
   :func:`.method_maps.method_maps`); three more rankings need no model:
   ``random`` (ROAR's reference), ``mask`` (the object's pixels first, in a
   random order, then the rest) and ``oracle`` (the object, then the 2-pixel
   ring of its anti-aliased edge, then the rest);
2. :func:`.roar.roar`: per ranking and fraction, the top pixels of every
   scene are set to the training set's channel mean and a fresh
   ``test_resnet`` is trained on the modified training scenes with
   :func:`engine.shape_classifier.train` (``RoarParams``: scenes, epochs,
   training noise), then tested on the modified test scenes.

Frames: one per chunk of maps, then one per retraining (``info``:
:class:`RoarProgress`); returns the :class:`~.roar.RoarScore` list (the
retrainings finished, when stopped).
"""
from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..jobs import Cancelled, Control, Frame
from ..params import Params, param
from ..shape_classifier import render
from ..shape_classifier import train as train_classifier
from ..shape_scenes import SHAPES, SIZE, object_mask, scenes
from .attribution import SaliencyParams
from .method_maps import method_maps
from .methods import METHODS
from .roar import RoarScore, roar

__all__ = ["RoarParams", "RoarProgress", "shapes_roar_job", "oracle_maps", "ROAR_MAPS", "FRACTIONS", "REFERENCES",
           "RANKING_TITLES", "knows_shapes"]

#: the methods' parameters for the maps (16 noisy copies, 32 IG steps)
ROAR_MAPS = SaliencyParams(samples=16, steps=32, batch_size=64)
FRACTIONS = (0.1, 0.3, 0.5)
#: the rankings that need no model, and their titles
REFERENCES = ("random", "mask", "oracle")
RANKING_TITLES = {"random": "random ranking", "mask": "object mask first", "oracle": "object + 2 px ring first"}
CHUNK = 100


@dataclass(frozen=True)
class RoarParams(Params):
    train: int = param(1500, "Training scenes", low=16, high=20000, step=100, live=False,
                       help="Scenes each retrained classifier learns from")
    test: int = param(500, "Test scenes", low=8, high=5000, step=100, live=False, help="Scenes each one is tested on")
    epochs: int = param(5, "Epochs", low=1, high=50, live=False, help="Passes over the training scenes per retraining")
    noise: float = param(0.0, "Training noise", low=0.0, high=1.0, step=0.05, decimals=2, live=False,
                         help="Std of the Gaussian noise added to each training input (the shipped classifier's "
                              "0.3 needs more epochs)")


@dataclass(frozen=True)
class RoarProgress:
    stage: str                          # "maps", then "retraining"
    scores: tuple[RoarScore, ...] = ()  # the retrainings so far


def knows_shapes(model) -> bool:
    """Whether ``model`` tells the 8 shapes apart (its classes are the shapes)."""
    return list(getattr(model, "labels", ())) == list(SHAPES)


def oracle_maps(scene_list, size: int = SIZE, ring: bool = True) -> torch.Tensor:
    """(N,size,size): 2 on the object (the generator's mask), 1 on the 2-pixel ring around it (its
    anti-aliased edge, which still shows its colour; without ``ring``: 0), 0 elsewhere; ties go in a
    random order."""
    masks = torch.from_numpy(np.stack([object_mask(s, size) for s in scene_list])).float()[:, None]
    return (masks + (torch.nn.functional.max_pool2d(masks, 5, 1, 2) if ring else masks))[:, 0]


def _explain(model, data, methods, params, control) -> Generator[None, None, list[dict[str, torch.Tensor]]]:
    """Per set, ``{method: (N,H,W) maps}`` for the true classes; yields after each chunk."""
    if not methods:
        return [{} for _ in data]
    out = []
    for x, y in data:
        parts: dict[str, list[torch.Tensor]] = {m: [] for m in methods}
        for i in range(0, len(x), CHUNK):
            maps = method_maps(model, x[i:i + CHUNK], y[i:i + CHUNK].tolist(), methods, params, control=control)
            for m in methods:
                parts[m].append(maps[m].detach().cpu())
            yield
        out.append({m: torch.cat(p) for m, p in parts.items()})
    return out


def _rankings(by_set, scene_lists, data, methods, seed: int) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
    gen = torch.Generator().manual_seed(seed)
    out = {m: (by_set[0][m], by_set[1][m]) for m in methods}
    out["random"] = tuple(torch.rand(len(x), SIZE, SIZE, generator=gen) for x, _ in data)
    out["mask"] = tuple(oracle_maps(lst, ring=False) for lst in scene_lists)
    out["oracle"] = tuple(oracle_maps(lst) for lst in scene_lists)
    return out


def shapes_roar_job(model, params: RoarParams, *, methods: Sequence[str] = METHODS,
                    fractions: Sequence[float] = FRACTIONS, map_params: SaliencyParams = ROAR_MAPS, seed: int = 0,
                    control: Control | None = None) -> Generator[Frame, None, list[RoarScore]]:
    """ROAR of ``methods`` (and :data:`REFERENCES`) on the shape classifier ``model`` (see the module)."""
    if not knows_shapes(model):
        raise ValueError(f"{getattr(model, 'name', 'this model')} does not tell the shapes apart: ROAR here "
                         "retrains the shape classifier (open tools/data/shapes_cnn/shapes_cnn.safetensors)")
    control = control or Control(params)
    scene_lists = [scenes(params.train, 0), scenes(params.test, 1)]
    data = [render(s) for s in scene_lists]
    chunks = sum(-(-len(x) // CHUNK) for x, _ in data) if methods else 0
    total = chunks + 1 + (len(methods) + len(REFERENCES)) * len(fractions)
    explaining, step = _explain(model, data, list(methods), map_params, control), 0
    try:
        while True:
            next(explaining)
            step += 1
            yield Frame(step=step, total=total, info=RoarProgress("maps"))
            if control.cancelled:
                return []
    except StopIteration as done:
        by_set = done.value
    except Cancelled:
        return []
    rankings = _rankings(by_set, scene_lists, data, list(methods), seed)

    def fit(images, labels):
        return train_classifier(epochs=params.epochs, seed=seed, noise=params.noise, log=lambda _line: None,
                     data=(images, labels), control=control)

    retraining = roar(data[0], data[1], rankings, fractions, fit, seed=seed, control=control)
    while True:
        try:
            frame = next(retraining)
        except StopIteration as done:
            return done.value
        yield Frame(step=chunks + frame.step, total=total, info=RoarProgress("retraining", tuple(frame.info)),
                    metrics=frame.metrics, final=frame.final)
