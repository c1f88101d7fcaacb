"""Bad values of the gradient jobs' parameters are refused both when the
parameters are made and when a running job's control is updated (which then
keeps its previous values)."""
from __future__ import annotations

import pytest

from engine.gradients import FoolParams, SaliencyParams
from engine.jobs import Control

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
