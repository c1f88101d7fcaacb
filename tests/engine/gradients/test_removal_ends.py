"""The MoRF and LeRF curves take their two ends (nothing removed,
everything removed) from the random-order curve instead of measuring them
again: the same curves as measuring every point, with two images fewer per
curve through the network."""
from __future__ import annotations

import numpy as np
import pytest

from engine.gradients import curves, deletion_curve, random_map, removal_curves
from tests.engine.gradients.gradients_tiny import conv_model, random_images


@pytest.mark.parametrize("fill", ["black", "blur", "noisy-linear"])
def test_the_shared_ends_give_the_curves_of_measuring_every_point(one_torch_thread, monkeypatch, fill):
    model = conv_model(seed=3)
    x = model.preprocess(random_images(1, size=16, seed=5))
    sal = random_map(16, 16, seed=9) ** 3
    common = dict(points=7, substrate=fill, batch_size=3, seed=4)
    measured = []
    real = curves.fill_removed

    def counted(model, x, removed, *a, **k):
        measured.append(removed.shape[0])
        return real(model, x, removed, *a, **k)
    monkeypatch.setattr(curves, "fill_removed", counted)
    out = removal_curves(model, x, sal, 1, fill=fill, points=7, batch_size=3, seed=4)
    assert sum(measured) == 7 + 2 * 5            # the random order in full, MoRF and LeRF between the ends
    monkeypatch.setattr(curves, "fill_removed", real)
    for got, order in ((out.morf, "most"), (out.lerf, "least")):
        full = deletion_curve(model, x, sal, 1, order=order, **common)
        np.testing.assert_allclose(got.probs, full.probs, rtol=0, atol=1e-6)
        assert got.auc == pytest.approx(full.auc, abs=1e-6) and got.probs.dtype == np.float64
        assert got.probs[0] == out.random.probs[0] and got.probs[-1] == out.random.probs[-1]
    again = removal_curves(model, x, sal, 1, fill=fill, points=7, batch_size=3, seed=4, reference=out.random)
    assert again.gap == out.gap


def test_with_two_points_the_known_ends_are_the_curve():
    model = conv_model(seed=3)
    x = model.preprocess(random_images(1, size=8, seed=1))
    sal = random_map(8, 8, seed=2)
    two = deletion_curve(model, x, sal, 0, points=2, substrate="black", ends=(0.25, 0.75))
    assert two.probs.tolist() == [0.25, 0.75] and two.auc == pytest.approx(0.5)
