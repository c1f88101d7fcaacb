"""``caption train / sample / evaluate`` through engine.cli.main, on a tiny
built-in dataset (one model trained per module)."""
from __future__ import annotations

import json

import pytest
import torch

from engine.cli import main


@pytest.fixture(scope="module")
def trained(train_captioner):
    """(checkpoint path, train report), with a private feature cache kept for the module."""
    with train_captioner("lstm", epochs=3) as result:
        yield result


def run(capsys, *argv):
    code = main(["caption", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_train_reports_loss_bleu_speed_and_saves_a_safe_checkpoint(trained):
    out, report = trained
    assert report["iterations"] == 3 * (160 // 40) and report["epochs"] == 3 and report["cell"] == "lstm"
    assert 0 < report["final_loss"] < 100 and report["sequences_per_s"] > 0 and report["train_seconds"] > 0
    for split in ("val", "test", "novel"):
        b = report[f"{split}_bleu"]
        assert 0 <= b["bleu4"] <= b["bleu1"] <= 1
        assert 0 <= report[f"{split}_attributes"]["accuracy"] <= 1
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["config"]["cell_type"] == "lstm" and ckpt["config"]["cnn_name"] == "efficientnet_lite0"
    assert ckpt["metadata"]["feature_spec"]["layers"] == ["stem", "blocks.5", "blocks.10"]
    assert ckpt["metadata"]["feature_spec"]["max_pooled"] == ["stem"]
    assert ckpt["solver"]["word_dropout"] == 0.5 and "red" in ckpt["solver"]["dropout_words"]
    assert ckpt["metadata"]["dataset_source"] == "shapes" and len(ckpt["solver"]["loss_history"]) == 12


def test_sample_split_images_with_references(trained, capsys):
    out, _ = trained
    code, stdout, _ = run(capsys, "sample", str(out), "--split", "val", "--n", "3", "--json")
    assert code == 0
    rows = json.loads(stdout)["captions"]
    assert len(rows) == 3 and len({r["index"] for r in rows}) == 3
    assert all(r["image"].startswith("shapes:val/") and len(r["references"]) == 4 for r in rows)
    code, stdout, _ = run(capsys, "sample", str(out), "--split", "test", "--n", "2", "--beam", "3")
    assert code == 0 and len(stdout.strip().splitlines()) == 2 and stdout.startswith("shapes:test/")


def test_sample_image_files_with_the_checkpoints_cnn(trained, capsys, photo_dir):
    out, _ = trained
    images = [str(photo_dir / "chelsea.png"), str(photo_dir / "coffee.png")]
    code, stdout, _ = run(capsys, "sample", str(out), *images, "--temperature", "0.7", "--seed", "3", "--json")
    assert code == 0
    rows = json.loads(stdout)["captions"]
    assert [r["image"] for r in rows] == images and all(isinstance(r["caption"], str) for r in rows)
    again = run(capsys, "sample", str(out), *images, "--temperature", "0.7", "--seed", "3", "--json")[1]
    assert json.loads(again)["captions"] == rows  # the same seed, the same captions ("seconds" differ)


def test_evaluate_prints_bleu_as_json(trained, capsys):
    out, report = trained
    code, stdout, _ = run(capsys, "evaluate", str(out), "--split", "val")
    assert code == 0
    result = json.loads(stdout)
    assert result["split"] == "val" and result["n_images"] == 10
    assert {k: result[k] for k in ("bleu1", "bleu2", "bleu3", "bleu4")} == pytest.approx(report["val_bleu"])
    code, stdout, _ = run(capsys, "evaluate", str(out), "--split", "novel", "--max-images", "4", "--beam", "2")
    assert code == 0 and json.loads(stdout)["n_images"] == 4


@pytest.mark.parametrize("argv, message", [
    (["sample", "{missing}", "--split", "val"], "no such file"),
    (["sample", "{model}"], "give image files or --split"),
    (["sample", "{model}", "{photo}", "--split", "val"], "not both"),
    (["sample", "{model}", "--split", "val", "--beam", "2", "--temperature", "1"], "--beam or --temperature"),
    (["sample", "{model}", "--split", "bogus"], "no 'bogus' split"),
    (["sample", "{model}", "--split", "val", "--n", "0"], "--n must be"),
    (["sample", "{model}", "{corrupt}"], "corrupt.png"),
    (["sample", "{model}", "--split", "val", "--temperature", "nan"], "--temperature: temperature must be a finite"),
    (["evaluate", "{model}", "--max-images", "0"], "--max-images must be"),
    (["evaluate", "{corrupt}"], "corrupt.png: "),
    (["train", "--cell", "rnn", "--epochs", "0", "--out", "{tmp}/m.pt"], "--epochs: epochs must be >= 1"),
    (["train", "--cell", "rnn", "--lr", "-1", "--out", "{tmp}/m.pt"],
     "--lr/--learning-rate: learning rate (learning_rate) must be >"),
    (["train", "--cell", "rnn", "--out", "{tmp}/no/such/m.pt"], "cannot write the checkpoint"),
    (["train", "--cell", "rnn", "--dataset", "{tmp}/nothing", "--out", "{tmp}/m.pt"], "no such dataset"),
])
def test_bad_input_is_one_line_on_stderr_and_a_nonzero_exit(trained, capsys, tmp_path, photo_dir, argv, message):
    out, _ = trained
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    names = {"model": out, "missing": tmp_path / "none.pt", "photo": photo_dir / "chelsea.png", "corrupt": corrupt,
             "tmp": tmp_path}
    code, _, err = run(capsys, *[a.format(**names) for a in argv])
    assert code != 0
    assert len(err.strip().splitlines()) == 1 and err.startswith("error: ") and message in err


def test_a_model_of_older_scenes_is_told_to_retrain(trained, capsys, tmp_path):
    """A checkpoint of an earlier generator (other words, smaller images): a
    clear message, not a traceback or a silent mismatch."""
    out, _ = trained
    ckpt = torch.load(out, weights_only=True)
    w2i = ckpt["word_to_idx"]
    w2i["magenta"] = w2i.pop("pink")        # a colour the current scenes do not have
    ckpt["metadata"]["feature_spec"]["image_size"] = 80
    old = tmp_path / "old.pt"
    torch.save(ckpt, old)
    code, _, err = run(capsys, "sample", str(old), "--split", "val", "--n", "2")
    assert code != 0 and "older version of the built-in scenes" in err and "Traceback" not in err


def test_ctrl_c_during_training_saves_the_work_done(trained, capsys, tmp_path, monkeypatch, tiny_captioner):
    from engine.captioning import CaptioningSolver, load_checkpoint

    original = CaptioningSolver.run

    def run_then_interrupt(self, control=None):
        for frame in original(self, control):
            yield frame
            if self.iteration >= 2:
                raise KeyboardInterrupt

    monkeypatch.setattr(CaptioningSolver, "run", run_then_interrupt)
    out = tmp_path / "part.pt"
    code, stdout, _ = run(capsys, "train", "--cell", "rnn", *tiny_captioner, "--epochs", "3", "--out", str(out), "--json")
    assert code == 130
    report = json.loads(stdout)
    assert report["interrupted"] is True and 2 <= report["iterations"] < 12          # not all 3 epochs
    assert load_checkpoint(out).solver_state["iteration"] == report["iterations"]


def test_train_and_sample_a_captions_json_folder(capsys, tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "pics"
    folder.mkdir()
    items = []
    for i, (name, rgb) in enumerate([("red", (220, 30, 30)), ("blue", (30, 60, 220))] * 3):
        Image.new("RGB", (64, 48), rgb).save(folder / f"{i}.png")
        items.append({"image": f"{i}.png", "captions": [f"a plain {name} picture here"], "split": "val" if i == 5 else "train"})
    items.append({"image": "gone.png", "captions": ["lost"]})
    (folder / "captions.json").write_text(json.dumps(items))
    out = tmp_path / "m.pt"
    code, stdout, _ = run(capsys, "train", "--cell", "lstm", "--dataset", str(folder), "--epochs", "60",
                          "--batch-size", "5", "--lr", "2e-2", "--lr-decay", "1", "--hidden", "16", "--wordvec", "8",
                          "--threads", "1",
                          "--out", str(out), "--json")
    assert code == 0
    assert json.loads(stdout)["val_bleu"]["bleu4"] == pytest.approx(1.0)
    code, stdout, _ = run(capsys, "sample", str(out), str(folder / "4.png"), "--json")
    assert code == 0 and json.loads(stdout)["captions"][0]["caption"] == "a plain red picture here"
    code, stdout, _ = run(capsys, "sample", str(out), "--split", "val", "--n", "1")
    assert code == 0 and stdout.strip() == f"{folder / '5.png'}: a plain blue picture here"
