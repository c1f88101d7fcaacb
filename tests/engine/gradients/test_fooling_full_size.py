"""A fooling image carried onto the photo at its own size: the whole photo,
read back the way every reader reads it, is the target; outside the crop
nothing changes."""
from __future__ import annotations

import numpy as np
import pytest

from engine.gradients import FoolParams, fool, fool_full_size
from engine.imaging import crop_box, model_view
from engine.jobs import Control, run_to_end


@pytest.fixture(scope="module")
def chelsea_fooled(lite0, photo):
    image = photo("chelsea.png")
    _, result = run_to_end(fool(lite0, image, 76, FoolParams()))
    assert result.success
    return image, result


def test_the_full_size_photo_reads_back_as_the_target_and_only_the_crop_changes(lite0, chelsea_fooled):
    image, result = chelsea_fooled
    _, full = run_to_end(fool_full_size(lite0, image, result, FoolParams(max_iter=200)))
    assert full.success and full.read_back.index == 76 and full.image.shape == image.shape
    assert lite0.classify(full.image, 1)[0].index == 76  # the CLI's and every tab's path
    top, left, side = crop_box(*image.shape[:2], lite0.crop_fraction)
    outside = np.ones(image.shape[:2], bool)
    outside[top:top + side, left:left + side] = False
    assert np.array_equal(full.image[outside], image[outside])
    assert 0 < full.linf <= 40
    assert model_view(full.image, 224).shape == (224, 224, 3)


def test_a_photo_at_the_input_size_is_its_own_view(lite0, photo):
    image = model_view(photo("coffee.png"), 224)
    _, result = run_to_end(fool(lite0, image, 1, FoolParams()))
    _, full = run_to_end(fool_full_size(lite0, image, result))
    assert full.iterations == 0 and np.array_equal(full.image, result.image) and full.success == result.success


def test_another_photo_is_refused_and_a_stop_is_honoured(lite0, photo, chelsea_fooled):
    image, result = chelsea_fooled
    with pytest.raises(ValueError, match="not made from this photo"):
        run_to_end(fool_full_size(lite0, photo("coffee.png"), result))
    control = Control(FoolParams(lr=1e-4, max_iter=1000))
    weak = result.__class__(**{**result.__dict__, "image": result.original})  # no perturbation to carry
    control.cancel()
    _, full = run_to_end(fool_full_size(lite0, image, weak, control=control))
    assert full.cancelled and full.iterations == 0 and not full.success
