"""``fool`` from the command line: the saved PNG, read back, is the target."""
from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.imaging import load_image, read_png_params


def test_fool_json_and_png_read_back(shared_model, photo_dir, tmp_path, capsys):
    out, diff = tmp_path / "fool.png", tmp_path / "diff.png"
    code = main(["fool", str(photo_dir / "coffee.png"), "--target", "tarantula", "--out", str(out),
                 "--difference", str(diff), "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"success", "iterations", "target", "predicted", "l2", "linf", "seconds"}
    assert result["success"] is True and 1 <= result["iterations"] <= 100
    assert result["target"] == {"index": 76, "label": "tarantula"}
    assert result["predicted"]["index"] == 76 and result["predicted"]["label"] == "tarantula"
    assert 0 < result["linf"] <= 255 and result["l2"] >= result["linf"]
    image = load_image(out)
    assert image.shape == (224, 224, 3)
    assert shared_model.classify(image, 1, prepared=True)[0].index == 76
    params = read_png_params(out)
    assert params["kind"] == "fooling" and params["lr"] == 1.0 and params["max_iter"] == 100
    assert params["iterations"] == result["iterations"]
    assert read_png_params(diff)["magnification"] > 1


@pytest.mark.parametrize("name, target", [("chelsea.png", "tarantula"), ("coffee.png", "goldfish"),
                                          ("astronaut.png", "banana"), ("rocket.jpg", "daisy")])
def test_full_size_fooling_reads_back_as_the_target(shared_model, photo_dir, tmp_path, capsys, name, target):
    """``--full-size``: the saved PNG is the whole photo, and ``classify``
    (which takes the centre crop and resizes it) reads it as the target."""
    out = tmp_path / "full.png"
    assert main(["fool", str(photo_dir / name), "--target", target, "--full-size", "--out", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    photo = load_image(photo_dir / name)
    saved = load_image(out)
    assert saved.shape == photo.shape and result["full_size"]["size"] == [photo.shape[1], photo.shape[0]]
    assert result["success"] is True and result["full_size"]["success"] is True
    assert main(["classify", str(out), "--top", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["predictions"][0]["label"] == target
    assert read_png_params(out)["view"] == f"photo {photo.shape[1]}x{photo.shape[0]}"
    assert 0 < result["linf"] <= 40  # a perturbation, not a new picture


def test_fool_asks_a_judge_whether_the_fooling_image_transfers(shared_model, photo_dir, tmp_path, capsys):
    out = tmp_path / "fool.png"
    assert main(["fool", str(photo_dir / "coffee.png"), "--target", "tarantula", "--out", str(out),
                 "--judge", "lite1", "--json"]) == 0
    judge = json.loads(capsys.readouterr().out)["judge"]
    assert judge["model"] == "efficientnet_lite1" and len(judge["top"]) == 5
    assert [p["prob"] for p in judge["top"]] == sorted((p["prob"] for p in judge["top"]), reverse=True)


def test_fool_not_reached_within_max_iter(shared_model, photo_dir, tmp_path, capsys):
    out = tmp_path / "f.png"
    code = main(["fool", str(photo_dir / "coffee.png"), "--target", "0", "--lr", "0.01", "--max-iter", "1",
                 "--out", str(out)])
    assert code == 0
    text = capsys.readouterr().out
    assert "NOT fooled after 1 steps" in text and out.exists()


@pytest.mark.parametrize("extra, message", [
    (["--target", "unicorn"], "unicorn"),
    (["--target", "0", "--lr", "0"], "learning rate"),
    (["--target", "0", "--lr", "inf"], "learning rate"),
    (["--target", "0", "--max-iter", "0"], "max iterations"),
])
def test_bad_options_are_one_line_errors(shared_model, extra, message, photo_dir, tmp_path, fails_in_one_line):
    out = tmp_path / "x.png"
    fails_in_one_line(["fool", str(photo_dir / "coffee.png"), "--out", str(out), *extra], message, out)


def test_bad_files(tmp_path, capsys):
    assert main(["fool", str(tmp_path / "missing.jpg"), "--target", "1", "--out", str(tmp_path / "o.png")]) != 0
    assert "no such file" in capsys.readouterr().err
    assert main(["fool", str(tmp_path / "missing.jpg"), "--target", "1", "--out", str(tmp_path)]) != 0
    assert "is a folder" in capsys.readouterr().err


@pytest.mark.parametrize("photo, target", [("chelsea.png", "tarantula"), ("coffee.png", "goldfish"),
                                           ("astronaut.png", "banana"), ("rocket.jpg", "daisy")])
def test_a_saved_fooling_image_reads_back_as_the_target(shared_model, photo_dir, tmp_path, capsys, photo, target):
    """photo -> fool -> PNG -> ``classify``: the reader sees what was saved (a
    picture at the model's input size is not cropped and resized again)."""
    out = tmp_path / "f.png"
    assert main(["fool", str(photo_dir / photo), "--target", target, "--out", str(out), "--json"]) == 0
    fooled = json.loads(capsys.readouterr().out)
    assert fooled["success"] is True, fooled
    assert main(["classify", str(out), "--top", "1", "--json"]) == 0
    top = json.loads(capsys.readouterr().out)["predictions"][0]
    assert top["label"] == target and top["index"] == fooled["target"]["index"]
