"""A practitioner's own model, end to end (``tools/shapes_classifier.py``):
a small CNN trained on the built-in shape scenes, saved as a plain state dict
with a ``labels.txt``, opened like a user opens it; its saliency maps fall on
the shape (the pointing game) and its class visualizations are its classes."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.generation import ClassVizParams, class_visualization
from engine.gradients import vanilla_saliency
from engine.jobs import run_to_end
from engine.models import load_model
from tools import shapes_classifier as tool

SHAPES = tool.SHAPES


@pytest.fixture(scope="module")
def shapes_model(tmp_path_factory):
    path = tool.FOLDER / "shapes_cnn.safetensors"
    if not path.exists():  # the shipped weights are missing: train them (about 2 minutes)
        path = tool.save(tool.train(log=lambda _line: None), tmp_path_factory.mktemp("shapes_cnn"))
    return load_model(str(path), "cpu")  # as `--model shapes_cnn.safetensors` does


def test_opened_like_a_user(shapes_model):
    assert shapes_model.source.arch == "timm/test_resnet"  # found from the keys and shapes
    assert shapes_model.labels == SHAPES and shapes_model.source.labels_from == "labels.txt"
    assert shapes_model.input_size == tool.SIZE
    assert shapes_model.default_layer("cam").layer == shapes_model.layer_names[-1]


def _test_set(model, n: int = 100):
    test = tool.scenes(n, 1)
    images = np.stack([tool.render_scene(s, tool.SIZE) for s in test])
    masks = np.stack([tool.object_mask(s) for s in test])
    targets = [SHAPES.index(s.main.shape) for s in test]
    return model.preprocess(images), masks, targets


def test_pointing_game_on_100_test_scenes(shapes_model):
    """The saliency map's maximum (Simonyan et al. §3.1, the true class) lies on
    the object for >= 85% of scenes, with a 2 px tolerance (the pointing game of
    Zhang et al. 2016 allows 15 px at 224 px, 4 px at this size).  Measured:
    65 / 83 / 87 / 92 hits at 0 / 1 / 2 / 3 px."""
    x, masks, targets = _test_set(shapes_model)
    with torch.no_grad():
        accuracy = float((shapes_model.logits(x).argmax(1) == torch.tensor(targets)).float().mean())
    maps = vanilla_saliency(shapes_model, x, targets).cpu().numpy()
    grown = torch.nn.functional.max_pool2d(torch.from_numpy(masks).float()[:, None], 5, 1, 2)[:, 0].numpy() > 0
    hits = 0
    for saliency, mask in zip(maps, grown):
        y, x_ = np.unravel_index(int(np.argmax(saliency)), saliency.shape)
        hits += bool(mask[y, x_])
    object_share = float(masks.mean())
    print(f"accuracy {accuracy:.2f}, pointing game {hits}/100, object area {object_share:.1%} of the picture")
    assert accuracy >= 0.9
    assert hits >= 85 > 100 * 3 * object_share  # far above chance (a random point hits the object ~object_share)


@pytest.mark.parametrize("shape", ["star", "ring"])
def test_class_visualization_is_assigned_its_class(shapes_model, shape):
    params = ClassVizParams.defaults(size=tool.SIZE, steps=96, jitter=2, pad=2, min_view=1.0)
    _, image = run_to_end(class_visualization(shapes_model, shape, params, seed=0))
    top = shapes_model.classify(image, 1, prepared=True)[0]
    assert top.label == shape and top.prob > 0.5
