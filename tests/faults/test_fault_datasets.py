"""Dataset imports (engine): a captions JSON file with its image folder and
the course's coco_captioning folder, broken in every way we could think of.
A broken dataset raises ``DatasetError`` naming the file and the problem; a
broken *image* inside a good dataset is skipped and listed, never fatal.
(The captioning owner's tests cover the common JSON/COCO layout errors; these
are the remaining entry-point faults.)"""
from __future__ import annotations

import json
import os
import shutil

import h5py
import numpy as np
import pytest
from badfiles import BAD_IMAGES, NON_UTF8_NAME, ODD_IMAGES, REASONS, unreadable

from engine.captioning.data import DatasetError, dataset_job, load_coco, parse_captions_json
from engine.jobs import run_to_end

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "red", "blue", "square"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def write(path, content):
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


# ---------------------------------------------------------------- captions JSON
@pytest.mark.parametrize("content, reason", [
    (b"", "not valid JSON"),
    (b"\xff\xfe\x00garbage", "not UTF-8"),
    ("42", "expected COCO captions"),
    ("null", "expected COCO captions"),
    ('"images"', "expected COCO captions"),
    ({"images": "a.png", "annotations": []}, "must be lists"),
    ({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"caption": "a red square"}]},
     "annotations[0] needs 'image_id' and 'caption'"),
    ({"images": [3], "annotations": []}, "images[0] needs 'id' and 'file_name'"),
    ({"images": [{"filename": "a.png"}]}, "images[0] needs 'filename' and a 'sentences' list"),
    ({"images": [{"filename": "a.png", "sentences": [{"text": "x"}]}]}, "needs 'raw' text or 'tokens'"),
    ({"images": [{"filename": "a.png", "sentences": "a red square"}]}, "a 'sentences' list"),
    ([{"captions": ["a red square"]}], "item 0 needs 'image' and 'captions'"),
    ([{"image": "a.png", "captions": 7}], "'captions' must be a list of texts"),
    ([{"image": "a.png", "captions": [["nested"]]}], "'captions' must be a list of texts"),
    ([{"image": "a.png", "captions": ["x"], "split": 5}], "unknown split 5"),
    ([1, 2, 3], "item 0 needs 'image' and 'captions'"),
])
def test_malformed_captions_json(tmp_path, content, reason):
    path = write(tmp_path / "captions.json", content)
    with pytest.raises(DatasetError) as info:
        parse_captions_json(path)
    assert str(info.value).startswith(str(path)) and reason in str(info.value), str(info.value)


def test_json_that_is_a_folder_unreadable_or_oddly_named(tmp_path, monkeypatch):
    folder = tmp_path / "captions.json"
    folder.mkdir()
    with pytest.raises(DatasetError, match="is not a file"):
        parse_captions_json(folder)
    odd = write(tmp_path / (NON_UTF8_NAME + ".json"), [{"image": "a.png", "captions": ["a red square"]}])
    assert parse_captions_json(odd) == [("a.png", ["a red square"], None)]
    unreadable(monkeypatch, odd)
    with pytest.raises(DatasetError, match="cannot be read \\(Permission denied\\)"):
        parse_captions_json(odd)


def test_a_folder_with_two_json_files_or_none_is_not_a_dataset(tmp_path, lite0):
    for name in ("a.json", "b.json"):
        write(tmp_path / name, [{"image": "x.png", "captions": ["a"]}])
    with pytest.raises(DatasetError, match="not a dataset folder"):
        run_to_end(dataset_job(tmp_path, lite0))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="not a dataset folder"):
        run_to_end(dataset_job(empty, lite0))


def test_broken_images_are_skipped_and_named_odd_ones_are_kept(tmp_path, files, lite0, monkeypatch):
    """Every bad image file of the suite in one dataset, next to every odd-but-valid one."""
    folder = tmp_path / "photos"
    folder.mkdir()
    items = []
    for case in BAD_IMAGES + ODD_IMAGES:
        src = files[case]
        name = os.path.basename(src)
        if case == "directory":
            (folder / name).mkdir()
        elif case != "missing":
            shutil.copyfile(src, folder / name)
        items.append({"image": name, "captions": [f"a red square number {len(items)}"], "split": "train"})
    items.append({"image": "good_png.png", "captions": ["   ", "!!!"], "split": "train"})  # no usable caption
    shutil.copyfile(files["good_png"], folder / "good_png.png")
    path = write(folder / "captions.json", items)
    unreadable(monkeypatch, folder / os.path.basename(files["unreadable"]))
    _, data = run_to_end(dataset_job(path, lite0))
    problems = data["problems"]
    assert len(problems) == len(BAD_IMAGES) + 1, problems
    for case in BAD_IMAGES:
        line = next(p for p in problems if os.path.basename(files[case]) in p)
        assert REASONS[case] in line and line.endswith("skipped"), line
    assert any("good_png.png: no usable caption" in p for p in problems)
    assert data["train_features"].shape == (len(ODD_IMAGES), 1280)
    assert np.isfinite(data["train_features"]).all()
    kept = {os.path.basename(u) for u in data["train_urls"]}
    assert kept == {os.path.basename(files[c]) for c in ODD_IMAGES}


def test_only_broken_images_is_a_clear_error(tmp_path, files, lite0):
    for case in ("truncated_png", "text_as_png", "bomb"):
        shutil.copyfile(files[case], tmp_path / files[case].name)
    path = write(tmp_path / "c.json", [{"image": files[c].name, "captions": ["a red square"]}
                                       for c in ("truncated_png", "text_as_png", "bomb")])
    with pytest.raises(DatasetError, match="no readable training image"):
        run_to_end(dataset_job(path, lite0))


# ---------------------------------------------------------------- coco_captioning folder
def make_coco(folder, n=4, dim=6):
    folder.mkdir(parents=True, exist_ok=True)
    w = {t: i for i, t in enumerate(WORDS)}
    row = [w["<START>"], w["a"], w["red"], w["square"], w["<END>"], 0]
    with h5py.File(folder / "coco2014_captions.h5", "w") as f:
        for split in ("train", "val"):
            f[f"{split}_captions"] = np.array([row] * n, np.int32)
            f[f"{split}_image_idxs"] = np.arange(n, dtype=np.int32)
            with h5py.File(folder / f"{split}2014_vgg16_fc7_pca.h5", "w") as g:
                g["features"] = np.random.default_rng(0).normal(size=(n, dim)).astype(np.float32)
    write(folder / "coco2014_vocab.json", {"idx_to_word": WORDS, "word_to_idx": w})
    return folder


def _h5_set(path, key, value):
    with h5py.File(path, "a") as f:
        if key in f:
            del f[key]
        f[key] = value


CAPS, VOCAB, FEATS = "coco2014_captions.h5", "coco2014_vocab.json", "train2014_vgg16_fc7_pca.h5"


@pytest.mark.parametrize("damage, where, reason", [
    (lambda d: write(d / CAPS, b""), CAPS, "not a readable HDF5 file"),
    (lambda d: write(d / CAPS, (d / CAPS).read_bytes()[:1000]), CAPS, "not a readable HDF5 file"),
    (lambda d: write(d / FEATS, b""), FEATS, "not a readable HDF5 file"),
    (lambda d: write(d / VOCAB, b""), VOCAB, "not valid JSON"),
    (lambda d: write(d / VOCAB, b"\xff\xfe{}"), VOCAB, "cannot be read"),
    (lambda d: (d / VOCAB).unlink() or (d / VOCAB).mkdir(), VOCAB, "file is missing"),
    (lambda d: write(d / VOCAB, {"idx_to_word": [1, 2], "word_to_idx": {}}), VOCAB, "list of words"),
    (lambda d: write(d / VOCAB, {"idx_to_word": WORDS, "word_to_idx": WORDS}), VOCAB, "must map words"),
    (lambda d: write(d / VOCAB, {"idx_to_word": ["a"], "word_to_idx": {"a": 0}}), VOCAB, "lacks <NULL>"),
    (lambda d: write(d / VOCAB, [1, 2]), VOCAB, "must be an object"),
    (lambda d: _h5_set(d / CAPS, "train_captions", np.zeros((4, 6), np.float32)), CAPS, "must hold integers"),
    (lambda d: _h5_set(d / CAPS, "train_captions", np.zeros(4, np.int32)), CAPS, "must be (N, T) and (N,)"),
    (lambda d: _h5_set(d / CAPS, "val_image_idxs", np.arange(3, dtype=np.int32)), CAPS, "must be (N, T) and (N,)"),
    (lambda d: _h5_set(d / CAPS, "train_captions", np.full((4, 6), -3, np.int32)), CAPS, "outside the vocabulary"),
    (lambda d: _h5_set(d / FEATS, "features", np.zeros(4, np.float32)), FEATS, "non-empty 2-D float array"),
    (lambda d: _h5_set(d / FEATS, "features", np.zeros((0, 6), np.float32)), FEATS, "non-empty 2-D float array"),
    (lambda d: _h5_set(d / FEATS, "features", np.zeros((4, 6), np.int64)), FEATS, "non-empty 2-D float array"),
    (lambda d: _h5_set(d / FEATS, "features", np.zeros((4, 5), np.float32)), "", "different sizes"),
])
def test_broken_coco_folders(tmp_path, damage, where, reason):
    folder = make_coco(tmp_path / "coco")
    damage(folder)
    with pytest.raises(DatasetError) as info:
        load_coco(folder)
    assert reason in str(info.value) and str(folder / where).rstrip("/") in str(info.value), str(info.value)


def test_unreadable_vocabulary_and_odd_url_files(tmp_path, monkeypatch):
    folder = make_coco(tmp_path / "coco")
    write(folder / "train2014_urls.txt", b"http://x/\xff.jpg\n" * 4)          # not UTF-8: a problem, not fatal
    write(folder / "val2014_urls.txt", "http://x/1.jpg\n")                    # wrong count: a problem
    data = load_coco(folder)
    assert len(data["problems"]) == 2 and "train_urls" not in data and "val_urls" not in data
    unreadable(monkeypatch, folder / VOCAB)
    with pytest.raises(DatasetError, match="cannot be read"):
        load_coco(folder)


@pytest.mark.parametrize("max_train", [0, -1, 2.5, float("nan"), float("inf"), 10**30, "3", True])
def test_coco_max_train_must_be_a_positive_integer(tmp_path, max_train):
    folder = make_coco(tmp_path / "coco")
    if max_train in (10**30,):
        assert load_coco(folder, max_train=max_train)["train_captions"].shape == (4, 6)
        return
    with pytest.raises(DatasetError, match="max_train must be a positive integer"):
        load_coco(folder, max_train=max_train)
