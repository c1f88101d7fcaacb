"""A greyscale (1-channel) model's pictures are drawn in grey: the class
visualization, the feature inversion and the diverse strip show the luma the
network reads, not colour it never saw (found by QA, session 7)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from engine.generation.classviz import ClassVizParams, class_visualization
from engine.generation.diversity import DiversityParams, diverse_visualizations
from engine.generation.grey_image import GreyImage
from engine.generation.inversion import InversionParams, feature_inversion
from engine.generation.parameterizations import FourierImage
from engine.generation.unit_objectives import parse_objective
from engine.jobs import Control
from engine.models import Classifier
from engine.models.input_adapters import LUMA, GreyInput

LABELS = ["zero", "one", "two"]


def _tiny(grey: bool) -> Classifier:
    torch.manual_seed(0)
    conv = nn.Conv2d(1 if grey else 3, 4, 3, padding=1)
    net = nn.Sequential(conv, nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3))
    return Classifier(name="tiny", net=GreyInput(net) if grey else net, labels=LABELS, mean=(120.0,) * 3,
                      std=(60.0,) * 3, layers={"relu": net[1]}, device=torch.device("cpu"), input_size=32)


def _last(job) -> np.ndarray:
    frames = list(job)
    return frames[-1].image.astype(int)


def _colour_spread(image: np.ndarray) -> int:
    return int((image.max(axis=2) - image.min(axis=2)).max())


def test_greyscale_flag_follows_the_input_adapter():
    assert _tiny(True).greyscale and not _tiny(False).greyscale


def test_grey_image_is_the_luma_of_the_wrapped_image_in_every_channel():
    mean, std = torch.tensor([100.0, 120.0, 140.0]).view(1, 3, 1, 1), torch.tensor([50.0, 60.0, 70.0]).view(1, 3, 1, 1)
    param = FourierImage(16, 16, mean=mean, std=std, generator=torch.Generator().manual_seed(0))
    grey = GreyImage(param, mean=mean, std=std)
    pixels = param.image() * std + mean
    want = (pixels * torch.tensor(LUMA).view(1, 3, 1, 1)).sum(dim=1)
    got = grey.image() * std + mean
    for c in range(3):
        torch.testing.assert_close(got[:, c], want, rtol=0, atol=1e-4)
    assert [id(t) for t in grey.tensors] == [id(t) for t in param.tensors]  # the optimiser steps the wrapped ones


@pytest.mark.parametrize("kind", ["fourier", "maco", "pixels"])
def test_class_visualization_of_a_grey_model_is_grey(kind):
    p = ClassVizParams(steps=4, size=32, parameterization=kind)
    grey = _last(class_visualization(_tiny(True), 1, control=Control(p), seed=0))
    assert _colour_spread(grey) <= 1  # rounding only
    colour = _last(class_visualization(_tiny(False), 1, control=Control(p), seed=0))
    assert _colour_spread(colour) > 10  # the same start on an RGB model is in colour


def test_inversion_and_diverse_strip_of_a_grey_model_are_grey():
    model = _tiny(True)
    photo = np.random.default_rng(0).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    inverted = _last(feature_inversion(model, photo, "relu", control=Control(InversionParams(steps=3, size=32))))
    assert _colour_spread(inverted) <= 1
    strip = _last(diverse_visualizations(model, parse_objective("relu:0"),
                                         control=Control(DiversityParams(steps=3, size=32, count=2))))
    assert _colour_spread(strip) <= 1
