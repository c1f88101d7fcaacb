"""FeatureSpec, batched feature extraction (progress, skipping, cancel) and the cache helpers."""
from __future__ import annotations

import numpy as np
import pytest

from engine.captioning.data.features import (
    FeatureSpec,
    cache_dir,
    cache_key,
    compute_features,
    extract_features,
    load_npz,
    save_npz_atomic,
)
from engine.jobs import Control, run_to_end


def images(n, size=40, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (size, size + 8, 3), dtype=np.uint8) for _ in range(n)]


@pytest.mark.parametrize("kwargs, match", [
    ({"grid": 0}, "grid"), ({"grid": 2}, "spatial grid"), ({"image_size": 8}, "image_size"),
    ({"crop_fraction": 0}, "crop_fraction"), ({"layers": ()}, "layers"), ({"layers": ("a", "a")}, "layers"),
    ({"mean": (0.0,)}, "together"), ({"mean": (0.0,), "std": (0.0,)}, "positive"),
    ({"mean": (0.0, 1.0), "std": (1.0,)}, "same"), ({"mean": (np.nan,), "std": (1.0,)}, "finite"),
    ({"layers": ("stem",), "max_pooled": ("blocks.5",)}, "max_pooled"), ({"max_pooled": ("embed",)}, "max_pooled"),
    ({"layers": ("stem",), "max_pooled": ("stem", "stem")}, "max_pooled"), ({"max_pooled": (3,)}, "max_pooled"),
])
def test_spec_rejects_bad_values(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FeatureSpec(**kwargs)


def test_spec_round_trips_and_normalizes():
    raw = FeatureSpec(layers=("blocks.5", "blocks.15"), grid=2, image_size=64, crop_fraction=1.0)
    f = np.random.default_rng(0).normal(3.0, 2.0, (50, 4)).astype(np.float32)
    spec = raw.fit_normalization(f)
    assert spec.normalized and not raw.normalized and spec.raw() == raw
    assert FeatureSpec.from_dict(spec.as_dict()) == spec
    z = spec.normalize(f)
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(0), 1, atol=1e-4)
    with pytest.raises(ValueError, match="expects 4"):
        spec.normalize(f[:, :3])
    assert raw.description == "efficientnet_lite0 blocks.5+blocks.15 (2x2 avg pooled)"
    with pytest.raises(ValueError):
        FeatureSpec.from_dict({"cnn": "x", "bogus": 1, "layers": []})


def test_compute_features_pools_and_concatenates_layers(lite0):
    views = np.stack([FeatureSpec(image_size=48).view(im) for im in images(3)])
    assert views.shape == (3, 48, 48, 3)
    emb = compute_features(lite0, views, FeatureSpec(image_size=48))
    assert emb.shape == (3, 1280) and emb.dtype == np.float32
    multi = compute_features(lite0, views, FeatureSpec(layers=("blocks.5", "blocks.10"), grid=2, image_size=48))
    assert multi.shape == (3, (80 + 112) * 4)
    one = compute_features(lite0, views, FeatureSpec(layers=("blocks.5",), grid=2, image_size=48))
    np.testing.assert_allclose(multi[:, :320], one, rtol=1e-5, atol=1e-5)   # layers concatenated in order
    with pytest.raises(ValueError, match="loaded model"):
        compute_features(lite0, views, FeatureSpec(cnn="resnet18", image_size=48))


def test_max_pooled_layers_add_their_spatial_maximum(lite0):
    """Each max-pooled layer contributes its average, then its maximum over space."""
    import torch

    views = np.stack([FeatureSpec(image_size=48).view(im) for im in images(2)])
    spec = FeatureSpec(layers=("stem", "blocks.5"), max_pooled=("stem",), image_size=48)
    f = compute_features(lite0, views, spec)
    assert f.shape == (2, 32 + 32 + 80)
    with torch.inference_mode():
        stem = lite0.features_at(lite0.preprocess(views), ["stem"])["stem"]
    np.testing.assert_allclose(f[:, :32], stem.mean(dim=(2, 3)).numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(f[:, 32:64], stem.amax(dim=(2, 3)).numpy(), rtol=1e-6, atol=1e-6)
    assert (f[:, 32:64] >= f[:, :32] - 1e-6).all()
    assert spec.description == "efficientnet_lite0 stem+blocks.5 (avg pooled; max of stem)"
    assert FeatureSpec.from_dict(spec.as_dict()) == spec
    old = {k: v for k, v in spec.as_dict().items() if k != "max_pooled"}   # a checkpoint from before the field
    assert FeatureSpec.from_dict(old).max_pooled == ()
    with pytest.raises(ValueError, match="no layer"):
        compute_features(lite0, views, FeatureSpec(layers=("blocks.99",), image_size=48))


def test_extraction_reports_progress_and_skips_unreadable_items(lite0):
    pics = images(7)

    def load(i):
        if i == 3:
            raise ValueError("item 3: corrupt image")
        return pics[i]

    spec = FeatureSpec(layers=("blocks.5",), image_size=40)
    frames = []
    _, (feats, kept, skipped) = run_to_end(
        extract_features(lite0, list(range(7)), spec, Control(emit_every=1), batch_size=3, load=load), frames.append)
    assert [f.step for f in frames] == [3, 6, 7] and all(f.total == 7 for f in frames)
    assert frames[-1].image.shape == (40, 40, 3) and frames[-1].info.skipped == 1
    assert kept.tolist() == [0, 1, 2, 4, 5, 6] and skipped == [(3, "item 3: corrupt image")]
    direct = compute_features(lite0, np.stack([spec.view(pics[i]) for i in (0, 1, 2, 4, 5, 6)]), spec)
    np.testing.assert_allclose(feats, direct, rtol=1e-4, atol=1e-4)


def test_extraction_can_be_cancelled(lite0):
    control = Control(emit_every=1)
    job = extract_features(lite0, images(6), FeatureSpec(layers=("blocks.3",), image_size=32), control, batch_size=2)
    next(job)
    control.cancel()
    _, result = run_to_end(job)
    assert result is None


def test_cache_folder_key_and_files(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "c"))
    assert cache_dir() == tmp_path / "c" / "neural-lens" / "captioning"
    assert cache_dir(tmp_path) == tmp_path
    assert cache_key("a", 1, {"x": [1, 2]}) == cache_key("a", 1, {"x": [1, 2]}) != cache_key("a", 2, {"x": [1, 2]})
    path = save_npz_atomic(tmp_path / "sub" / "f.npz", a=np.arange(3))
    assert load_npz(path, ["a"])["a"].tolist() == [0, 1, 2]
    assert load_npz(path, ["a", "b"]) is None                       # incomplete: recompute
    path.write_bytes(b"not a zip")
    assert load_npz(path, ["a"]) is None                            # corrupt: recompute, never crash
    assert load_npz(tmp_path / "missing.npz", ["a"]) is None
    assert list((tmp_path / "sub").glob("*.tmp")) == []
