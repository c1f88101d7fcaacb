"""``saliency-eval FOLDER``: the folder report from the command line."""
from __future__ import annotations

import json
import shutil

from engine.cli import main


def test_folder_report_with_boxes_json_and_one_line_errors(monkeypatch, lite0, photo_dir, tmp_path, capsys,
                                                           fails_in_one_line):
    monkeypatch.setattr("engine.cli.saliency_eval.open_model", lambda args: lite0)
    folder = tmp_path / "photos"
    folder.mkdir()
    shutil.copy(photo_dir / "coffee.png", folder)
    shutil.copy(photo_dir / "rocket.jpg", folder)
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"images": [{"id": 1, "file_name": "coffee.png"}],
                                 "annotations": [{"image_id": 1, "bbox": [145, 10, 215, 255]}]}))
    out = tmp_path / "report"
    argv = ["saliency-eval", str(folder), "--out", str(out), "--methods", "vanilla,gradcam", "--fill", "black",
            "--points", "3", "--no-sanity", "--boxes", str(boxes), "--json"]
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["photos"] == 2 and summary["problems"] == []
    assert set(summary["mean"]) == {"vanilla", "gradcam", "random"}
    assert 0 <= summary["mean"]["gradcam"]["mass"] <= 1 and summary["mean"]["gradcam"]["pointing"] in (0, 1)
    assert (out / "report.html").is_file() and (out / "scores.csv").read_text().count("\n") == 1 + 2 * 3
    fails_in_one_line(["saliency-eval", str(folder), "--out", str(out), "--methods", "magic"], "--methods: unknown magic")
    fails_in_one_line(["saliency-eval", str(folder), "--out", str(out), "--fill", "white"], "--fill: unknown white")
    fails_in_one_line(["saliency-eval", str(tmp_path / "none"), "--out", str(out)], "not a folder")
    fails_in_one_line(["saliency-eval", str(folder), "--out", str(out), "--boxes", str(folder / "coffee.png")],
                      "not a COCO annotation file")
    before = (out / "scores.csv").read_text()
    fails_in_one_line(["saliency-eval", str(folder), "--out", str(out), "--methods", "vanilla", "--fill", "black"],
                      "holds a report of 2 photos made with the methods vanilla, gradcam and the fill-ins black")
    assert (out / "scores.csv").read_text() == before   # the earlier report is kept
