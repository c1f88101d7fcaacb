"""Deletion/insertion curves, the randomisation sanity check helpers and the
heat-map helpers, on tiny networks (exact expectations)."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from engine.gradients import (
    colorize,
    deletion_curve,
    insertion_curve,
    normalize_map,
    overlay,
    random_map,
    randomized_copy,
    spearman,
)
from engine.gradients.curves import curve_auc, pixel_order
from engine.gradients.sanity import parameter_modules

from .gradients_tiny import conv_model, linear_model, random_images


def test_curve_auc_trapezoid():
    f = np.linspace(0, 1, 5)
    assert curve_auc(f, np.ones(5)) == pytest.approx(1.0)
    assert curve_auc(f, f) == pytest.approx(0.5)
    assert curve_auc(np.array([0, 0.5, 1]), np.array([1.0, 0.0, 0.0])) == pytest.approx(0.25)


def test_pixel_order_is_descending_with_random_tie_breaks():
    sal = torch.tensor([[0.0, 5.0], [1.0, 5.0]])
    order = pixel_order(sal).tolist()
    assert set(order[:2]) == {1, 3} and order[2:] == [2, 0]
    flat = torch.zeros(16, 16)
    a, b = pixel_order(flat, seed=0), pixel_order(flat, seed=1)
    assert not torch.equal(a, torch.arange(256)) and not torch.equal(a, b)


def _contribution_setup():
    """A linear model and an image where each pixel's contribution to the
    target logit is known: ``W_t * x`` (the mean substrate sets x to 0)."""
    model = linear_model(size=4, seed=1)
    image = random_images(1, size=4, seed=3)
    x = model.preprocess(image)
    target = int(model.logits(x).argmax())
    w = model.net[1].weight.detach().view(5, 3, 4, 4)
    contribution = (w[target] * x[0]).sum(dim=0)  # (4,4), removing pixel ij lowers S_t by this
    return model, x, target, contribution


def test_deletion_curve_endpoints_and_oracle_order():
    model, x, target, contribution = _contribution_setup()
    curve = deletion_curve(model, x, contribution, target, points=17, substrate="mean")
    with torch.no_grad():
        p0 = torch.softmax(model.logits(x), 1)[0, target].item()
        p1 = torch.softmax(model.logits(torch.zeros_like(x)), 1)[0, target].item()
    assert curve.fractions[0] == 0 and curve.fractions[-1] == 1 and len(curve.probs) == 17
    assert curve.probs[0] == pytest.approx(p0, rel=1e-5)
    assert curve.probs[-1] == pytest.approx(p1, rel=1e-5)
    reverse = deletion_curve(model, x, -contribution, target, points=17, substrate="mean")
    randoms = [deletion_curve(model, x, random_map(4, 4, seed=s)[None], target, points=17, substrate="mean").auc
               for s in range(5)]
    assert curve.auc < np.mean(randoms) < reverse.auc
    assert curve.auc == pytest.approx(curve_auc(curve.fractions, curve.probs))


def test_insertion_curve_endpoints_and_oracle_order():
    model, x, target, contribution = _contribution_setup()
    lo, _ = model.input_range
    black = lo.expand_as(x)
    # with the black substrate, inserting pixel ij raises S_t by W_t (x - black)
    w = model.net[1].weight.detach().view(5, 3, 4, 4)
    gain = (w[target] * (x[0] - black[0])).sum(dim=0)
    good = insertion_curve(model, x, gain, target, points=17, substrate="black")
    bad = insertion_curve(model, x, -gain, target, points=17, substrate="black")
    with torch.no_grad():
        p_black = torch.softmax(model.logits(black), 1)[0, target].item()
    assert good.probs[0] == pytest.approx(p_black, rel=1e-5)
    assert good.probs[-1] == pytest.approx(bad.probs[-1], rel=1e-6)
    assert good.auc > bad.auc


def test_curves_refuse_bad_arguments():
    model, x, target, contribution = _contribution_setup()
    with pytest.raises(ValueError, match="substrate"):
        deletion_curve(model, x, contribution, target, substrate="white")
    with pytest.raises(ValueError, match="points"):
        deletion_curve(model, x, contribution, target, points=1)
    with pytest.raises(ValueError, match="one 4x4 map"):
        deletion_curve(model, x, torch.zeros(3, 3), target)
    with pytest.raises(ValueError, match="NaN"):
        deletion_curve(model, x, contribution * float("nan"), target)
    with pytest.raises(ValueError, match="one image"):
        deletion_curve(model, x.repeat(2, 1, 1, 1), contribution, target)
    with pytest.raises(ValueError, match="patch"):
        deletion_curve(model, x, contribution, target, patch=0)


def test_patches_remove_whole_regions():
    model, x, target, _ = _contribution_setup()
    sal = torch.zeros(4, 4)
    sal[0, 0] = 1.0  # one hot pixel: with 2x2 patches its whole patch goes first
    curve = deletion_curve(model, x, sal, target, points=5, substrate="mean", patch=2)
    x_removed = x.clone()
    x_removed[..., :2, :2] = 0
    with torch.no_grad():
        expected = torch.softmax(model.logits(x_removed), 1)[0, target].item()
    assert curve.probs[1] == pytest.approx(expected, rel=1e-5)  # fraction 0.25 = one 2x2 patch


def test_spearman_matches_scipy_with_ties():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 5, size=200).astype(float)
    b = a + rng.normal(0, 2, size=200)
    assert spearman(a, b) == pytest.approx(spearmanr(a, b).statistic, abs=1e-12)
    assert spearman(a, a) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    assert spearman(np.ones(5), a[:5]) == 0.0
    with pytest.raises(ValueError, match="size"):
        spearman(a, a[:10])


def test_randomized_copy_leaves_the_shared_model_alone():
    model = conv_model()
    before = {k: v.clone() for k, v in model.net.state_dict().items()}
    rng_state = torch.get_rng_state()
    clone, names = randomized_copy(model, 2, seed=1)
    assert names == ["fc", "conv2"]
    assert [n for n, _ in parameter_modules(model.net)] == ["fc", "conv2", "bn", "conv1"]
    assert torch.equal(torch.get_rng_state(), rng_state)
    for k, v in model.net.state_dict().items():
        assert torch.equal(v, before[k])
    after = clone.net.state_dict()
    assert not torch.equal(after["fc.weight"], before["fc.weight"])
    assert not torch.equal(after["conv2.weight"], before["conv2.weight"])
    assert torch.equal(after["conv1.weight"], before["conv1.weight"])
    assert clone.layer("act2") is clone.net.act2 and clone.layer("act2") is not model.net.act2
    assert not any(p.requires_grad for p in clone.net.parameters())
    again, _ = randomized_copy(model, 2, seed=1)
    assert torch.equal(again.net.fc.weight, clone.net.fc.weight)
    with pytest.raises(ValueError, match="top"):
        randomized_copy(model, 99)


def test_heatmap_helpers():
    m = np.zeros((4, 5))
    m[0, 0] = 100.0
    m[1, 1] = 1.0
    n = normalize_map(m, percentile=100)
    assert n.max() == 1.0 and n[1, 1] == pytest.approx(0.01)
    assert normalize_map(np.zeros((3, 3))).max() == 0
    c = colorize(m, "gray", percentile=100)
    assert c.shape == (4, 5, 3) and c.dtype == np.uint8
    assert tuple(c[0, 0]) == (255, 255, 255) and tuple(c[2, 2]) == (0, 0, 0)
    image = np.full((4, 5, 3), 200, np.uint8)
    assert np.array_equal(overlay(image, m, opacity=0.0), image)
    assert np.array_equal(overlay(image, m, opacity=1.0, cmap="jet"), colorize(m, "jet"))
    with pytest.raises(ValueError, match="colour map"):
        colorize(m, "rainbow")
    with pytest.raises(ValueError, match="NaN"):
        normalize_map(m * np.nan)
    with pytest.raises(ValueError, match="opacity"):
        overlay(image, m, opacity=1.5)
    with pytest.raises(ValueError, match="does not match"):
        overlay(image, m[:3], opacity=0.5)
