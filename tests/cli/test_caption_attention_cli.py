"""``caption train --cell attention`` (#18): grid features of the built-in
scenes, the relation score in ``train`` and ``evaluate --json``, photos
captioned through the checkpoint's grid spec, the course's pooled COCO
features refused with a reason."""
from __future__ import annotations

import json

import pytest
import torch

from engine.cli import main


@pytest.fixture(scope="module")
def trained(train_captioner):
    with train_captioner("attention", epochs=2) as result:
        yield result


def test_train_attention_on_grid_features_and_report_relations(trained):
    out, report = trained
    assert report["cell"] == "attention" and report["feature_layer"] == "stem+blocks.5+blocks.10"
    assert report["grad_clip"] == 5.0                          # the attention cell's default
    for split in ("val", "test", "novel"):
        rel = report[f"{split}_relation_accuracy"]  # every split has two-object scenes: a number
        assert isinstance(rel, float) and 0 <= rel <= 1, (split, rel)
    ckpt = torch.load(out, weights_only=True)
    assert ckpt["config"]["cell_type"] == "attention" and ckpt["config"]["regions"] == 16
    assert ckpt["config"]["input_dim"] == 16 * 224 and tuple(ckpt["params"]["W_proj"].shape) == (224, 32)
    assert ckpt["metadata"]["feature_spec"]["grid"] == 4 and ckpt["metadata"]["feature_spec"]["max_pooled"] == []


def test_evaluate_json_reports_the_relation_accuracy(trained, capsys):
    out, _ = trained
    assert main(["caption", "evaluate", str(out), "--split", "test", "--beam", "2"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert {"bleu4", "attributes", "relation", "relation_accuracy"} <= set(result)
    assert result["relation"]["n"] >= 1 and result["relation_accuracy"] == result["relation"]["accuracy"]


def test_sample_a_photo_with_the_grid_spec(trained, capsys, photo_dir):
    out, _ = trained
    assert main(["caption", "sample", str(out), str(photo_dir / "chelsea.png"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["captions"]
    assert len(rows) == 1 and isinstance(rows[0]["caption"], str)


def test_pooled_coco_features_are_refused_for_attention(tmp_path, capsys):
    (tmp_path / "coco2014_captions.h5").write_bytes(b"")
    code = main(["caption", "train", "--cell", "attention", "--dataset", str(tmp_path), "--out",
                 str(tmp_path / "m.pt")])
    err = capsys.readouterr().err
    assert code != 0 and "pooled" in err and "Traceback" not in err
    code = main(["caption", "train", "--cell", "attention", "--grid", "9", "--out", str(tmp_path / "m.pt")])
    assert code != 0 and "--grid must be between 2 and 8" in capsys.readouterr().err
