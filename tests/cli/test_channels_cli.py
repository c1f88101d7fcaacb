"""``channels`` and ``classviz --objective`` from the command line."""
from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.imaging import read_png_params

pytestmark = pytest.mark.usefixtures("shared_model")


def test_channels_json_lists_the_most_active_first(photo_dir, capsys):
    assert main(["channels", str(photo_dir / "chelsea.png"), "--layer", "blocks.8", "--top", "4", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["layer"] == "blocks.8" and len(out["channels"]) == 4
    means = [c["mean"] for c in out["channels"]]
    assert means == sorted(means, reverse=True) and all(c["max"] >= c["mean"] for c in out["channels"])
    assert set(out["channels"][0]) == {"channel", "mean", "max"}


@pytest.mark.parametrize("argv, says", [
    (["channels", "{photo}", "--layer", "nope"], "no layer"),
    (["channels", "{photo}", "--layer", "blocks.8", "--top", "0"], "--top"),
    (["classviz", "--objective", "blocks.8", "--out", "{out}"], "--objective"),
    (["classviz", "--objective", "blocks.8:1", "--target", "1", "--out", "{out}"], "not allowed"),
])
def test_bad_requests_are_one_line(argv, says, photo_dir, tmp_path, capsys):
    argv = [a.format(photo=photo_dir / "chelsea.png", out=tmp_path / "o.png") for a in argv]
    with pytest.raises(SystemExit) if "--target" in argv and "--objective" in argv else _nothing():
        code = main(argv)
        assert code != 0
    assert says in capsys.readouterr().err


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_classviz_objective_raises_the_channel(tmp_path, capsys):
    out = tmp_path / "unit.png"
    assert main(["classviz", "--objective", "blocks.5:3", "--size", "64", "--steps", "30", "--out", str(out),
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["objective"] == "blocks.5:3" and result["value"] > 0
    assert read_png_params(out)["objective"] == "blocks.5:3"


def test_classviz_diverse_saves_the_images_side_by_side(tmp_path, capsys):
    from engine.imaging import load_image

    out = tmp_path / "diverse.png"
    assert main(["classviz", "--objective", "blocks.3:5", "--diverse", "2", "--size", "32", "--steps", "3",
                 "--out", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["objective"] == "blocks.3:5"
    assert load_image(out).shape == (32, 2 * 32 + 4, 3)
