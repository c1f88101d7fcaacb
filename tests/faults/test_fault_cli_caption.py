"""Bad input for the ``caption`` CLI group (train, sample, evaluate,
gradcheck): broken datasets, broken checkpoints, broken images, bad numbers.
One line on stderr and a non-zero exit each; never a traceback.  One tiny
model is trained per module on a six-photo captions JSON."""
from __future__ import annotations

import io
import json
import os
import shutil

import numpy as np
import pytest
import torch
from badfiles import BAD_IMAGES, NON_UTF8_NAME, REASONS, photo_array, unreadable
from PIL import Image

from engine.cli import main

COLORS = {"red": (220, 30, 30), "blue": (30, 30, 220), "green": (30, 200, 30)}


def run(capsys, *argv):
    try:
        code = main(["--device", "cpu", "caption", *map(str, argv)])
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, *argv, says=()):
    code, _, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert code not in (0, None), f"accepted: {argv}"
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for needle in (says,) if isinstance(says, str) else says:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def world(tmp_path_factory, lite0):
    """A captions JSON dataset of six photos and a model trained on it (via the CLI)."""
    root = tmp_path_factory.mktemp("caption-cli")
    photos = root / "photos"
    photos.mkdir()
    items = []
    for k, (name, rgb) in enumerate(list(COLORS.items()) * 2):
        img = photo_array(40, 40, seed=k)
        img[10:30, 10:30] = rgb
        Image.fromarray(img).save(photos / f"{name}{k}.png")
        items.append({"image": f"{name}{k}.png", "captions": [f"a {name} square"], "split": "train" if k < 4 else "val"})
    (photos / "captions.json").write_text(json.dumps(items))
    import engine.models

    real = engine.models.load_model
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(root / "cache"))
        mp.setattr(engine.models, "load_model",
                   lambda name=None, device=None, **kw: lite0 if name in (None, "efficientnet_lite0") and not kw
                   else real(name, device=device, **kw))
        threads = torch.get_num_threads()
        buf = io.StringIO()
        from contextlib import redirect_stdout

        with redirect_stdout(buf):
            code = main(["--device", "cpu", "caption", "train", "--cell", "rnn", "--dataset", str(photos / "captions.json"),
                         "--epochs", "2", "--batch-size", "4", "--hidden", "8", "--wordvec", "8", "--threads", "1",
                         "--out", str(root / "model.pt"), "--json"])
        torch.set_num_threads(threads)
        assert code == 0
        yield {"root": root, "json": photos / "captions.json", "photos": photos, "model": root / "model.pt",
               "report": json.loads(buf.getvalue())}


def test_the_tiny_model_works(world, capsys, files):
    assert world["report"]["iterations"] == 2 and np.isfinite(world["report"]["final_loss"])
    code, out, err = run(capsys, "sample", world["model"], files["good_png"], files["png16_rgb"], "--json")
    assert code == 0, err
    assert [len(r["caption"].split()) > 0 for r in json.loads(out)["captions"]] == [True, True]
    code, out, err = run(capsys, "evaluate", world["model"], "--split", "val")
    assert code == 0 and 0 <= json.loads(out)["bleu1"] <= 1, err


@pytest.mark.parametrize("case", BAD_IMAGES)
def test_sample_refuses_a_bad_photo(case, world, files, capsys, monkeypatch):
    if case == "unreadable":
        unreadable(monkeypatch, files[case])
    refused(capsys, "sample", world["model"], files["good_png"], files[case], says=(files[case].name, REASONS[case]))


def test_sample_prints_a_non_utf8_name_back(world, files, capsys, monkeypatch):
    strict = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)
    monkeypatch.setattr("sys.stdout", strict)
    assert main(["--device", "cpu", "caption", "sample", str(world["model"]), str(files["non_utf8_name"])]) == 0
    assert os.fsencode(NON_UTF8_NAME) in strict.buffer.getvalue()


@pytest.fixture(scope="module")
def broken_checkpoints(world, tmp_path_factory):
    folder = tmp_path_factory.mktemp("broken-ckpt")
    raw = world["model"].read_bytes()
    out = {}
    for name, data in {"empty": b"", "truncated": raw[: len(raw) // 3], "text": b"hello\n",
                       "random": os.urandom(3000)}.items():
        out[name] = folder / f"{name}.pt"
        out[name].write_bytes(data)
    good = torch.load(world["model"], weights_only=True)
    for name, change in {
        "metadata_list": lambda d: d.update(metadata=[1]),
        "spec_inf_grid": lambda d: d["metadata"]["feature_spec"].update(grid=float("inf")),
        "spec_garbage": lambda d: d["metadata"].update(feature_spec="embed"),
        "options_garbage": lambda d: d["metadata"].update(dataset_options=5),
        "dataset_gone": lambda d: d["metadata"].update(dataset_source=str(folder / "moved.json")),
        "no_dataset": lambda d: d["metadata"].pop("dataset_source"),
    }.items():
        data = {**good, "metadata": dict(good["metadata"], feature_spec=dict(good["metadata"]["feature_spec"]))}
        change(data)
        out[name] = folder / f"{name}.pt"
        torch.save(data, out[name])
    out["folder"] = folder / "a-folder.pt"
    out["folder"].mkdir()
    return out


@pytest.mark.parametrize("case, says", [
    ("empty", "not a readable checkpoint"), ("truncated", "not a readable checkpoint"),
    ("text", "not a readable checkpoint"), ("random", "not a readable checkpoint"), ("folder", "no such file"),
    ("metadata_list", "metadata is malformed"), ("spec_inf_grid", "feature spec"), ("spec_garbage", "feature spec"),
])
def test_sample_refuses_a_broken_checkpoint(case, says, broken_checkpoints, files, capsys):
    path = broken_checkpoints[case]
    refused(capsys, "sample", path, files["good_png"], says=(path.name, says))


@pytest.mark.parametrize("case, says", [
    ("empty", "not a readable checkpoint"), ("truncated", "not a readable checkpoint"),
    ("metadata_list", "metadata is malformed"), ("options_garbage", "dataset options in the checkpoint are malformed"),
    ("dataset_gone", "moved.json"), ("no_dataset", "give --dataset"),
])
def test_evaluate_refuses_a_broken_checkpoint_or_a_lost_dataset(case, says, broken_checkpoints, capsys):
    refused(capsys, "evaluate", broken_checkpoints[case], says=says)


def test_evaluate_and_sample_options(world, capsys, tmp_path):
    m = world["model"]
    refused(capsys, "evaluate", m, "--split", "novel", says="no 'novel' split")
    refused(capsys, "sample", m, "--split", "val", "--beam", "3", "--temperature", "1", says="not both")
    refused(capsys, "sample", m, says="give image files or --split")
    refused(capsys, "sample", m, "x.png", "--split", "val", says="not both")
    refused(capsys, "evaluate", m, "--dataset", tmp_path / "nope.json", says="nope.json")
    other = tmp_path / "other.json"
    shutil.copytree(world["photos"], tmp_path / "p")
    (tmp_path / "p" / "captions.json").write_text(json.dumps(
        [{"image": "red0.png", "captions": ["completely different words"]}]))
    refused(capsys, "evaluate", m, "--dataset", tmp_path / "p" / "captions.json", says="vocabulary differs")
    for value in ("-1", "-inf", "nan", "0", "1e400"):
        refused(capsys, "sample", m, "--split", "val", f"--temperature={value}", says="--temperature")
    for option in ("--beam", "--n", "--max-length"):
        refused(capsys, "sample", m, "--split", "val", f"{option}=-5", says=option)
    refused(capsys, "sample", m, "--split", "val", "--seed=-1", says="--seed")
    refused(capsys, "evaluate", m, "--max-images=0", says="--max-images")
    assert not other.exists()


@pytest.mark.parametrize("dataset, says", [
    ("{tmp}/missing.json", "no such"),
    ("{tmp}", "not a dataset folder"),
    ("{tmp}/bad.json", "not valid JSON"),
    ("{tmp}/keys.json", "needs 'image' and 'captions'"),
    ("{tmp}/only_bad.json", "no readable training image"),
    ("{tmp}/coco", "not a readable HDF5 file"),
])
def test_train_refuses_a_broken_dataset(dataset, says, tmp_path, files, capsys, shared_model, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "bad.json").write_text('[{"image": "a.png", "captions": ["x"]')
    (tmp_path / "keys.json").write_text('[{"image": "a.png"}]')
    shutil.copyfile(files["truncated_jpeg"], tmp_path / "t.jpg")
    (tmp_path / "only_bad.json").write_text('[{"image": "t.jpg", "captions": ["a red square"]}]')
    (tmp_path / "coco").mkdir()
    (tmp_path / "coco" / "coco2014_captions.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 40)
    out = tmp_path / "m.pt"
    if dataset == "{tmp}":  # a folder of JSON files, none of them a dataset's: still not a dataset folder
        assert {"bad.json", "keys.json", "only_bad.json"} <= {p.name for p in tmp_path.iterdir()}
    refused(capsys, "train", "--cell", "lstm", "--dataset", dataset.format(tmp=tmp_path), "--epochs", "1",
            "--out", out, says=says)
    assert not out.exists()


def test_train_options(world, tmp_path, capsys, shared_model):
    data = ["--dataset", world["json"], "--epochs", "1", "--batch-size", "2", "--hidden", "4", "--wordvec", "4"]
    refused(capsys, "train", "--cell", "gru", *data, "--out", tmp_path / "m.pt", says="invalid choice")
    refused(capsys, "train", "--cell", "rnn", *data, "--out", tmp_path, says="cannot write the checkpoint")
    refused(capsys, "train", "--cell", "rnn", *data, "--out", tmp_path / "no" / "m.pt", says="cannot write")
    refused(capsys, "train", "--cell", "rnn", *data, "--images", tmp_path / "nowhere", "--out", tmp_path / "m.pt",
            says="nowhere")
    refused(capsys, "train", "--cell", "rnn", *data, "--cnn", "resnet9000", "--out", tmp_path / "m.pt",
            says="unknown model")
    for option, value in (("--seed", "-1"), ("--seed", str(2**64)), ("--data-seed", "-3"), ("--lr", "nan"),
                          ("--lr", "1e9"), ("--lr-decay", "-inf"), ("--epochs", "0"), ("--max-train", "-2")):
        refused(capsys, "train", "--cell", "rnn", *data, f"{option}={value}", "--out", tmp_path / "m.pt",
                says=option)
    assert os.listdir(tmp_path) == []


def test_gradcheck_seed_and_device(capsys):
    refused(capsys, "gradcheck", "--seed=-99999999999999999999", says="--seed")
    refused(capsys, "gradcheck", f"--seed={2**64}", says="--seed")
    code, out, _ = run(capsys, "gradcheck", "--no-model", "--seed", str(2**63 - 1), "--json")
    assert code == 0 and json.loads(out)["passed"] is True
    code, _, err = run(capsys, "--device", "tpu", "gradcheck")
    assert code != 0 and len(err.strip().splitlines()) == 1


def test_an_empty_split_is_a_message_not_a_crash(world, capsys):
    """The six-photo dataset has no test images: training skipped it (it crashed
    with a traceback before), sampling and evaluating it say so."""
    assert "test_bleu" not in world["report"] and "val_bleu" in world["report"]
    refused(capsys, "evaluate", world["model"], "--split", "test", says="no captioned images")
    refused(capsys, "sample", world["model"], "--split", "test", says="test")
