"""``saliency`` from the command line: overlay PNG, raw map, JSON with the
deletion/insertion AUC, one-line errors."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cli import main
from engine.imaging import load_image, read_png_params


def test_vanilla_json_png_and_npy(shared_model, photo_dir, tmp_path, capsys):
    out, npy = tmp_path / "sal.png", tmp_path / "sal.npy"
    code = main(["saliency", str(photo_dir / "coffee.png"), "--out", str(out), "--npy", str(npy),
                 "--points", "6", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["target"] == {"index": 967, "label": "espresso"} and result["method"] == "vanilla"
    assert 0 <= result["deletion_auc"] < result["insertion_auc"] <= 1
    overlay = load_image(out)
    assert overlay.shape == (224, 224, 3)
    saliency = np.load(npy)
    assert saliency.shape == (224, 224) and saliency.dtype == np.float32 and saliency.min() >= 0 and saliency.max() > 0
    params = read_png_params(out)
    assert params["kind"] == "saliency-overlay" and params["method"] == "vanilla" and params["target"]["index"] == 967
    assert params["deletion_auc"] == pytest.approx(result["deletion_auc"])


def test_gradcam_on_a_named_layer_and_class_by_name(shared_model, photo_dir, tmp_path, capsys):
    out = tmp_path / "cam.png"
    code = main(["saliency", str(photo_dir / "chelsea.png"), "--target", "tabby", "--method", "gradcam",
                 "--layer", "blocks.14", "--out", str(out), "--points", "4", "--json", "--cmap", "jet"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["target"] == {"index": 281, "label": "tabby"} and result["method"] == "gradcam"
    assert read_png_params(out)["layer"] == "blocks.14"


def test_text_output(shared_model, photo_dir, tmp_path, capsys):
    code = main(["saliency", str(photo_dir / "coffee.png"), "--method", "smoothgrad", "--samples", "2",
                 "--out", str(tmp_path / "s.png"), "--points", "3"])
    assert code == 0
    text = capsys.readouterr().out
    assert "smoothgrad saliency for class 967 (espresso)" in text and "deletion AUC" in text


@pytest.mark.parametrize("extra, message", [
    (["--target", "unicorn"], "unicorn"),
    (["--target", "1000"], "1000"),
    (["--method", "gradcam", "--layer", "nope"], "no layer 'nope'"),
    (["--samples", "0", "--method", "smoothgrad"], "samples"),
    (["--noise", "nan"], "noise"),
    (["--opacity", "2"], "--opacity"),
    (["--points", "1"], "--points"),
])
def test_bad_options_are_one_line_errors(shared_model, extra, message, photo_dir, tmp_path, fails_in_one_line):
    out = tmp_path / "x.png"
    fails_in_one_line(["saliency", str(photo_dir / "coffee.png"), "--out", str(out), *extra], message, out)


def test_bad_files_are_one_line_errors(tmp_path, capsys):
    text = tmp_path / "notes.png"
    text.write_text("not an image")
    for argv, message in [
        (["saliency", str(tmp_path / "missing.png"), "--out", str(tmp_path / "o.png")], "no such file"),
        (["saliency", str(text), "--out", str(tmp_path / "o.png")], "not an image"),
        (["saliency", str(text), "--out", str(tmp_path / "no" / "o.png")], "does not exist"),
    ]:
        assert main(argv) != 0
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1
