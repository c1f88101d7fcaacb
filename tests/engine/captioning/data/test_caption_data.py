"""``CaptionData``: typed splits, the course's classic dict both ways, and a
training subset that leaves the original data as it was."""
from __future__ import annotations

import numpy as np
import pytest

from engine.captioning.data import CaptionData, Split, limit_train, sample_minibatch, split_names


def classic(n_train=6, n_val=3, dim=5):
    rng = np.random.default_rng(0)
    data = {"word_to_idx": {"<NULL>": 0, "<START>": 1, "<END>": 2, "a": 3}, "idx_to_word": ["<NULL>", "<START>", "<END>", "a"],
            "feature_layer": "fc7", "word_dropout": 0.25}
    for split, n in (("train", n_train), ("val", n_val), ("extra", 2)):
        data[f"{split}_features"] = rng.normal(size=(n, dim)).astype(np.float32)
        data[f"{split}_captions"] = np.tile(np.asarray([[1, 3, 2, 0]], np.int32), (2 * n, 1))
        data[f"{split}_image_idxs"] = np.repeat(np.arange(n), 2).astype(np.int32)
    data["val_urls"] = np.asarray([f"v{i}.jpg" for i in range(n_val)])
    data["lonely_captions"] = np.zeros((1, 4), np.int32)        # no features: not a split
    return data


def test_the_classic_dict_becomes_typed_splits_and_reads_back_the_same():
    raw = classic()
    data = CaptionData.of(raw)
    assert data.split_names == ["train", "val", "extra"] == split_names(raw)
    val = data.split("val")
    assert isinstance(val, Split) and val.n_images == 3 and val.n_captions == 6 and val.caption_length == 4
    assert val.features is raw["val_features"] and val.urls is raw["val_urls"] and val.images is None
    assert data.feature_dim == 5 and data.feature_layer == "fc7" and data.word_dropout == 0.25
    assert data.word_to_idx == raw["word_to_idx"] and data.idx_to_word == raw["idx_to_word"]
    assert CaptionData.of(data) is data
    for key in ("train_features", "val_captions", "val_image_idxs", "val_urls", "word_to_idx"):
        assert data[key] is raw[key] or data[key] == raw[key]                  # the classic keys read the same
    assert "train_urls" not in data and "lonely_captions" not in data and data.get("val_scenes") is None
    with pytest.raises(ValueError, match="no 'test' split; it has train, val, extra"):
        data.split("test")


def test_a_training_subset_is_new_data_and_leaves_the_original_whole():
    data = CaptionData.of(classic())
    small = limit_train(data, 5, seed=1)
    assert small is not data and small.train.n_captions == 5 and data.train.n_captions == 12
    assert small.train.features is data.train.features and small.split("val") is data.split("val")
    rows = {tuple(r) for r in np.stack([small.train.captions[:, 0], small.train.image_idxs], 1).tolist()}
    assert rows <= {(1, i) for i in range(6)}
    assert limit_train(data, 100) is data and limit_train(data, None) is data


def test_a_minibatch_pairs_each_caption_with_its_images_features_and_url():
    data = CaptionData.of(classic())
    captions, features, urls = sample_minibatch(data, 8, "val", generator=0)
    val = data.split("val")
    index = [int(u[1:-4]) for u in urls]
    np.testing.assert_array_equal(features, val.features[index])
    assert captions.shape == (8, 4)
    with pytest.raises(ValueError, match="no 'novel' split"):
        sample_minibatch(data, 2, "novel")
