"""Class visualization and feature inversion on the real EfficientNet-Lite0:
the objective improves, the target class is reached, a shallow layer
reconstructs the photo, and live parameter changes act on the next step."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.generation import ClassVizParams, InversionParams, class_visualization, feature_inversion
from engine.generation.inversion import relative_feature_distance
from engine.imaging import resize
from engine.jobs import Control, run_to_end


def _prob(model, image, index):
    view = resize(image, (model.input_size, model.input_size))
    return model.probabilities(model.preprocess(view))[0, index].item()


def _run(job):
    frames = []
    last, result = run_to_end(job, frames.append)
    return frames, result


@pytest.mark.parametrize("kind, steps, expected", [("fourier", 24, 0.9), ("pixels", 24, 0.9)])
def test_class_visualization_reaches_the_target(lite0, kind, steps, expected):
    torch.manual_seed(0)
    target = lite0.class_index("goldfish")
    control = Control(ClassVizParams.defaults(kind, steps=steps), emit_interval=None, emit_every=1)
    frames, image = _run(class_visualization(lite0, "goldfish", control=control, seed=1))
    assert frames[-1].final and frames[-1].image.shape == (control.params.size,) * 2 + (3,)
    scores = [f.metrics["objective"] for f in frames[:-1]]
    assert np.mean(scores[-4:]) > np.mean(scores[:4]) + 5.0  # the class score climbs
    assert _prob(lite0, image, target) > expected
    assert _prob(lite0, frames[0].image, target) < 0.05  # noise is not a goldfish


def test_class_visualization_by_name_or_index_and_bad_class(lite0):
    def control():
        return Control(ClassVizParams.defaults("pixels", steps=2, size=32), emit_interval=None, emit_every=1)
    _, a = _run(class_visualization(lite0, "tarantula", control=control(), seed=3))
    _, b = _run(class_visualization(lite0, 76, control=control(), seed=3))
    assert np.array_equal(a, b)  # same seed, same class -> same image
    with pytest.raises(ValueError, match="unknown class"):
        next(class_visualization(lite0, "not a class at all", control=control()))


def test_live_learning_rate_zero_freezes_the_image_on_the_next_step(lite0):
    control = Control(ClassVizParams.defaults("fourier", steps=6, size=48), emit_interval=None, emit_every=1)
    job = class_visualization(lite0, "volcano", control=control, seed=0)
    first, second = next(job), next(job)
    assert not np.array_equal(first.image, second.image)
    control.update(lr=0.0)
    third, fourth = next(job), next(job)
    assert np.array_equal(second.image, third.image) and np.array_equal(third.image, fourth.image)


def test_warm_start_begins_at_the_given_image(lite0, photo):
    start = resize(photo("coffee.png")[:300, :300], (64, 64))
    for kind in ("fourier", "pixels"):
        control = Control(ClassVizParams.defaults(kind, steps=1, size=64, lr=0.0), emit_interval=None, emit_every=1)
        frames, image = _run(class_visualization(lite0, "volcano", control=control, init=start))
        assert np.abs(image.astype(int) - start.astype(int)).mean() < 1.5


def test_shallow_inversion_reconstructs_the_photo(lite0, photo):
    torch.manual_seed(0)
    control = Control(InversionParams(steps=60, size=128), emit_interval=None, emit_every=1)
    frames, image = _run(feature_inversion(lite0, photo("chelsea.png"), "blocks.1", control=control, seed=0))
    original = frames[-1].extra["original"]
    distances = [f.metrics["distance"] for f in frames[:-1]]
    assert distances[-1] < 0.2 * distances[0]
    corr = np.corrcoef(original.astype(float).ravel(), image.astype(float).ravel())[0, 1]
    noise = np.random.default_rng(0).integers(0, 256, original.shape)
    corr_noise = np.corrcoef(original.astype(float).ravel(), noise.astype(float).ravel())[0, 1]
    assert corr > 0.8 and abs(corr_noise) < 0.05
    assert relative_feature_distance(lite0, image, original, "blocks.1") < 0.25


def test_deep_inversion_loss_decreases_and_unknown_layer_is_refused(lite0, photo):
    control = Control(InversionParams(steps=12, size=96), emit_interval=None, emit_every=1)
    frames, _ = _run(feature_inversion(lite0, photo("coffee.png"), "blocks.10", control=control))
    assert frames[-2].metrics["distance"] < 0.8 * frames[0].metrics["distance"]
    with pytest.raises(ValueError, match="no layer"):
        next(feature_inversion(lite0, photo("coffee.png"), "blocks.99"))
