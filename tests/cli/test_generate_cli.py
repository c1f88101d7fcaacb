"""``classviz``, ``invert`` and ``dream`` from the command line: JSON numbers
measured on the saved PNG, embedded parameters, a progress bar on a terminal,
and one-line errors."""
from __future__ import annotations

import io
import json

import pytest

from engine.cli import main
from engine.imaging import load_image, read_png_params, resize, save_png

pytestmark = pytest.mark.usefixtures("shared_model")


def _json(capsys):
    return json.loads(capsys.readouterr().out)


def test_classviz_json_prob_is_of_the_saved_png(tmp_path, capsys, lite0):
    out = tmp_path / "goldfish.png"
    assert main(["classviz", "--target", "goldfish", "--steps", "16", "--size", "96", "--seed", "2",
                 "--out", str(out), "--json"]) == 0
    result = _json(capsys)
    assert result["target"] == {"index": 1, "label": "goldfish"}
    assert result["prob"] > 0.5 and result["top"]["index"] == 1
    assert load_image(out).shape == (96, 96, 3)
    params = read_png_params(out)
    assert params["target"] == 1 and params["steps"] == 16 and params["parameterization"] == "fourier"


def test_invert_reports_the_final_feature_distance(tmp_path, capsys, photo_dir):
    out = tmp_path / "inv.png"
    assert main(["invert", str(photo_dir / "chelsea.png"), "--layer", "blocks.1", "--steps", "30", "--size", "96",
                 "--out", str(out), "--json"]) == 0
    result = _json(capsys)
    assert result["layer"] == "blocks.1" and 0 < result["distance"] < 0.5 and result["correlation"] > 0.6
    assert read_png_params(out)["layer"] == "blocks.1"


def test_dream_reports_objective_before_and_after_and_draws_a_progress_bar(tmp_path, capsys, photo_dir, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    out = tmp_path / "dream.png"
    assert main(["dream", str(photo_dir / "coffee.png"), "--layer", "blocks.4", "--steps", "3", "--octaves", "2",
                 "--tile", "256", "--out", str(out), "--json"]) == 0
    result = _json(capsys)
    assert result["objective_after"] > 1.2 * result["objective_before"] > 0 and result["guided"] is False
    assert "\r" in terminal.getvalue() and "dream blocks.4" in terminal.getvalue()
    assert load_image(out).shape == load_image(photo_dir / "coffee.png").shape


def test_dream_says_which_octaves_were_too_small(tmp_path, capsys, photo):
    small = tmp_path / "small.png"
    save_png(small, resize(photo("coffee.png"), (64, 64)))
    assert main(["dream", str(small), "--layer", "blocks.3", "--steps", "1", "--octaves", "4", "--tile", "0",
                 "--out", str(tmp_path / "dream.png")]) == 0
    line = capsys.readouterr().out.strip()
    assert line.endswith(" (the smallest of 4 octaves, under 32 px, skipped)") and "layer objective" in line


def test_guided_dream(tmp_path, capsys, photo_dir):
    out = tmp_path / "guided.png"
    assert main(["dream", str(photo_dir / "chelsea.png"), "--layer", "blocks.8", "--steps", "4", "--octaves", "1",
                 "--guide", str(photo_dir / "coffee.png"), "--out", str(out), "--json"]) == 0
    result = _json(capsys)
    assert result["guided"] and result["objective_after"] > result["objective_before"]
    assert read_png_params(out)["mode"] == "guided deepdream"


@pytest.mark.parametrize("argv, message", [
    (["classviz", "--target", "no such class", "--out", "{out}"], "unknown class"),
    (["classviz", "--target", "goldfish", "--steps", "-1", "--out", "{out}"], "--steps"),
    (["classviz", "--target", "goldfish", "--size", "100000", "--out", "{out}"], "--size"),
    (["classviz", "--target", "goldfish", "--lr", "nan", "--out", "{out}"], "--lr"),
    (["classviz", "--target", "goldfish", "--out", "{tmp}/missing/x.png"], "does not exist"),
    (["classviz", "--target", "goldfish", "--out", "{tmp}/x.jpg"], ".png"),
    (["invert", "{text}", "--layer", "blocks.1", "--out", "{out}"], "not an image"),
    (["invert", "{photo}", "--layer", "nope", "--out", "{out}"], "no layer"),
    (["invert", "{photo}", "--layer", "blocks.1", "--size", "8", "--out", "{out}"], "--size"),
    (["dream", "{photo}", "--layer", "blocks.1", "--octave-scale", "1", "--out", "{out}"], "--octave-scale"),
    (["dream", "{photo}", "--layer", "blocks.1", "--tile", "10", "--out", "{out}"], "--tile"),
    (["dream", "{photo}", "--layer", "blocks.1", "--guide", "/no/guide.png", "--out", "{out}"], "no such file"),
    (["dream", "{photo}", "--layer", "blocks.1", "--octaves", "-2", "--out", "{out}"], "--octaves"),
])
def test_errors_are_one_line_and_non_zero(argv, message, tmp_path, photo_dir, fails_in_one_line):
    text, out = tmp_path / "notes.png", tmp_path / "o.png"
    text.write_text("hello")
    argv = [a.format(text=text, photo=photo_dir / "chelsea.png", out=out, tmp=tmp_path) for a in argv]
    fails_in_one_line(argv, message, out)


def test_a_judge_classifies_the_saved_png(tmp_path, capsys):
    """``--judge lite1``: a second network's top-5 of the saved PNG goes into the JSON (and a line of text)."""
    out = tmp_path / "shark.png"
    assert main(["classviz", "--target", "great white shark", "--steps", "4", "--size", "64", "--out", str(out),
                 "--judge", "lite1", "--json"]) == 0
    judge = _json(capsys)["judge"]
    assert judge["model"] == "efficientnet_lite1" and len(judge["top"]) == 5
    assert set(judge["top"][0]) == {"index", "label", "prob"}
    assert main(["invert", str(out), "--layer", "blocks.1", "--steps", "2", "--size", "64", "--out", str(out),
                 "--judge", "lite2"]) == 0
    assert "second opinion (efficientnet_lite2): " in capsys.readouterr().out
    assert main(["classviz", "--target", "1", "--out", str(out), "--judge", "no_such_net"]) == 1
    assert "--judge: unknown model 'no_such_net'" in capsys.readouterr().err
