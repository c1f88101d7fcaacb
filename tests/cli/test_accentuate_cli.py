"""``classviz --accentuate PHOTO`` and ``--param maco --mask``: the numbers
reported are measured on the saved PNG, the mask is saved at the picture's
size, each network starts with its own parameterisation, and
accentuation-only options are refused without a photo."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cli import main
from engine.imaging import load_image, read_png_params

pytestmark = pytest.mark.usefixtures("shared_model")


def test_accentuate_reports_the_objective_before_and_after(tmp_path, capsys, photo_dir):
    out, mask = tmp_path / "acc.png", tmp_path / "mask.png"
    assert main(["classviz", "--accentuate", str(photo_dir / "chelsea.png"), "--target", "goldfish", "--steps", "12",
                 "--out", str(out), "--mask", str(mask), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["objective"] == "goldfish" and result["after"] > result["before"] + 2.0
    assert 0.5 < result["rms_distance"] < 30.0
    assert load_image(out).shape == (224, 224, 3) and load_image(mask).shape == (224, 224, 3)
    params = read_png_params(out)
    assert params["mode"] == "feature accentuation" and params["closeness"] == 100.0


def test_maco_saves_its_importance_mask(tmp_path, capsys):
    out, mask = tmp_path / "maco.png", tmp_path / "mask.png"
    assert main(["classviz", "--param", "maco", "--target", "lemon", "--steps", "6", "--size", "64",
                 "--out", str(out), "--mask", str(mask)]) == 0
    grey = load_image(mask)
    assert grey.shape == (64, 64, 3) and int(grey.max()) == 255 and float(np.std(grey)) > 1.0
    assert read_png_params(out)["parameterization"] == "maco"


def test_classviz_starts_with_the_networks_own_parameterisation(tmp_path):
    from engine.generation.classviz import recommended_parameterization

    assert recommended_parameterization("efficientnet_lite2") == "maco"
    assert recommended_parameterization("efficientnet_lite0") == "fourier" == recommended_parameterization("my.pth")
    out = tmp_path / "lite2.png"
    assert main(["classviz", "--model", "lite2", "--target", "lemon", "--steps", "1", "--size", "32",
                 "--out", str(out)]) == 0
    assert read_png_params(out)["parameterization"] == "maco"


def test_accentuation_options_need_a_photo(tmp_path, capsys):
    assert main(["classviz", "--target", "goldfish", "--closeness", "5", "--out", str(tmp_path / "x.png")]) != 0
    assert "--closeness applies only with --accentuate" in capsys.readouterr().err
