"""SmoothGrad, SmoothGrad² and VarGrad from one noise tunnel, checked
against the gradients of the same noisy copies computed one by one, and the
method table that names them."""
from __future__ import annotations

import pytest
import torch

from engine.gradients import METHOD_TABLE, METHODS, SaliencyParams, compute_saliency, smoothgrad, smoothgrad_squared, vargrad
from engine.gradients._common import input_gradient, reduce_channels
from engine.params import specs
from tests.engine.gradients.gradients_tiny import conv_model, linear_model, random_images


def _noisy_gradients(model, x, target, samples, noise, seed):
    """The gradients at the tunnel's noisy copies, one pass each (the noise drawn as the tunnel draws it)."""
    lo, hi = model.input_range
    eps = torch.randn((samples, *x.shape[1:]), generator=torch.Generator().manual_seed(seed)) * noise * (hi - lo)
    return torch.cat([input_gradient(model, x + e, torch.tensor([target])) for e in eps])


def _assert_close(ours, expected, rtol=1e-4):
    """Close relative to the expected map's scale (squared gradients of the tiny nets are ~1e-7:
    an absolute tolerance would accept any map)."""
    scale = expected.abs().max()
    assert scale > 0
    torch.testing.assert_close(ours / scale, expected / scale, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("reduction", ["max", "sum"])
def test_the_three_tunnel_methods_match_their_formulas(reduction):
    model = conv_model(seed=3)
    x = model.preprocess(random_images(1, seed=5))
    g = _noisy_gradients(model, x, 2, samples=9, noise=0.2, seed=7)
    common = dict(samples=9, noise=0.2, reduction=reduction, seed=7, batch_size=4)
    _assert_close(smoothgrad(model, x, 2, **common)[0], reduce_channels(g, reduction).mean(0))
    _assert_close(smoothgrad_squared(model, x, 2, **common)[0], reduce_channels((g * g).mean(0, keepdim=True), reduction)[0])
    _assert_close(vargrad(model, x, 2, **common)[0], reduce_channels(g.var(0, unbiased=False, keepdim=True), reduction)[0],
                  rtol=1e-3)


def test_defaults_are_25_samples_at_15_percent_noise_seed_0_and_the_max_reduction():
    """Smilkov et al.'s recommended 10-20 % noise; the defaults of the three methods are the same."""
    model = conv_model(seed=3)
    x = model.preprocess(random_images(1, seed=5))
    explicit = dict(samples=25, noise=0.15, reduction="max", seed=0)
    for method in (smoothgrad, smoothgrad_squared, vargrad):
        assert torch.equal(method(model, x, 2), method(model, x, 2, **explicit)), method.__name__


def test_a_cancelled_control_stops_each_tunnel_method():
    from engine.jobs import Cancelled, Control

    model = conv_model(seed=3)
    x = model.preprocess(random_images(1, seed=5))
    stopped = Control()
    stopped.cancel()
    for method in (smoothgrad, smoothgrad_squared, vargrad):
        with pytest.raises(Cancelled):
            method(model, x, 2, samples=2, control=stopped)


def test_on_a_linear_model_vargrad_is_zero_and_smoothgrad_squared_is_the_squared_gradient():
    model = linear_model(size=4)
    x = model.preprocess(random_images(2, size=4))
    vanilla = compute_saliency(model, x, 1, SaliencyParams("vanilla"))
    torch.testing.assert_close(compute_saliency(model, x, 1, SaliencyParams("smoothgrad-squared", samples=5)),
                               vanilla * vanilla)
    assert compute_saliency(model, x, 1, SaliencyParams("vargrad", samples=5)).max() < 1e-5 * (vanilla * vanilla).max()


def test_every_method_of_the_table_is_a_parameter_choice_and_describes_its_fields():
    assert tuple(v for v, _t in specs(SaliencyParams)["method"].choices) == METHODS
    assert {"smoothgrad-squared", "vargrad"} <= set(METHODS)
    for name, row in METHOD_TABLE.items():
        assert set(SaliencyParams(name).describe()) == row.fields
    with pytest.raises(ValueError, match="method"):
        SaliencyParams("saliency-of-the-gods")
