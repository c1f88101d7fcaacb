"""The built-in scenes dataset: splits and held-out pairs, the classic dict,
the feature cache, cancelling, reproducible photo features, attribute accuracy."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.captioning import CaptioningRNN, CaptioningSolver
from engine.captioning.data import evaluate_split, sample_minibatch, split_names
from engine.captioning.data.evaluation import attribute_accuracy, evaluate_attributes
from engine.captioning.data.features import compute_features
from engine.captioning.data.scenes import scene_captions
from engine.captioning.data.shapes import SPLITS, ShapesConfig, build_shapes, load_shapes, make_scenes
from engine.captioning.data.vocab import decode_captions
from engine.jobs import Control, run_to_end

TINY = ShapesConfig(n_train=24, n_val=6, n_test=6, n_novel=6, image_size=48)


class CnnLoaded(Exception):
    pass


def never():
    raise CnnLoaded("the CNN must not be loaded when the features are cached")


@pytest.fixture()
def tiny(lite0):
    return load_shapes(lite0, TINY)


def test_held_out_pairs_only_in_the_novel_split():
    config = ShapesConfig(n_train=300, n_val=50, n_test=50, n_novel=50)
    held = set(config.held_out)
    assert len(held) == 8 and {c for c, _ in held} == {c for c, _ in config.allowed}  # every colour still seen
    assert {s for _, s in held} == {s for _, s in config.allowed} and len(config.allowed) == 56
    for split in ("train", "val", "test"):
        pairs = {(o.color, o.shape) for s in make_scenes(config, split) for o in s.objects}
        assert not pairs & held, split
    novel = make_scenes(config, "novel")
    assert all((s.main.color, s.main.shape) in held for s in novel)
    assert all(s.other is None or (s.other.color, s.other.shape) not in held for s in novel)
    assert make_scenes(config, "test") == make_scenes(config, "test")
    assert make_scenes(config, "test") != make_scenes(ShapesConfig(seed=1), "test")[:50]


@pytest.mark.parametrize("kwargs", [{"n_train": 0}, {"n_val": -1}, {"image_size": 8}, {"two_object_fraction": 2},
                                    {"held_out": (("magenta", "circle"),)}, {"held_out": (), "n_novel": 5}])
def test_config_rejects_bad_values(kwargs):
    with pytest.raises(ValueError):
        ShapesConfig(**kwargs)


def test_build_gives_the_classic_dict(tiny):
    d = tiny
    assert split_names(d) == list(SPLITS)
    for s, n in (("train", 24), ("val", 6), ("test", 6), ("novel", 6)):
        assert d[f"{s}_features"].shape == (n, 256) and d[f"{s}_features"].dtype == np.float32
        assert d[f"{s}_captions"].shape[0] == 4 * n and d[f"{s}_image_idxs"].shape == (4 * n,)
        assert len(d[f"{s}_urls"]) == len(d[f"{s}_images"]) == len(d[f"{s}_scenes"]) == n
        for row in range(0, 4 * n, 5):   # every caption row is a phrasing of its image's scene
            text = decode_captions(d[f"{s}_captions"][row], d["idx_to_word"])[0]
            assert text in scene_captions(d[f"{s}_scenes"][d[f"{s}_image_idxs"][row]])
    assert d["idx_to_word"][:4] == ["<NULL>", "<START>", "<END>", "<UNK>"]
    assert d["cnn"] == "efficientnet_lite0" and d["feature_layer"] == "stem+blocks.5+blocks.10"
    assert d["dataset"] == "shapes" and d["problems"] == []
    np.testing.assert_allclose(d["train_features"].mean(0), 0, atol=1e-4)     # standardised on train
    assert d["train_images"][3].shape == (48, 48, 3)


def test_features_of_a_rendered_image_are_reproduced_from_the_spec(tiny, lite0):
    """What `caption sample photo.png` does must give the dataset's features."""
    from engine.captioning.data.features import FeatureSpec

    spec = FeatureSpec.from_dict(tiny["feature_spec"])
    img = tiny["val_images"][2]
    f = compute_features(lite0, spec.view(img)[None], spec)
    np.testing.assert_allclose(f[0], tiny["val_features"][2], rtol=1e-3, atol=1e-3)


def test_second_load_comes_from_the_cache(tiny, cache_home):
    files = list(cache_home.glob("shapes-*.npz"))
    assert len(files) == 1
    frames = []
    _, again = run_to_end(build_shapes(never, TINY), frames.append)
    assert [f.info.name for f in frames] == ["cached"]
    for s in SPLITS:
        np.testing.assert_array_equal(again[f"{s}_features"], tiny[f"{s}_features"])
        np.testing.assert_array_equal(again[f"{s}_captions"], tiny[f"{s}_captions"])
    assert again["feature_spec"] == tiny["feature_spec"]
    other = ShapesConfig(n_train=24, n_val=6, n_test=6, n_novel=6, image_size=48, seed=9)
    with pytest.raises(CnnLoaded):   # another seed is another dataset: it needs the CNN
        load_shapes(never, other)


def test_cancelled_build_returns_none_and_caches_nothing(lite0, cache_home):
    control = Control(emit_every=1)
    job = build_shapes(lite0, TINY, control=control, batch_size=8)
    frame = next(job)
    assert frame.info.name == "features:train" and frame.total == 42
    control.cancel()
    _, result = run_to_end(job)
    assert result is None and not list(cache_home.glob("*.npz"))


def test_minibatch_matches_the_image_features(tiny):
    caps, feats, urls = sample_minibatch(tiny, 10, "val", 0)
    assert caps.shape == (10, tiny["val_captions"].shape[1]) and feats.shape == (10, 256) and len(urls) == 10
    for c, f, u in zip(caps, feats, urls):
        i = int(u.split("/")[1])
        np.testing.assert_array_equal(f, tiny["val_features"][i])
        rows = np.nonzero(tiny["val_image_idxs"] == i)[0]
        assert any(np.array_equal(c, tiny["val_captions"][r]) for r in rows)
    with pytest.raises(ValueError, match="no 'bogus' split"):
        sample_minibatch(tiny, 2, "bogus")


def test_attribute_accuracy_scores_main_color_and_shape():
    scenes = make_scenes(ShapesConfig(n_test=20), "test")[:20]
    right = [scene_captions(s)[0] for s in scenes]
    assert attribute_accuracy(right, scenes).accuracy == 1.0
    shifted = right[1:] + right[:1]                     # captions of other scenes
    score = attribute_accuracy(shifted, scenes)
    assert score.accuracy < 0.3 and score.n == 20
    color_only = [f"a {s.main.color} thing" for s in scenes]
    assert attribute_accuracy(color_only, scenes).as_dict() == {"accuracy": 0.0, "color_accuracy": 1.0,
                                                                 "shape_accuracy": 0.0, "n": 20}
    with pytest.raises(ValueError):
        attribute_accuracy(right[:3], scenes)


def test_a_small_lstm_learns_to_name_the_main_object(lite0):
    """A short run: near-perfect on its training images, far above chance
    (1/56 pairs) on unseen ones; an untrained model is at chance."""
    torch.manual_seed(0)
    config = ShapesConfig(n_train=160, n_val=40, n_test=40, n_novel=10, image_size=64, two_object_fraction=0.0)
    data = load_shapes(lite0, config)
    model = CaptioningRNN(data["word_to_idx"], input_dim=256, wordvec_dim=32, hidden_dim=64, cell_type="lstm", seed=0)
    assert evaluate_attributes(model, data, "train")[0].accuracy < 0.1
    solver = CaptioningSolver(model, data, optim_config={"learning_rate": 1e-2}, batch_size=64, num_epochs=25,
                              seed=0, val_bleu_samples=0)
    run_to_end(solver.run())
    train_score, _ = evaluate_attributes(model, data, "train")
    test_score, captions = evaluate_attributes(model, data, "test")
    assert train_score.accuracy > 0.85
    assert test_score.accuracy > 0.25 and test_score.shape_accuracy > 0.5
    result = evaluate_split(model, data, "test")
    assert result["attributes"] == test_score.as_dict() and result["n_images"] == 40
    assert 0.3 < result["bleu1"] <= 1 and 0 <= result["bleu4"] <= result["bleu1"]
    assert result["examples"][0]["caption"] == captions[0]
