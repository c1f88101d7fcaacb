"""Bad values of the gradient jobs' parameters are refused both when the
parameters are made and when a running job's control is updated (which then
keeps its previous values); bad targets and inputs are refused naming them."""
from __future__ import annotations

import re

import pytest
import torch

from engine.gradients import FoolParams, SaliencyParams, vanilla_saliency
from engine.gradients._common import resolve_targets
from engine.jobs import Control

from .gradients_tiny import linear_model, random_images

REFUSED = [
    *((FoolParams, changes) for changes in (
        {"lr": 0}, {"lr": -1.0}, {"lr": float("nan")}, {"lr": float("inf")}, {"lr": True},
        {"max_iter": 0}, {"max_iter": 2.5}, {"max_iter": 10**9}, {"max_iter": "10"},
    )),
    *((SaliencyParams, changes) for changes in (
        {"method": "lrp"}, {"reduction": "mean"}, {"samples": 0}, {"samples": 2.5}, {"noise": -0.1},
        {"noise": float("nan")}, {"steps": 0}, {"baseline": "white"}, {"layer": ""}, {"batch_size": -1},
        {"seed": 1.5},
    )),
]


@pytest.mark.parametrize("params_type, changes", REFUSED)
def test_bad_values_are_refused_when_made_and_when_updated(params_type, changes):
    with pytest.raises(ValueError):
        params_type(**changes)
    control = Control(params_type())
    with pytest.raises(ValueError):
        control.update(**changes)
    assert control.params == params_type()


def test_targets_and_inputs_are_read_or_refused_with_exact_messages():
    """A target is None, a class index, or one index per image (list, tuple, tensor of any shape);
    anything else is refused naming it.  One image may come without its batch axis."""
    model = linear_model(size=4)
    x = model.preprocess(random_images(2, size=4))
    for target, expected in ((3, [3, 3]), ([0, 4], [0, 4]), ((1, 3), [1, 3]), (torch.tensor([[2], [4]]), [2, 4])):
        got = resolve_targets(model, x, target)
        assert got.dtype == torch.long and got.tolist() == expected
    refusals = {True: "invalid target class True",
                "12": "invalid target '12': give a class index, one index per image, or None",
                1.5: "invalid target 1.5: give a class index, one index per image, or None",
                5: "target class 5 is out of range 0..4", -1: "target class -1 is out of range 0..4",
                (1, 2, 3): "3 targets given for 2 images"}
    for target, message in refusals.items():
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            resolve_targets(model, x, target)
    one = vanilla_saliency(model, x[0], 2)
    assert one.shape == (1, 4, 4) and torch.equal(one[0], vanilla_saliency(model, x, 2)[0])
    with pytest.raises(TypeError, match=r"^expected a normalised \(N,3,H,W\) tensor; use model.preprocess\(image\)$"):
        vanilla_saliency(model, x.numpy(), 2)
    for bad, message in ((x[:0], "the batch is empty"), (x * float("nan"), "the input tensor contains NaN or infinite values"),
                         (x[:, :1], "expected a (N,3,H,W) tensor, got shape (2, 1, 4, 4)")):
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            vanilla_saliency(model, bad, 2)


def test_batch_size_is_checked_and_auto_is_the_devices_choice_for_the_image_size():
    from types import SimpleNamespace

    from engine.gradients._common import AUTO_BATCH, batch_size_for, check_batch

    model = linear_model(size=4)
    x = torch.zeros(2, 3, 40, 96)
    assert batch_size_for(model, x, 5) == 5
    assert batch_size_for(model, x, AUTO_BATCH) == model.tuning.batch_for(40, 96)
    asked = []
    tuned = SimpleNamespace(tuning=SimpleNamespace(batch_for=lambda h, w: asked.append((h, w)) or 7))
    assert batch_size_for(tuned, x, AUTO_BATCH) == 7 and asked == [(40, 96)]
    assert batch_size_for(SimpleNamespace(), x, AUTO_BATCH) == 16      # a model without a tuning
    for bad in (-1, True, 2.5, "8"):
        message = f"batch_size must be a positive integer or 0 (auto), got {bad!r}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            batch_size_for(model, x, bad)
    assert check_batch(model, x.double()).dtype == torch.float32       # the model's input type
