"""``channels index FOLDER`` and ``channels top INDEX`` (issue #25) with the bundled model."""
from __future__ import annotations

import json
import shutil

import pytest

from engine.channels import activations
from engine.cli import main


@pytest.fixture
def model(monkeypatch, lite0):
    monkeypatch.setattr("engine.cli.channel_index.open_model", lambda args: lite0)
    return lite0


def test_index_a_folder_then_ask_for_a_channels_top_photos(model, photo_dir, photo, tmp_path, capsys):
    folder = tmp_path / "photos"
    (folder / "more").mkdir(parents=True)
    for name in ("chelsea.png", "coffee.png"):
        shutil.copy(photo_dir / name, folder / name)
    shutil.copy(photo_dir / "rocket.jpg", folder / "more" / "rocket.jpg")
    (folder / "empty.png").write_bytes(b"")
    out = tmp_path / "photos.nlindex"
    argv = ["channels", "index", str(folder), "--layers", "blocks.4,blocks.8", "--top", "2", "--out", str(out), "--json"]
    assert main(argv) == 0
    done = json.loads(capsys.readouterr().out)
    assert (done["photos"], done["indexed"], done["stopped"]) == (3, 4, False)
    assert done["unreadable"] == [{"path": "empty.png", "reason": "the file is empty"}]
    assert main(["channels", "top", str(out), "--layer", "blocks.8", "--channel", "5", "--k", "3", "--json"]) == 0
    top = json.loads(capsys.readouterr().out)
    assert top["layer"] == "blocks.8" and top["channel"] == 5 and len(top["photos"]) == 2
    truth = {p: float(activations(model, photo(p), "blocks.8").max[5]) for p in ("chelsea.png", "coffee.png", "rocket.jpg")}
    best = sorted(truth, key=truth.get, reverse=True)[:2]
    assert [p["path"].rsplit("/", 1)[1] for p in top["photos"]] == best
    assert [p["value"] for p in top["photos"]] == pytest.approx([truth[b] for b in best], rel=1e-4, abs=1e-4)
    assert all(0 <= p["y"] < 14 and 0 <= p["x"] < 14 for p in top["photos"])
    # run again: nothing to do; another layer set is refused with the reason
    assert main(argv) == 0 and json.loads(capsys.readouterr().out)["indexed"] == 0
    assert main([*argv[:3], "--layers", "blocks.4", "--out", str(out)]) == 1
    assert "holds the layers blocks.4, blocks.8, not blocks.4" in capsys.readouterr().err


@pytest.mark.parametrize("argv, says", [
    (["channels", "top", "{out}", "--layer", "blocks.4", "--channel", "0"], "no such index file"),
    (["channels", "index", "{missing}", "--out", "{out}"], "not a folder"),
    (["channels", "index", "{folder}", "--out", "{out}", "--top", "0"], "--top must be at least 1"),
    (["channels", "index", "{folder}", "--out", "{out}", "--layers", "nope"], "no layer 'nope'"),
])
def test_bad_index_requests_are_one_line(model, argv, says, tmp_path, capsys):
    argv = [a.format(out=tmp_path / "x.nlindex", missing=tmp_path / "missing", folder=tmp_path) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_similar_photos_from_the_command_line(model, photo_dir, tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("chelsea.png", "coffee.png", "rocket.jpg"):
        shutil.copy(photo_dir / name, folder / name)
    out = tmp_path / "p.nlindex"
    assert main(["channels", "index", str(folder), "--layers", "blocks.3", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["channels", "similar", str(out), str(photo_dir / "coffee.png"), "--layer", "blocks.3", "--k", "2",
                 "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["layer"] == "blocks.3" and len(found["photos"]) == 2
    assert found["photos"][0]["path"].endswith("coffee.png") and found["photos"][0]["similarity"] == pytest.approx(1, abs=1e-4)
    assert found["photos"][1]["similarity"] < found["photos"][0]["similarity"]
    assert main(["channels", "similar", str(out), str(photo_dir / "coffee.png"), "--layer", "blocks.8"]) == 1
    assert "layer 'blocks.8' is not in this index" in capsys.readouterr().err
