"""Every classifier command on a user's own model files: a 5-class ResNet-18
state dict with labels.txt, a timm ViT checkpoint, a greyscale safetensors
ResNet, an ONNX file, a ``torch.export`` program and a pickled whole model
(with ``--trust-code``).  Each file is opened for real by ``classify``; the
other commands reuse that model (loading is the same code) to stay fast."""
from __future__ import annotations

import json

import numpy as np
import pytest

from engine.cli import main
from engine.imaging import load_image, read_png_params, save_png
from tests import user_models
from tests.user_models import SMALL

user_model_files = user_models.user_model_files  # the fixture

FORMATS = ["resnet", "vit", "grey", "onnx", "pt2", "pickle"]
_LOADED: dict = {}


def _model_args(files, kind) -> list[str]:
    return ["--model", str(files[kind])] + (["--trust-code"] if kind == "pickle" else [])


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photo.png"
    save_png(path, np.random.default_rng(0).integers(0, 256, (80, 100, 3), dtype=np.uint8))
    return path


@pytest.fixture
def reuse_models(monkeypatch):
    """``load_model`` keeps what it opened for the rest of this module's tests."""
    import engine.models as models

    real = models.load_model

    def cached(name=None, device=None, **options):
        key = (name, tuple(sorted(options.items())))
        if key not in _LOADED:
            _LOADED[key] = real(name, device, **options)
        return _LOADED[key]

    monkeypatch.setattr(models, "load_model", cached)


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("kind", FORMATS)
def test_every_command_runs_on_the_file(kind, user_model_files, photo, tmp_path, capsys, reuse_models):
    model = _model_args(user_model_files, kind)
    assert main(["--device", "cpu", "classify", str(photo), "--top", "2", "--json", *model]) == 0
    predictions = _json(capsys)["predictions"]
    assert len(predictions) == 2 and 0 < predictions[0]["prob"] <= 1
    assert main(["layers", "--json", *model]) == 0
    listed = _json(capsys)
    layers, defaults = listed["layers"], listed["defaults"]
    assert set(defaults) == {"cam", "dream", "layers"} and defaults["cam"]["layer"] in layers
    assert user_model_files[kind].name in listed["model"]
    dream_layer = defaults["dream"]["layer"]

    out = tmp_path / "saliency.png"
    assert main(["saliency", str(photo), "--out", str(out), "--json", *model]) == 0
    assert 0 <= _json(capsys)["deletion_auc"] <= 1
    assert read_png_params(out)["model"] == listed["model"]  # file name and short hash in the PNG
    assert load_image(out).shape == (SMALL, SMALL, 3)
    assert main(["saliency", str(photo), "--method", "gradcam", "--out", str(out), *model]) == 0
    assert "gradcam saliency" in capsys.readouterr().out

    out = tmp_path / "fool.png"
    assert main(["fool", str(photo), "--target", "1", "--max-iter", "3", "--out", str(out), "--json", *model]) == 0
    assert _json(capsys)["target"]["index"] == 1 and load_image(out).shape == (SMALL, SMALL, 3)

    out = tmp_path / "viz.png"
    assert main(["classviz", "--target", "0", "--steps", "3", "--size", "64", "--out", str(out), "--json", *model]) == 0
    assert read_png_params(out)["model"] == listed["model"]
    capsys.readouterr()
    assert main(["invert", str(photo), "--layer", dream_layer, "--steps", "2", "--size", "64", "--out", str(out),
                 "--json", *model]) == 0
    assert _json(capsys)["layer"] == dream_layer
    assert main(["dream", str(photo), "--steps", "2", "--octaves", "1", "--out", str(out), "--json", *model]) == 0
    said = capsys.readouterr()  # no --layer: the model's own DeepDream layer, named on stderr with the reason
    assert json.loads(said.out)["layer"] == dream_layer and json.loads(said.out)["objective_after"] > 0
    assert f"layer {dream_layer} (the model's default" in said.err and defaults["dream"]["reason"] in said.err
    assert main(["channels", str(photo), "--top", "2", "--json", *model]) == 0
    said = capsys.readouterr()  # no --layer: the model's own Layers layer, said in one line
    assert json.loads(said.out)["layer"] == defaults["layers"]["layer"] and len(json.loads(said.out)["channels"]) == 2
    assert [line for line in said.err.splitlines() if line.startswith("layer ")] == [
        f"layer {defaults['layers']['layer']} (the model's default; --layer to choose another): {defaults['layers']['reason']}"]


def test_labels_and_names_from_the_files(user_model_files, photo, capsys, reuse_models):
    assert main(["classify", str(photo), "--top", "5", "--json", *_model_args(user_model_files, "resnet")]) == 0
    assert {p["label"] for p in _json(capsys)["predictions"]} == {"apple", "banana", "cherry", "date", "elder"}
    assert main(["classify", str(photo), "--json", *_model_args(user_model_files, "vit")]) == 0
    assert {p["label"] for p in _json(capsys)["predictions"]} == {"ant", "bee", "cat"}


def test_refusals_are_one_line(user_model_files, photo, tmp_path, fails_in_one_line):
    fails_in_one_line(["classify", str(photo), "--model", str(user_model_files["pickle"])], "--trust-code")
    fails_in_one_line(["classify", str(photo), "--model", str(user_model_files["resnet"]), "--arch", "timm/test_vit"],
                      "do not fit timm/test_vit")
    fails_in_one_line(["classify", str(photo), "--arch", "resnet18"], "apply to a model file")
    fails_in_one_line(["dream", str(photo), "--out", str(tmp_path / "d.png")], "--layer is required")
    fails_in_one_line(["channels", str(photo)], "--layer is required for efficientnet_lite0")  # the bundled: no default
    labels = tmp_path / "three.txt"
    labels.write_text("a\nb\nc\n")
    fails_in_one_line(["classify", str(photo), "--model", str(user_model_files["resnet"]), "--labels", str(labels)],
                      "3 class names (from three.txt) but the network has 5 outputs")
    fails_in_one_line(["classify", str(photo), "--model", str(tmp_path / "missing.pth")], "missing.pth: does not exist")


def test_channels_index_on_a_model_file(user_model_files, photo, tmp_path, capsys):
    """The dataset index runs on a user's file too; its shards' model recipe carries the file's options."""
    from engine.index import ModelSpec

    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        (folder / name).write_bytes(photo.read_bytes())
    out = tmp_path / "photos.nlindex"
    model = _model_args(user_model_files, "pickle")
    assert main(["channels", "index", str(folder), "--layers", "features.3", "--top", "2", "--out", str(out), "--json",
                 *model]) == 0
    assert json.loads(capsys.readouterr().out)["indexed"] == 2
    spec = ModelSpec(str(user_model_files["pickle"]), "cpu", trust_code=True, arch=None)
    assert spec().source.kind == "pickled model" and "trust_code=True" in repr(spec)
