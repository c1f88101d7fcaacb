"""The relation metric (#18): the relation words of two-object scenes, in any
phrasing; and the grid features the attention cell reads."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.captioning import attention as A
from engine.captioning.data.evaluation import relation_accuracy
from engine.captioning.data.features import FeatureSpec, compute_features
from engine.captioning.data.scenes import RELATIONS, caption_relation, scene_captions
from engine.captioning.data.shapes import ShapesConfig, load_shapes, make_scenes
from engine.captioning.data.spatial import data_regions, spatial_feature_spec, spatial_photo_spec, spec_regions

TINY = ShapesConfig(n_train=12, n_val=4, n_test=4, n_novel=4, image_size=48)


def two_object_scenes(n=40):
    scenes = [s for s in make_scenes(ShapesConfig(n_test=200), "test") if s.other is not None]
    return scenes[:n]


def test_every_phrasing_of_every_scene_states_its_relation():
    scenes = two_object_scenes()
    assert {s.relation for s in scenes} == set(RELATIONS)
    for s in scenes:
        for text in scene_captions(s):
            assert caption_relation(text.split()) == (s.relation, (s.main.color, s.main.shape)), text
    assert caption_relation("a big red circle on the left".split())[0] is None        # a place, not a relation
    assert caption_relation("there is a red star with a blue ring above it".split())[0] == "below"


def test_relation_accuracy_scores_relations_whatever_the_phrasing():
    scenes = two_object_scenes()
    one_object = [s for s in make_scenes(ShapesConfig(n_test=50), "test") if s.other is None][:5]
    for k in range(4):
        score = relation_accuracy([scene_captions(s)[k] for s in scenes] + ["a red circle"] * 5, scenes + one_object)
        assert score.as_dict() == {"accuracy": 1.0, "stated": 1.0, "strict_accuracy": 1.0, "n": len(scenes)}
    opposite = {"left": "right", "right": "left", "above": "below", "below": "above"}
    wrong = [scene_captions(s)[0].replace(RELATIONS[s.relation][0], RELATIONS[opposite[s.relation]][0])
             for s in scenes]
    assert relation_accuracy(wrong, scenes).accuracy == 0.0
    # naming the second object first, with the relation reversed, is right
    swapped = [f"a {s.other.color} {s.other.shape} {RELATIONS[opposite[s.relation]][0]} "
               f"a {s.main.color} {s.main.shape}" for s in scenes]
    assert relation_accuracy(swapped, scenes).accuracy == 1.0
    # the right relation with a wrong object counts, but not strictly
    s = scenes[0]
    other_shape = next(x for x in ("circle", "square") if x != s.other.shape)
    loose = f"a {s.main.color} {s.main.shape} {RELATIONS[s.relation][0]} a {s.other.color} {other_shape}"
    assert relation_accuracy([loose], [s]).as_dict() == {"accuracy": 1.0, "stated": 1.0, "strict_accuracy": 0.0,
                                                         "n": 1}
    none = relation_accuracy(["a red circle"], one_object[:1])
    assert none.n == 0 and none.as_dict()["accuracy"] is None
    with pytest.raises(ValueError):
        relation_accuracy(["x"], scenes[:2])


def test_spatial_specs_and_their_regions():
    spec = spatial_feature_spec(TINY)
    assert spec.grid == 4 and spec.image_size == 48 and spec.crop_fraction == 1.0 and not spec.max_pooled
    assert spec_regions(spec) == spec_regions(spec.as_dict()) == 16
    assert spec_regions(FeatureSpec(layers=("blocks.5",), grid=1)) == 1
    assert spec_regions(FeatureSpec(layers=("stem",), grid=3, max_pooled=("stem",))) == 1
    assert spec_regions(None) == 1 and data_regions({}) == 1
    assert spec_regions(spatial_photo_spec()) == 49
    with pytest.raises(ValueError, match="efficientnet_lite0"):
        spatial_feature_spec(TINY, cnn="resnet18")


def test_grid_features_of_the_scenes_are_per_cell_hypercolumns(lite0, cache_home):
    data = load_shapes(lite0, TINY, spatial_feature_spec(TINY))
    assert data_regions(data) == 16 and data["train_features"].shape == (12, 16 * (32 + 80 + 112))
    spec = FeatureSpec.from_dict(data["feature_spec"])
    img = data["val_images"][1]
    f = compute_features(lite0, spec.view(img)[None], spec)
    np.testing.assert_allclose(f[0], data["val_features"][1], rtol=1e-3, atol=1e-3)
    grid = A.grid_features(torch.as_tensor(f), 16)
    assert grid.shape == (1, 16, 224)
