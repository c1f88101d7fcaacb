"""The pieces of the class-visualization recipe (issue #15): the Fourier
image's contrast capped at a photo-like level, the coarse-to-fine schedule
of its spectrum, and defaults at 224 px."""
from __future__ import annotations

import pytest
import torch

from engine.generation import ClassVizParams
from engine.generation.classviz import COARSE_END, COARSE_START, coarse_to_fine_cutoff
from engine.generation.parameterizations import FourierImage

MEAN = torch.full((1, 3, 1, 1), 127.0)
STD = torch.full((1, 3, 1, 1), 128.0)


def _decorrelated_logits(f: FourierImage) -> torch.Tensor:
    return f.decorrelated().detach()


def test_contrast_caps_the_variation_and_leaves_the_mean_colour_free():
    def image(contrast: float, gain: float) -> FourierImage:
        f = FourierImage(32, 32, mean=MEAN, std=STD, generator=torch.Generator().manual_seed(0), decay=1.25,
                         contrast=contrast)
        with torch.no_grad():
            f.spectrum.mul_(gain)  # a spectrum grown large, as Adam makes it
        return f

    def variation(d: torch.Tensor) -> float:
        return float((d - d.mean(dim=(-2, -1), keepdim=True)).std())

    small = variation(_decorrelated_logits(image(0.0, 1.0)))
    assert small < 1.0 and variation(_decorrelated_logits(image(1.5, 1.0))) == pytest.approx(small, rel=1e-3)
    for gain in (100.0, 3000.0):  # a spectrum grown large is capped, whatever its size
        assert variation(_decorrelated_logits(image(0.0, gain))) > 2.0
        assert variation(_decorrelated_logits(image(1.5, gain))) == pytest.approx(1.5, rel=1e-2)
    held, free = _decorrelated_logits(image(1.5, 100.0)), _decorrelated_logits(image(0.0, 100.0))
    assert torch.allclose(held.mean(dim=(-2, -1)), free.mean(dim=(-2, -1)), atol=1e-2)  # the mean colour is free


def test_a_warm_start_keeps_its_own_contrast():
    g = torch.Generator().manual_seed(1)
    f = FourierImage(24, 24, mean=MEAN, std=STD, generator=g, contrast=0.5)
    target = (torch.rand(1, 3, 24, 24, generator=g) * 230 + 10 - MEAN) / STD  # far more contrast than 0.5
    f.assign(target)
    assert torch.allclose(f.image(), target, atol=1e-3)


def test_coarse_to_fine_opens_the_band_and_masks_the_gradient():
    assert coarse_to_fine_cutoff(0, 512, 0.25) == pytest.approx(COARSE_START)
    assert COARSE_START < coarse_to_fine_cutoff(64, 512, 0.25) < COARSE_END
    assert coarse_to_fine_cutoff(128, 512, 0.25) is None and coarse_to_fine_cutoff(0, 512, 0.0) is None
    f = FourierImage(64, 64, mean=MEAN, std=STD, generator=torch.Generator().manual_seed(2))
    f.image().sum().backward()
    f.spectrum.grad = torch.ones_like(f.spectrum)
    f.low_pass_gradient(0.1)
    grad = f.spectrum.grad[0, 0, ..., 0]
    assert grad[0, 0] > 0.99 and grad[32, 32] < 1e-3  # the lowest frequency kept, the highest dropped
    before = grad.clone()
    f.low_pass_gradient(None)
    assert torch.equal(f.spectrum.grad[0, 0, ..., 0], before)


def test_defaults_render_224_px_with_capped_contrast():
    p = ClassVizParams.defaults()
    assert p.parameterization == "fourier" and p.size >= 224 and p.contrast > 0
    pixels = ClassVizParams.defaults("pixels")
    assert pixels.size >= 224 and pixels.contrast == 0 and pixels.coarse == 0


def test_the_multi_scale_view_shrinks_by_the_factor_and_averages_fine_detail():
    from engine.generation.classviz import view_at_scale

    view = torch.zeros(1, 3, 248, 248)
    view[..., ::2, :] = 1.0  # the finest stripes there are
    full = view_at_scale(view, 224, True, 1.0)
    assert full.shape[-1] == 224
    half = view_at_scale(view, 224, True, 0.5)
    assert half.shape[-1] == 112
    assert float(half.std()) < 0.05 and float(half.mean()) == pytest.approx(0.5, abs=0.02)  # averaged, not sampled
    large = torch.zeros(1, 3, 400, 400)
    assert view_at_scale(large, 224, False, 1.0) is large  # a large image is seen at its own scale
    assert view_at_scale(large, 224, False, 0.5).shape[-1] == 200
    assert view_at_scale(torch.zeros(1, 3, 100, 100), 224, False, 1.0).shape[-1] == 224  # a small one fits the input


def test_the_default_recipe_uses_multi_scale_views_and_the_pixel_recipe_does_not():
    assert 0.0 < ClassVizParams.defaults().min_view < 1.0
    assert ClassVizParams.defaults("pixels").min_view == 1.0
