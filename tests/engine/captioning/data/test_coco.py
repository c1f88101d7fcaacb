"""Import of the course's coco_captioning folder, built small in the test:
layout, memory mapping, max_train, clear errors, training and sampling
(engine and CLI)."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
import torch

from engine.captioning import CaptioningRNN, CaptioningSolver
from engine.captioning.data import DatasetError, load_coco, sample_minibatch, split_names
from engine.captioning.data.vocab import decode_captions
from engine.cli import main
from engine.jobs import run_to_end

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "dog", "cat", "on", "grass", "sofa", "runs", "sleeps"]


def make_coco(folder, *, n_train=12, n_val=6, dim=8, pca=True, chunked=False, urls=True, seed=0):
    """A miniature coco_captioning folder: image i of either split is a dog
    (even i, running on grass) or a cat (odd i, sleeping on a sofa), and its
    features say which in their first value."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    w = {t: i for i, t in enumerate(WORDS)}

    def split(n):
        feats = rng.normal(0, 0.1, (n, dim)).astype(np.float32)
        feats[:, 0] = [1.0 if i % 2 == 0 else -1.0 for i in range(n)]
        caps, idxs = [], []
        for i in range(n):
            words = ["a", "dog", "runs", "on", "grass"] if i % 2 == 0 else ["a", "cat", "sleeps", "on", "sofa"]
            for _ in range(2):
                row = [w["<START>"]] + [w[x] for x in words] + [w["<END>"]]
                caps.append(row + [0] * (9 - len(row)))
                idxs.append(i)
        return feats, np.array(caps, np.int32), np.array(idxs, np.int32)

    suffix = "_pca" if pca else ""
    with h5py.File(folder / "coco2014_captions.h5", "w") as f:
        for name, n in (("train", n_train), ("val", n_val)):
            feats, caps, idxs = split(n)
            f[f"{name}_captions"], f[f"{name}_image_idxs"] = caps, idxs
            with h5py.File(folder / f"{name}2014_vgg16_fc7{suffix}.h5", "w") as g:
                if chunked:
                    g.create_dataset("features", data=feats, chunks=(4, dim), compression="gzip")
                else:
                    g["features"] = feats
            if urls:
                (folder / f"{name}2014_urls.txt").write_text(
                    "".join(f"http://images.cocodataset.org/{name}2014/{i:012d}.jpg\n" for i in range(n)))
    (folder / "coco2014_vocab.json").write_text(json.dumps({"idx_to_word": WORDS, "word_to_idx": w}))
    return folder


def test_loads_the_classic_dict_with_memory_mapped_features(tmp_path):
    data = load_coco(make_coco(tmp_path / "coco"))
    assert split_names(data) == ["train", "val"]
    assert isinstance(data["train_features"], np.memmap) and data["train_features"].shape == (12, 8)
    assert data["train_captions"].shape == (24, 9) and data["val_image_idxs"].shape == (12,)
    assert data["idx_to_word"] == WORDS and data["word_to_idx"]["dog"] == 5
    assert decode_captions(data["train_captions"][:1], WORDS) == ["a dog runs on grass"]
    assert data["train_urls"][3].endswith("000000000003.jpg")
    assert (data["cnn"], data["feature_layer"], data["feature_spec"], data["problems"]) == ("vgg16", "fc7_pca", None, [])
    caps, feats, urls = sample_minibatch(data, 5, "val", 1)
    assert feats.shape == (5, 8) and urls.shape == (5,)


def test_compressed_features_are_streamed_and_fc7_is_a_fallback(tmp_path):
    data = load_coco(make_coco(tmp_path / "c", pca=False, chunked=True, urls=False))
    assert isinstance(data["train_features"], h5py.Dataset) and data["feature_layer"] == "fc7"
    assert "train_urls" not in data
    caps, feats, _ = sample_minibatch(data, 7, "train", 0)          # unsorted indices work
    assert feats.shape == (7, 8)


def test_max_train_keeps_a_reproducible_subset(tmp_path):
    folder = make_coco(tmp_path / "c")
    a, b = load_coco(folder, max_train=5), load_coco(folder, max_train=5)
    assert a["train_captions"].shape == (5, 9)
    np.testing.assert_array_equal(a["train_image_idxs"], b["train_image_idxs"])
    assert a["train_features"].shape == (12, 8)                       # features stay whole
    assert load_coco(folder, max_train=1000)["train_captions"].shape == (24, 9)


@pytest.mark.parametrize("damage, message", [
    (lambda d: (d / "coco2014_captions.h5").unlink(), "coco2014_captions.h5: file is missing"),
    (lambda d: (d / "coco2014_vocab.json").write_text("{oops"), "not valid JSON"),
    (lambda d: (d / "coco2014_vocab.json").write_text('{"idx_to_word": []}'), "'idx_to_word' and 'word_to_idx'"),
    (lambda d: (d / "val2014_vgg16_fc7_pca.h5").unlink(), "no feature files"),
    (lambda d: (d / "train2014_vgg16_fc7_pca.h5").write_bytes(b"garbage"), "not a readable HDF5 file"),
    (lambda d: _drop(d / "coco2014_captions.h5", "val_image_idxs"), "lacks the dataset 'val_image_idxs'"),
    (lambda d: _drop(d / "train2014_vgg16_fc7_pca.h5", "features"), "lacks the dataset 'features'"),
    (lambda d: _set(d / "coco2014_captions.h5", "train_image_idxs", np.full(24, 99, np.int32)), "points past"),
    (lambda d: _set(d / "coco2014_captions.h5", "train_captions", np.full((24, 9), 50, np.int32)), "outside the vocabulary"),
])
def test_broken_folders_give_a_clear_error(tmp_path, damage, message):
    folder = make_coco(tmp_path / "c")
    damage(folder)
    with pytest.raises(DatasetError, match=message):
        load_coco(folder)


def _drop(path, key):
    with h5py.File(path, "a") as f:
        del f[key]


def _set(path, key, value):
    with h5py.File(path, "a") as f:
        del f[key]
        f[key] = value


def test_not_a_folder_and_bad_urls(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        load_coco(tmp_path / "nope")
    folder = make_coco(tmp_path / "c")
    (folder / "val2014_urls.txt").write_text("http://x/1.jpg\n")
    data = load_coco(folder)
    assert "val_urls" not in data and "1 URLs for 6 images" in data["problems"][0]


def test_trains_and_samples_on_the_imported_folder(tmp_path):
    torch.manual_seed(0)
    data = load_coco(make_coco(tmp_path / "c"))
    model = CaptioningRNN(data["word_to_idx"], input_dim=8, wordvec_dim=16, hidden_dim=32, cell_type="lstm", seed=0)
    solver = CaptioningSolver(model, data, optim_config={"learning_rate": 2e-2}, batch_size=8, num_epochs=40, seed=0,
                              val_bleu_samples=0)
    run_to_end(solver.run())
    assert solver.loss_history[-1] < 0.2 * solver.loss_history[0]
    captions = decode_captions(model.sample(np.asarray(data["val_features"][:4]), max_length=8), WORDS)
    assert captions == ["a dog runs on grass", "a cat sleeps on sofa"] * 2
    assert solver.evaluate_bleu("val")["bleu4"] == pytest.approx(1.0)


def test_cli_trains_samples_and_evaluates_a_coco_folder(tmp_path, capsys):
    folder = make_coco(tmp_path / "c")
    out = tmp_path / "m.pt"
    assert main(["caption", "train", "--cell", "rnn", "--dataset", str(folder), "--epochs", "30", "--batch-size", "8",
                 "--lr", "2e-2", "--lr-decay", "1", "--hidden", "32", "--wordvec", "16", "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["val_bleu"]["bleu4"] > 0.9 and report["iterations"] == 90
    assert main(["caption", "sample", str(out), "--split", "val", "--n", "2", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["captions"]
    assert [r["caption"] for r in rows] == [r["references"][0] for r in rows]
    assert rows[0]["image"].startswith("http://images.cocodataset.org/val2014/")
    assert main(["caption", "evaluate", str(out), "--split", "val"]) == 0
    assert json.loads(capsys.readouterr().out)["bleu4"] > 0.9
    photo = tmp_path / "p.png"
    photo.write_bytes(b"")
    assert main(["caption", "sample", str(out), str(photo)]) == 1
    err = capsys.readouterr().err.strip()
    assert "cannot caption new images" in err and len(err.splitlines()) == 1
