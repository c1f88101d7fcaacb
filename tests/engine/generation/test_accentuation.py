"""Feature accentuation (Hamblin et al. 2024) on the real EfficientNet-Lite0:
starting from a photo, the pushed class's score rises far above the photo's
while the picture stays within a stated distance of the photo, and the
classification moves to the pushed class only (no other class gains as much).
"""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.generation import ClassVizParams
from engine.generation.accentuation import AccentParams, accentuate, closeness_layer
from engine.jobs import Control, run_to_end

#: the accentuated picture stays within this RMS distance of the photo (0..255 pixel units)
MAX_RMS = 30.0


@pytest.fixture(scope="module")
def accentuated(lite0, photo):
    frames = []
    control = Control(AccentParams.defaults(steps=40, closeness=100.0), emit_interval=None, emit_every=4)
    _, image = run_to_end(accentuate(lite0, photo("chelsea.png"), "goldfish", control=control, seed=0), frames.append)
    return frames, image


def _logits(model, image: np.ndarray) -> torch.Tensor:
    with torch.no_grad():
        return model.logits(model.preprocess(image))[0]


def test_accentuation_raises_the_class_far_above_the_photo_and_stays_close(lite0, accentuated):
    frames, image = accentuated
    original = frames[-1].extra["original"]
    assert image.shape == original.shape == (224, 224, 3)
    goldfish = lite0.class_index("goldfish")
    before, after = _logits(lite0, original), _logits(lite0, image)
    assert float(after[goldfish]) > float(before[goldfish]) + 8.0  # measured: 1.3 -> 18.8 in 96 steps
    rms = float(np.sqrt(((image.astype(float) - original.astype(float)) ** 2).mean()))
    assert 2.0 < rms < MAX_RMS  # changed, but still the photo (measured about 20)
    distances = [f.metrics["distance"] for f in frames]
    assert distances[0] < distances[-1] < 0.5


def test_the_class_changes_only_towards_the_pushed_class(lite0, accentuated):
    frames, image = accentuated
    before, after = _logits(lite0, frames[-1].extra["original"]), _logits(lite0, image)
    goldfish = lite0.class_index("goldfish")
    assert lite0.labels[int(before.argmax())] != "goldfish" and int(after.argmax()) == goldfish
    rise = after - before
    others = torch.cat([rise[:goldfish], rise[goldfish + 1:]])
    assert float(rise[goldfish]) > 1.2 * float(others.max())  # no other class gains as much


def test_closeness_is_live_and_the_feature_space_runs(lite0, photo):
    assert {"closeness", "steps", "lr"} <= AccentParams.live_fields() and "space" not in AccentParams.live_fields()
    assert closeness_layer(lite0) == lite0.layer_names[len(lite0.layer_names) // 2]
    frames = []
    control = Control(AccentParams.defaults(steps=2, size=64, space="features"), emit_interval=None, emit_every=1)
    job = accentuate(lite0, photo("coffee.png"), "espresso", control=control)
    frames.append(next(job))
    control.update(closeness=5.0)
    run_to_end(job, frames.append)
    assert "distance" in frames[-1].metrics and frames[-1].final
    with pytest.raises(ValueError, match="AccentParams"):
        next(accentuate(lite0, photo("coffee.png"), "espresso", control=Control(ClassVizParams())))
