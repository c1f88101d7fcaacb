"""What the maps and the fooling images do on the real EfficientNet-Lite0
and real photos (scikit-image's data folder).  Kept cheap: few curve
points, the masked images batched, few SmoothGrad samples."""
from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from engine.gradients import (
    FoolParams,
    cascading_randomization,
    deletion_curve,
    fool,
    random_map,
    randomized_copy,
    smoothgrad,
    vanilla_saliency,
)
from engine.imaging import load_image, save_png
from engine.jobs import Control, run_to_end

# Object photos the network is sure about (espresso 0.95, tripod 0.94).  On
# photos whose top class is an ambiguous fine-grained one (chelsea: tiger cat
# 0.39 vs Egyptian cat 0.36) a random order can do as well as any map; see
# the report in engine/gradients/curves.py's module docstring.
DELETION_PHOTOS = [("coffee.png", 967), ("camera.png", 872)]


@pytest.fixture(scope="module")
def views(lite0, photo):
    return {name: lite0.prepare(photo(name)) for name in ("coffee.png", "camera.png", "chelsea.png", "rocket.jpg")}


def test_batched_equals_per_image_on_the_real_model(lite0, views):
    x = lite0.preprocess([views["coffee.png"], views["camera.png"]])
    together = vanilla_saliency(lite0, x, [967, 872])
    for n, target in enumerate((967, 872)):
        alone = vanilla_saliency(lite0, x[n : n + 1], target)[0]
        torch.testing.assert_close(together[n], alone, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("name, expected", DELETION_PHOTOS)
def test_vanilla_and_smoothgrad_beat_random_order_on_deletion(lite0, views, name, expected):
    torch.manual_seed(0)
    x = lite0.preprocess(views[name])
    assert int(lite0.logits(x).argmax()) == expected
    vanilla = vanilla_saliency(lite0, x)[0]
    smooth = smoothgrad(lite0, x, samples=8, batch_size=8)[0]
    common = dict(points=11, batch_size=11)
    random_auc = deletion_curve(lite0, x, random_map(224, 224, seed=0), **common).auc
    vanilla_auc = deletion_curve(lite0, x, vanilla, **common).auc
    smooth_auc = deletion_curve(lite0, x, smooth, **common).auc
    assert vanilla_auc < random_auc - 0.02, (vanilla_auc, random_auc)
    assert smooth_auc < vanilla_auc, (smooth_auc, vanilla_auc)


def test_model_randomization_decorrelates_the_map(lite0, views):
    """Adebayo et al. 2018: re-initialising the top of the network must change
    the map (rank correlation falls well below 1), on a copy of the model."""
    before = {k: v.clone() for k, v in lite0.net.state_dict().items()}
    x = lite0.preprocess(views["coffee.png"])
    attribute = lambda model, xx, t: vanilla_saliency(model, xx, t)[0]  # noqa: E731
    steps = cascading_randomization(lite0, x, attribute, 967, tops=(0, 1, 30))
    assert steps[0].spearman == pytest.approx(1.0)          # nothing randomised: the same map
    assert steps[1].modules == ("_fc",) and steps[1].spearman < 0.6
    assert steps[2].spearman < 0.6 and len(steps[2].modules) == 30
    for k, v in lite0.net.state_dict().items():             # the shared model is untouched
        assert torch.equal(v, before[k]), k
    clone, _ = randomized_copy(lite0, 1)
    assert clone.net is not lite0.net and clone.layer("head") is not lite0.layer("head")


# coffee.png -> tarantula runs in tests/cli/test_fool_cli.py; coffee.png -> banana below (small steps)
FOOLS = [("chelsea.png", "goldfish"), ("rocket.jpg", "banana")]


@pytest.mark.parametrize("name, target_name", FOOLS)
def test_fooling_image_survives_png_round_trip(lite0, views, name, target_name, tmp_path):
    target = lite0.class_index(target_name)
    _, result = run_to_end(fool(lite0, views[name], target, FoolParams(), prepared=True))
    assert result.success and 1 <= result.iterations <= 100
    assert result.original_prediction.index != target and result.final_prediction.index == target
    path = save_png(tmp_path / "fooled.png", result.image, {"target": target})
    back = load_image(path)
    assert np.array_equal(back, result.image)
    assert lite0.classify(back, 1, prepared=True)[0].index == target
    assert 0 < result.linf <= 40 and result.l2 < 2000  # a small perturbation, in 0..255 units


def test_small_steps_survive_rounding_by_climbing_on(lite0, views, tmp_path):
    """With lr 0.1 the float image is fooled before its 8-bit rounding is;
    the ascent goes on until the saved PNG is the target."""
    target = lite0.class_index("banana")
    _, result = run_to_end(fool(lite0, views["coffee.png"], target, FoolParams(lr=0.1, max_iter=100), prepared=True))
    assert result.success and result.rounding_retries >= 1
    back = load_image(save_png(tmp_path / "small.png", result.image))
    assert lite0.classify(back, 1, prepared=True)[0].index == target


def test_fooling_from_the_full_photo_works_at_the_prepared_view(lite0, photo):
    image = photo("coffee.png")  # 600x400: fool() takes model.prepare's 224x224 view
    _, result = run_to_end(fool(lite0, image, lite0.class_index("tarantula"), FoolParams(max_iter=1)))
    assert result.original.shape == result.image.shape == (224, 224, 3)
    assert np.array_equal(result.original, lite0.prepare(image))
    assert result.iterations == 1


def test_cancelling_a_real_run_stops_promptly(lite0, views):
    control = Control(FoolParams(lr=0.05, max_iter=100), emit_every=1)
    job = fool(lite0, views["coffee.png"], 0, control=control, prepared=True)
    next(job), next(job)
    started = time.monotonic()
    control.cancel()
    _, result = run_to_end(job)
    assert result.cancelled and not result.success and result.iterations == 1
    assert time.monotonic() - started < 5.0
