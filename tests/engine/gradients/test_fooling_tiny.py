"""Fooling-image mechanics on a tiny linear classifier (fast, exact)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.gradients import FoolParams, fool, perturbation_size
from engine.gradients.fooling import difference_image
from engine.jobs import Control, run_to_end

from .gradients_tiny import linear_model, random_images


def _setup(seed=0):
    model = linear_model(size=4, seed=seed)
    image = random_images(1, size=4, seed=seed)[0]
    x = model.preprocess(image)
    with torch.no_grad():
        logits = model.logits(x)[0]
    return model, image, int(logits.argmax()), int(logits.argmin())


def test_fools_the_tiny_model_and_the_8bit_image_is_the_target():
    model, image, original, target = _setup()
    control = Control(FoolParams(lr=0.05, max_iter=500), emit_every=1)
    frames = []
    last, result = run_to_end(fool(model, image, target, control=control, prepared=True), frames.append)
    assert result.success and not result.cancelled
    assert result.original_prediction.index == original
    assert result.final_prediction.index == target == result.target
    assert model.classify(result.image, 1, prepared=True)[0].index == target
    assert 0 < result.iterations <= 500
    assert last.final and frames[-1] is last and not any(f.final for f in frames[:-1])
    assert (result.l2, result.linf) == perturbation_size(image, result.image)
    assert result.linf > 0 and result.l2 >= result.linf
    # linear model: each clamped step moves every pixel along sign(W_t), so the target score rises
    first_per_step = {}
    for f in frames[:-1]:  # after the fool, the 8-bit re-check repeats the last step number
        first_per_step.setdefault(f.step, f.metrics["target_score"])
    scores = [first_per_step[k] for k in sorted(first_per_step)]
    assert sorted(first_per_step) == list(range(result.iterations + 1))
    assert all(b > a for a, b in zip(scores, scores[1:]))
    for f in frames:
        assert set(f.metrics) == {"target_score", "top_score", "target_prob", "l2", "linf"}
        assert f.image.dtype == np.uint8 and f.image.shape == (4, 4, 3)
        assert f.info.difference.shape == (4, 4, 3) and f.info.difference_factor > 0
        assert f.metrics["top_score"] >= f.metrics["target_score"]
    assert frames[0].info.predicted_index == original


def test_already_the_target_needs_no_step():
    model, image, original, _ = _setup()
    _, result = run_to_end(fool(model, image, original, FoolParams(), prepared=True))
    assert result.success and result.iterations == 0 and np.array_equal(result.image, image)
    assert result.l2 == 0 and result.linf == 0


def test_max_iter_and_lr_are_read_live():
    model, image, _, target = _setup()
    control = Control(FoolParams(lr=1e-3, max_iter=1000), emit_every=1)
    job = fool(model, image, target, control=control, prepared=True)
    scores = [next(job).metrics["target_score"] for _ in range(4)]
    control.update(lr=2e-2)
    scores += [next(job).metrics["target_score"] for _ in range(3)]
    small, large = scores[2] - scores[1], scores[-1] - scores[-2]
    assert large == pytest.approx(20 * small, rel=0.05)  # linear model, no clamping yet
    control.update(max_iter=8)
    _, result = run_to_end(job)
    assert result.iterations == 8 and not result.success
    assert result.final_prediction.index != target


def test_a_fool_undone_by_rounding_is_not_a_success_and_the_ascent_goes_on():
    """Steps far below half a grey level cross the boundary in float, but
    the 8-bit image rounds back: that must never count as a success, and
    climbing on from the unrounded image must eventually survive rounding."""
    model, image, original, _ = _setup()
    x = model.preprocess(image)
    with torch.no_grad():
        logits = model.logits(x)[0]
        runner_up = int(logits.argsort(descending=True)[1])
        model.net[1].bias[runner_up] += float(logits[original] - logits[runner_up]) - 1e-4
    _, short = run_to_end(fool(model, image, runner_up, FoolParams(lr=1e-4, max_iter=30), prepared=True))
    assert not short.success and short.rounding_retries >= 1 and short.linf == 0
    assert short.final_prediction.index == model.classify(short.image, 1, prepared=True)[0].index != runner_up
    _, long = run_to_end(fool(model, image, runner_up, FoolParams(lr=1e-4, max_iter=3000), prepared=True))
    assert long.success and long.rounding_retries >= 1 and long.iterations < 3000
    assert model.classify(long.image, 1, prepared=True)[0].index == runner_up


def test_cancel_stops_at_the_next_step():
    model, image, _, target = _setup()
    control = Control(FoolParams(lr=1e-4, max_iter=10_000), emit_every=1)
    job = fool(model, image, target, control=control, prepared=True)
    for _ in range(3):
        next(job)
    control.cancel()
    rest, result = [], None
    try:
        while True:
            rest.append(next(job))
    except StopIteration as stop:
        result = stop.value
    assert len(rest) == 1 and rest[0].final
    assert result.cancelled and not result.success and result.iterations == 2


def test_bad_arguments():
    model, image, _, target = _setup()
    with pytest.raises(ValueError, match="target"):
        next(fool(model, image, 5, prepared=True))
    with pytest.raises(ValueError, match="uint8"):
        next(fool(model, image.astype(np.float32), target, prepared=True))
    with pytest.raises(ValueError, match="FoolParams"):
        next(fool(model, image, target, control=Control({"lr": 1.0}), prepared=True))


def test_difference_image():
    a = np.full((2, 2, 3), 100, np.uint8)
    b = a.copy()
    b[0, 0, 0] = 110
    b[1, 1, 2] = 95
    diff, factor = difference_image(a, b)
    assert factor == pytest.approx(12.7)
    assert diff[0, 0, 0] == 255 and diff[1, 1, 2] == round(128 - 5 * 12.7) and diff[0, 1, 1] == 128
    same, f1 = difference_image(a, a)
    assert f1 == 1.0 and (same == 128).all()
    fixed, f2 = difference_image(a, b, factor=2.0)
    assert f2 == 2.0 and fixed[0, 0, 0] == 148
