"""The checks before a folder report starts (engine/gradients/folder_check.py):
each bad input is refused with a message naming the file and the problem,
and an earlier run in the report folder is gone on with only when it was
made with the same methods and fill-ins."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from engine.gradients.folder_check import check_folder_run, earlier_report
from engine.imaging import save_png


@pytest.fixture
def folder(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("a.png", "b.png"):
        save_png(photos / name, np.zeros((8, 8, 3), np.uint8))
    (photos / "notes.txt").write_text("not a photo")
    return photos


def _scores(out, methods, fills, photos=("a.png",)):
    out.mkdir()
    metrics = [f"{k}:{f}" for f in fills for k in ("morf", "lerf", "gap")] + ["pointing", "mass", "sanity", "seconds"]
    lines = [",".join(["photo", "target", "label", "method", *metrics])]
    lines += [",".join([p, "1", "cat", m, *["0.5"] * len(metrics)]) for p in photos for m in (*methods, "random")]
    (out / "scores.csv").write_text("\n".join(lines) + "\n")


def test_a_good_run_lists_the_photos_and_the_boxes(folder, tmp_path):
    boxes = tmp_path / "boxes.json"
    boxes.write_text(json.dumps({"images": [{"id": 1, "file_name": "b.png"}],
                                 "annotations": [{"image_id": 1, "bbox": [1, 2, 3, 4]}]}))
    run = check_folder_run(folder, tmp_path / "report", methods=("vanilla",), fills=("black",), boxes=boxes)
    assert [p.name for p in run.photos] == ["a.png", "b.png"] and run.done == frozenset() and run.todo == 2
    assert run.boxes == {"b.png": [(1.0, 2.0, 4.0, 6.0)]}


def test_an_earlier_run_made_the_same_way_is_gone_on_with(folder, tmp_path):
    out = tmp_path / "report"
    _scores(out, ("vanilla", "gradcam"), ("black", "blur"))
    assert earlier_report(out).methods == ("vanilla", "gradcam") and earlier_report(out).fills == ("black", "blur")
    run = check_folder_run(folder, out, methods=("gradcam", "vanilla"), fills=("blur", "black"))
    assert run.done == {"a.png"} and run.todo == 1


@pytest.mark.parametrize("methods, fills", [(("vanilla",), ("black", "blur")),
                                            (("vanilla", "gradcam"), ("black",)),
                                            (("vanilla", "gradcam", "integrated-gradients"), ("black", "blur"))])
def test_an_earlier_run_made_otherwise_is_not_overwritten(folder, tmp_path, methods, fills):
    out = tmp_path / "report"
    _scores(out, ("vanilla", "gradcam"), ("black", "blur"))
    before = (out / "scores.csv").read_text()
    with pytest.raises(ValueError, match="holds a report of 1 photo made with the methods vanilla, gradcam "
                                         "and the fill-ins black, blur: choose the same"):
        check_folder_run(folder, out, methods=methods, fills=fills)
    assert (out / "scores.csv").read_text() == before


def test_bad_input_is_refused_naming_the_file(folder, tmp_path):
    out = tmp_path / "report"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "readme.txt").write_text("x")
    cases = [(dict(folder=empty), re.escape(f"{empty}: no photos in it (1 other file, not photos); sub-folders")),
             (dict(folder=tmp_path / "gone"), "not a folder"),
             (dict(methods=()), re.escape("methods: unknown (none chosen)")),
             (dict(methods=("magic",)), "methods: unknown magic"),
             (dict(fills=("white",)), "fill-ins: unknown white"),
             (dict(points=1), "points: must be between 2 and 101")]
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{not json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"images": [{"id": 1, "file_name": "zebra.jpg"}],
                                 "annotations": [{"image_id": 1, "bbox": [1, 2, 3, 4]}]}))
    cases += [(dict(boxes=bad_json), f"{bad_json}: not a COCO annotation file"),
              (dict(boxes=other), f"{other}: boxes for none of the 2 photos of the folder \\(it names 'zebra.jpg'"),
              (dict(boxes=tmp_path / "none.json"), "no such annotation file")]
    (tmp_path / "file").write_text("x")
    cases.append((dict(out=tmp_path / "file"), "is a file, not a folder for the report"))
    (out / "scores.csv").parent.mkdir()
    (out / "scores.csv").write_text("a,b\n1,2\n")
    cases.append((dict(), "not a scores file of a folder report"))
    for change, message in cases:
        args = dict(folder=folder, out=out, methods=("vanilla",), fills=("black",)) | change
        with pytest.raises(ValueError, match=message):
            check_folder_run(args.pop("folder"), args.pop("out"), **args)


def test_scores_of_another_model_are_not_gone_on_with(folder, tmp_path):
    from types import SimpleNamespace

    from engine.gradients import folder_evaluation
    from engine.gradients.folder_check import check_same_model

    out = tmp_path / "report"
    _scores(out, ("vanilla",), ("black",))
    (out / "run.json").write_text('{"model": "efficientnet_lite0"}\n')
    assert earlier_report(out).model == "efficientnet_lite0"
    kw = dict(methods=("vanilla",), fills=("black",))
    assert check_folder_run(folder, out, model="efficientnet_lite0", **kw).done == {"a.png"}
    message = (f"{out} holds 1 photo scored with efficientnet_lite0, not shapes_cnn: open that model to go on "
               "with it, or choose another report folder")
    with pytest.raises(ValueError, match=re.escape(message)):
        check_folder_run(folder, out, model="shapes_cnn", **kw)
    with pytest.raises(ValueError, match=re.escape(message)):
        check_same_model(out, "shapes_cnn")
    check_same_model(out, "efficientnet_lite0")
    with pytest.raises(ValueError, match="its scores were made with efficientnet_lite0, not shapes_cnn"):
        next(folder_evaluation(SimpleNamespace(name="shapes_cnn"), folder, out, **kw))   # the engine refuses too
    assert (out / "run.json").read_text() == '{"model": "efficientnet_lite0"}\n'
