"""The independent checks of the attribution metrics (issue #27): a random
map scores at chance, the exact map wins on a linear model, the ROAD
imputation is the weighted mean of the neighbours plus noise of the stated
size, and the maps of a randomised model differ from the trained one's."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from engine.gradients import random_map, removal_curves, vanilla_saliency
from engine.gradients.fill_in import NEIGHBOURS, noisy_linear_impute
from engine.gradients.localization import localization, pointing_game, region_mask, relevance_mass
from tests.engine.gradients.gradients_tiny import conv_model, random_images, wrap


def test_a_random_map_is_at_chance_in_the_box_within_three_standard_errors():
    box = [(3, 5, 20, 17)]                       # 17 x 12 of 32 x 32: area share 0.199
    area = region_mask(box, 32, 32).mean()
    draws = 600
    hits = [pointing_game(np.random.default_rng(i).random((32, 32)), box) for i in range(draws)]
    masses = [relevance_mass(np.random.default_rng(i).random((32, 32)), box) for i in range(draws)]
    assert abs(np.mean(hits) - area) < 3 * np.sqrt(area * (1 - area) / draws)   # 0.049
    assert abs(np.mean(masses) - area) < 0.005
    assert localization(np.ones((32, 32)), box).mass == pytest.approx(area)


def test_pointing_game_and_mass_on_a_known_map():
    sal = np.zeros((10, 10))
    sal[2, 7] = 5.0
    sal[8, 1] = 1.0
    assert pointing_game(sal, [(6, 1, 9, 4)]) and not pointing_game(sal, [(0, 6, 3, 10)])
    assert pointing_game(sal, [(4, 1, 6, 4)], tolerance=2) and not pointing_game(sal, [(4, 1, 6, 4)], tolerance=1)
    assert relevance_mass(sal, [(6, 1, 9, 4), (0, 6, 3, 10)]) == pytest.approx(1.0)
    assert relevance_mass(sal, [(0, 6, 3, 10)]) == pytest.approx(1 / 6)


@pytest.mark.parametrize("fill", ["black", "blur", "noisy-linear"])
def test_a_random_map_has_morf_about_equal_to_lerf(one_torch_thread, fill):
    model = conv_model(seed=1)
    x = model.preprocess(random_images(1, size=16, seed=2))
    gaps = [removal_curves(model, x, random_map(16, 16, seed=s), 0, fill=fill, points=6, seed=s).gap
            for s in range(24)]
    se = np.std(gaps) / np.sqrt(len(gaps))
    assert abs(np.mean(gaps)) < 3 * se + 1e-3, (np.mean(gaps), se)


def _two_class_linear(size=8, seed=0):
    torch.manual_seed(seed)
    return wrap(nn.Sequential(nn.Flatten(), nn.Linear(3 * size * size, 2)), labels=["a", "b"])


@pytest.mark.parametrize("fill", ["black", "mean", "blur"])
def test_on_a_linear_model_the_exact_map_wins_the_removal_metrics(fill):
    """With two classes p_a = sigmoid(d), d = (w_a - w_b) . x, and a fill-in
    f that does not depend on the mask, removing pixel i changes d by
    -c_i, c_i = sum_ch (w_a - w_b)_ch,i (x - f)_ch,i: ordering by c removes
    the k pixels that lower d most, for every k, so no map can do better."""
    from engine.gradients.fill_in import fill_removed

    model = _two_class_linear()
    x = model.preprocess(random_images(1, size=8, seed=3))
    w = model.net[1].weight.detach()
    f = fill_removed(model, x, torch.ones(1, 1, 8, 8, dtype=torch.bool), fill)
    exact = ((w[0] - w[1]).view(1, 3, 8, 8) * (x - f)).sum(dim=1)[0]
    others = {"vanilla": vanilla_saliency(model, x, 0)[0], "grad x input": (x * 1).abs().sum(dim=1)[0],
              **{f"random {s}": random_map(8, 8, seed=s) for s in range(5)}}
    best = removal_curves(model, x, exact, 0, fill=fill, points=65)
    for name, sal in others.items():
        other = removal_curves(model, x, sal, 0, fill=fill, points=65)
        assert best.morf.auc <= other.morf.auc + 1e-9, name
        assert best.lerf.auc >= other.lerf.auc - 1e-9, name
    assert best.gap > 0


def test_noisy_linear_imputation_is_the_weighted_mean_of_kept_neighbours_plus_stated_noise():
    gen = torch.Generator().manual_seed(0)
    image = torch.rand(3, 30, 30, generator=gen, dtype=torch.float64)
    removed = torch.zeros(30, 30, dtype=torch.bool)
    removed[2::3, 2::3] = True                  # isolated pixels: every neighbour is kept (row/column 29: an edge)
    removed[0, 0] = True                        # a corner: three neighbours
    exact = noisy_linear_impute(image, removed)
    for y, x in [(2, 2), (5, 8), (29, 29), (29, 14), (0, 0)]:
        num = sum(wt * image[:, y + dy, x + dx] for dy, dx, wt in NEIGHBOURS if 0 <= y + dy < 30 and 0 <= x + dx < 30)
        den = sum(wt for dy, dx, wt in NEIGHBOURS if 0 <= y + dy < 30 and 0 <= x + dx < 30)
        torch.testing.assert_close(exact[:, y, x], num / den)
    assert torch.equal(exact[:, ~removed], image[:, ~removed])
    sigma = 0.05
    noisy = noisy_linear_impute(image, removed, noise=sigma, generator=torch.Generator().manual_seed(1))
    diff = (noisy - exact)[:, removed]
    assert torch.equal(noisy[:, ~removed], image[:, ~removed])
    assert diff.std().item() == pytest.approx(sigma, rel=0.15) and abs(diff.mean().item()) < 3 * sigma / diff.numel() ** 0.5


def test_a_removed_region_solves_the_neighbour_system():
    image = torch.rand(3, 20, 20, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    removed = torch.zeros(20, 20, dtype=torch.bool)
    removed[5:15, 3:12] = True
    out = noisy_linear_impute(image, removed)
    for y, x in [(5, 3), (9, 7), (14, 11)]:             # each filled pixel = weighted mean of all its neighbours
        mean = sum(wt * out[:, y + dy, x + dx] for dy, dx, wt in NEIGHBOURS) / sum(wt for *_, wt in NEIGHBOURS)
        torch.testing.assert_close(out[:, y, x], mean)
    assert out[:, removed].min() >= image.min() - 1e-9 and out[:, removed].max() <= image.max() + 1e-9


#: the stated value: a map of the fully randomised network ranks the pixels
#: differently from the trained network's (|Spearman| below it)
RANDOMIZED_BELOW = 0.5


@pytest.mark.parametrize("method, extra", [("vanilla", {}), ("smoothgrad", {"samples": 4}),
                                           ("integrated-gradients", {"steps": 8}), ("gradcam", {})])
def test_maps_of_the_fully_randomised_model_differ_from_the_trained_ones(lite0, photo, method, extra):
    from engine.gradients import SaliencyParams, cascade, compute_saliency
    from engine.gradients.sanity import parameter_modules

    params = SaliencyParams(method, **extra)
    x = lite0.preprocess(lite0.prepare(photo("coffee.png")))
    everything = len(parameter_modules(lite0.net))
    (step,) = cascade(lite0, x, lambda m, xx, t: compute_saliency(m, xx, t, params)[0], 967, [everything])
    assert abs(step.spearman) < RANDOMIZED_BELOW, step.spearman
    assert step.map.shape == (224, 224)
