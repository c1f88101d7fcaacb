"""Bad input for every image CLI subcommand (classify, models, layers, saliency,
fool, classviz, invert, dream): broken and awkward image files, NaN /
infinite / negative / absurd numbers, bad output paths, broken weight files.
Each refusal is ONE line on stderr starting with ``error:`` and a non-zero
exit; never a traceback.  (The ``caption`` group: test_fault_cli_caption.py.)"""
from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest
import torch
from badfiles import BAD_IMAGES, NON_UTF8_NAME, ODD_IMAGES, REASONS, unreadable

from engine.cli import main
from engine.imaging import load_image, read_png_params


def run(capsys, *argv):
    try:
        code = main(["--device", "cpu", *map(str, argv)])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def refused(capsys, *argv, says: str | tuple = ()) -> str:
    """Run, and check: non-zero exit, one 'error:' line on stderr naming ``says``."""
    code, _, err = run(capsys, *argv)
    lines = err.strip().splitlines()
    assert code not in (0, None), f"accepted: {argv}"
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    for needle in (says,) if isinstance(says, str) else says:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def image_commands(image, out):
    """Every subcommand that reads an image file, with tiny sizes."""
    ok = str(image)
    return {
        "classify": ["classify", image],
        "saliency": ["saliency", image, "--out", out, "--points", "2"],
        "fool": ["fool", image, "--target", "1", "--max-iter", "1", "--out", out],
        "invert": ["invert", image, "--layer", "stem", "--steps", "1", "--size", "16", "--out", out],
        "dream": ["dream", image, "--layer", "stem", "--steps", "1", "--octaves", "1", "--out", out],
        "dream --guide": ["dream", ok, "--guide", image, "--layer", "stem", "--steps", "1", "--octaves", "1",
                          "--out", out],
    }


@pytest.mark.parametrize("case", BAD_IMAGES)
def test_every_image_command_refuses_a_bad_image_in_one_line(case, files, tmp_path, capsys, monkeypatch, shared_model):
    if case == "unreadable":
        unreadable(monkeypatch, files[case])
    out = tmp_path / "out.png"
    for name, argv in image_commands(str(files[case]), out).items():
        if name == "dream --guide":
            argv[1] = str(files["good_png"])
        line = refused(capsys, *argv, says=(files[case].name, REASONS[case]))
        assert not out.exists(), f"{name} wrote a result for {case}"
        assert line.count(":") >= 2, line


@pytest.mark.parametrize("case", ODD_IMAGES)
def test_odd_but_valid_images_are_classified(case, files, capsys, shared_model):
    code, out, err = run(capsys, "classify", files[case], "--top", "3", "--json")
    assert code == 0, err
    predictions = json.loads(out)["predictions"]
    assert len(predictions) == 3 and all(0 <= p["prob"] <= 1 for p in predictions)


def test_a_non_utf8_file_name_in_and_out_on_a_strict_utf8_terminal(files, tmp_path, capsys, monkeypatch, shared_model):
    """Names that are not UTF-8 reach Python as lone surrogates; printing them
    must not crash (it did: UnicodeEncodeError) and the file must be written
    under the very same bytes."""
    strict = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", write_through=True)
    monkeypatch.setattr("sys.stdout", strict)
    out = os.path.join(str(tmp_path), NON_UTF8_NAME)
    assert main(["--device", "cpu", "invert", str(files["non_utf8_name"]), "--layer", "stem", "--steps", "1",
                 "--size", "16", "--out", out]) == 0
    printed = strict.buffer.getvalue()
    assert os.fsencode(out) in printed  # the original bytes, as `ls` would show them
    assert load_image(out).shape == (16, 16, 3)
    assert os.fsencode(NON_UTF8_NAME) in os.listdir(os.fsencode(str(tmp_path)))
    line = refused(capsys, "classify", os.path.join(str(tmp_path), os.fsdecode(b"\xff\xfe.png")), says="no such file")
    assert "\\udcff" in line  # shown escaped on stderr, not a crash


NUMBERS = ("nan", "inf", "-inf", "1e309", "-1")


@pytest.mark.parametrize("argv, says", [
    (["fool", "{img}", "--target", "1", "--lr={v}", "--out", "{out}"], "learning rate"),
    (["saliency", "{img}", "--method", "smoothgrad", "--noise={v}", "--out", "{out}"], "noise"),
    (["saliency", "{img}", "--opacity={v}", "--out", "{out}"], "--opacity"),
    (["classviz", "--target", "1", "--lr={v}", "--out", "{out}"], "--lr"),
    (["invert", "{img}", "--layer", "stem", "--tv={v}", "--out", "{out}"], "--tv"),
    (["dream", "{img}", "--layer", "stem", "--lr={v}", "--out", "{out}"], "--lr"),
    (["dream", "{img}", "--layer", "stem", "--octave-scale={v}", "--out", "{out}"], "--octave-scale"),
])
def test_non_finite_and_negative_floats_are_refused(argv, says, files, tmp_path, capsys, shared_model):
    for value in NUMBERS:
        args = [a.format(img=files["good_png"], out=tmp_path / "o.png", v=value) for a in argv]
        refused(capsys, *args, says=says)
    assert not (tmp_path / "o.png").exists()


@pytest.mark.parametrize("argv, says", [
    (["classify", "{img}", "--top={v}"], "--top"),
    (["fool", "{img}", "--target", "1", "--max-iter={v}", "--out", "{out}"], "max iterations"),
    (["fool", "{img}", "--target={v}", "--out", "{out}"], "class"),
    (["saliency", "{img}", "--method", "smoothgrad", "--samples={v}", "--out", "{out}"], "samples"),
    (["saliency", "{img}", "--method", "integrated-gradients", "--steps={v}", "--out", "{out}"], "steps"),
    (["saliency", "{img}", "--batch-size={v}", "--out", "{out}"], "batch_size"),
    (["saliency", "{img}", "--points={v}", "--out", "{out}"], "--points"),
    (["saliency", "{img}", "--target={v}", "--out", "{out}"], "class"),
    (["classviz", "--target", "1", "--steps={v}", "--out", "{out}"], "--steps"),
    (["classviz", "--target", "1", "--size={v}", "--out", "{out}"], "--size"),
    (["classviz", "--target", "1", "--seed={v}", "--out", "{out}"], "--seed"),
    (["invert", "{img}", "--layer", "stem", "--steps={v}", "--out", "{out}"], "--steps"),
    (["invert", "{img}", "--layer", "stem", "--size={v}", "--out", "{out}"], "--size"),
    (["invert", "{img}", "--layer", "stem", "--seed={v}", "--out", "{out}"], "--seed"),
    (["dream", "{img}", "--layer", "stem", "--steps={v}", "--out", "{out}"], "--steps"),
    (["dream", "{img}", "--layer", "stem", "--octaves={v}", "--out", "{out}"], "--octaves"),
    (["dream", "{img}", "--layer", "stem", "--jitter={v}", "--out", "{out}"], "--jitter"),
    (["dream", "{img}", "--layer", "stem", "--tile={v}", "--out", "{out}"], "--tile"),
    (["dream", "{img}", "--layer", "stem", "--seed={v}", "--out", "{out}"], "--seed"),
])
def test_negative_huge_and_non_integer_counts_are_refused(argv, says, files, tmp_path, capsys, shared_model):
    for value in ("-1", "-99999999999999999999", "99999999999999999999", "nan", "2.5"):
        args = [a.format(img=files["good_png"], out=tmp_path / "o.png", v=value) for a in argv]
        line = refused(capsys, *args)
        if value not in ("nan", "2.5"):  # argparse says "invalid int value" for those
            assert says in line, line
    assert not (tmp_path / "o.png").exists()


def test_extreme_but_valid_values_run(files, tmp_path, capsys, shared_model):
    """The edges of each range are accepted and give a real result."""
    out = tmp_path / "edge.png"
    small = files["png16_rgb"]
    for argv in (
        ["classify", small, "--top", "1000", "--json"],
        ["fool", small, "--target", "999", "--lr", "1000", "--max-iter", "1", "--out", out, "--json"],
        ["saliency", small, "--method", "smoothgrad", "--samples", "1", "--noise", "1", "--batch-size", "1",
         "--points", "2", "--opacity", "0", "--out", out, "--json"],
        ["classviz", "--target", "0", "--size", "16", "--steps", "1", "--lr", "1000", "--seed", str(2**63 - 1),
         "--out", out, "--json"],
        ["dream", small, "--layer", "stem", "--steps", "1", "--octaves", "12", "--octave-scale", "4", "--lr", "100",
         "--jitter", "512", "--tile", "0", "--out", out, "--json"],
    ):
        code, stdout, err = run(capsys, *argv)
        assert code == 0, (argv[0], err)
        result = json.loads(stdout)
        assert all(np.isfinite(v) for v in result.values() if isinstance(v, float)), result
    assert read_png_params(out)["octaves"] == 12


def test_usage_errors_are_one_line_too(capsys):
    for argv in (["classify"], ["fool", "x.png"], ["dream", "x.png", "--layer"], ["saliency", "x", "--method", "magic"],
                 ["no-such-command"], ["classify", "x.png", "--top", "-inf"]):
        code, _, err = run(capsys, *argv)
        lines = err.strip().splitlines()
        assert code == 2 and len(lines) == 1 and lines[0].startswith("error: neural-lens"), err
        assert "--help" in lines[0]


@pytest.mark.parametrize("where", ["folder", "no_folder", "not_png", "unwritable"])
def test_bad_output_paths_are_refused_before_any_work(where, files, tmp_path, capsys, monkeypatch, shared_model):
    target = {"folder": tmp_path, "no_folder": tmp_path / "missing" / "o.png", "not_png": tmp_path / "o.jpg",
              "unwritable": tmp_path / "locked" / "o.png"}[where]
    if where == "unwritable":
        target.parent.mkdir()
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if str(p) == str(target.parent)
                            else real_access(p, mode, **kw))
    img = files["good_png"]
    commands = [["saliency", img, "--out", target], ["fool", img, "--target", "1", "--out", target]]
    if where != "unwritable":  # the generation commands find out when writing (next test)
        commands += [["classviz", "--target", "1", "--out", target],
                     ["invert", img, "--layer", "stem", "--out", target],
                     ["dream", img, "--layer", "stem", "--out", target]]
    for argv in commands:
        if where == "not_png" and argv[0] in ("saliency", "fool"):
            continue  # they write PNG data whatever the suffix
        refused(capsys, *argv, says=str(target.name if where != "folder" else target))


def test_a_failing_write_is_one_line_and_leaves_no_temporary_file(files, tmp_path, capsys, monkeypatch, shared_model):
    import engine.imaging

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(engine.imaging.os, "fsync", full_disk)
    refused(capsys, "invert", files["good_png"], "--layer", "stem", "--steps", "1", "--size", "16",
            "--out", tmp_path / "o.png", says="No space left")
    assert os.listdir(tmp_path) == []


def test_unknown_layer_class_model_and_device(files, tmp_path, capsys, shared_model):
    img, out = files["good_png"], tmp_path / "o.png"
    refused(capsys, "invert", img, "--layer", "blocks.99", "--out", out, says="no layer 'blocks.99'")
    refused(capsys, "dream", img, "--layer", "", "--out", out, says="no layer")
    refused(capsys, "saliency", img, "--method", "gradcam", "--layer", "nope", "--out", out, says="no layer")
    refused(capsys, "classviz", "--target", "not a class", "--out", out, says="unknown class")
    refused(capsys, "fool", img, "--target", "nan", "--out", out, says="unknown class")
    refused(capsys, "classify", img, "--model", "resnet9000", says="unknown model")
    code, _, err = run(capsys, "--device", "tpu:7", "classify", img)
    assert code == 1 and err.strip().splitlines() == [err.strip()] and "device" in err
    code, _, err = run(capsys, "--device", "cuda", "layers")
    if torch.cuda.is_available():  # the GPU machine: asking for CUDA is fine there
        assert code == 0, err
    else:
        assert code == 1 and len(err.strip().splitlines()) == 1 and "CUDA" in err, err


@pytest.fixture
def weight_files(tmp_path_factory):
    from badfiles import make_weight_files

    return make_weight_files(tmp_path_factory.mktemp("weights"))


@pytest.mark.parametrize("case", ["corrupt", "truncated", "empty", "pickle_payload", "not_a_state_dict",
                                  "wrong_architecture", "directory"])
def test_broken_weight_files_are_refused_by_classify_and_layers(case, weight_files, files, capsys):
    path, marker = weight_files[case], weight_files["marker"]
    for argv in (["classify", files["good_png"], "--model", path], ["layers", "--model", path]):
        refused(capsys, *argv, says=(path.name,))
    assert not marker.exists(), "the pickle payload ran"


def test_models_lists_a_broken_hub_file_and_layers_refuses_it(weight_files, capsys, monkeypatch, tmp_path):
    hub = tmp_path / "torch" / "hub" / "checkpoints"
    hub.mkdir(parents=True)
    (hub / "resnet18-f37072fd.pth").write_bytes(weight_files["corrupt"].read_bytes())
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    code, out, err = run(capsys, "models", "--json")
    assert code == 0, err
    names = [m["name"] for m in json.loads(out)["models"]]
    assert names == ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2", "resnet18"]
    refused(capsys, "layers", "--model", "resnet18", says=("resnet18", "cannot read weight file"))


@pytest.mark.parametrize("shape", [(1, 1), (1, 300), (300, 2)])
def test_degenerate_image_sizes_still_work(shape, tmp_path, capsys, shared_model):
    from PIL import Image

    src = tmp_path / "thin.png"
    Image.fromarray(np.full((*shape, 3), 90, np.uint8)).save(src)
    out = tmp_path / "o.png"
    for argv in (["classify", src, "--json"], ["fool", src, "--target", "3", "--max-iter", "1", "--out", out],
                 ["dream", src, "--layer", "blocks.8", "--steps", "1", "--octaves", "3", "--out", out],
                 ["dream", files_png(tmp_path), "--guide", src, "--layer", "blocks.3", "--steps", "1", "--octaves", "1",
                  "--out", out]):
        code, _, err = run(capsys, *argv)
        assert code == 0, (argv[0], err)
    assert load_image(out).shape == (32, 32, 3)


def files_png(folder):
    from PIL import Image

    path = folder / "square.png"
    Image.fromarray(np.full((32, 32, 3), 200, np.uint8)).save(path)
    return path
