"""``rerun``: every generating job, made as the window makes it (a live change
and a Stop where the job has them), made again from its PNG's recipe by the
command line: the same bytes.  Tiny sizes, a few steps each."""
from __future__ import annotations

import json

import numpy as np
import pytest
from recipe_fixtures import make_like_window

from engine.cli import main
from engine.generation import AccentParams, ClassVizParams, DreamParams, InversionParams
from engine.gradients.fooling import FoolParams
from engine.imaging import load_image, read_png_params, save_png

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def rerun(capsys, *argv: str) -> dict:
    assert main(["rerun", *argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


CASES = {
    "classviz fourier": ("classviz", ClassVizParams.defaults("fourier", size=32, steps=12, jitter=2, pad=2),
                         {"target": 76}, (), {"lr": 0.08}),
    "classviz maco": ("classviz", ClassVizParams.defaults("maco", size=32, steps=12), {"target": 76}, (),
                      {"lr": 0.2}),
    "accentuate": ("accentuate", AccentParams.defaults(size=32, steps=12), {"target": 1}, ("source",),
                   {"closeness": 20.0}),
    "classviz pixels": ("classviz", ClassVizParams.defaults("pixels", size=32, steps=12), {"target": 9}, (),
                        {"lr": 3.0}),
    "channel objective": ("classviz", ClassVizParams.defaults("fourier", size=32, steps=10), {"objective": "blocks.8:12"},
                          (), {"lr": 0.1}),
    "inversion": ("inversion", InversionParams(size=32, steps=12), {"layer": "blocks.3"}, ("source",), {"lr": 0.1}),
    "deepdream": ("deepdream", DreamParams(steps=4, octaves=2, tile=0), {"layer": "blocks.4"}, ("source",),
                  {"lr": 3.0}),
    "guided": ("guided", DreamParams(steps=4, octaves=2, tile=0), {"layer": "blocks.4"}, ("source", "guide"),
               {"jitter": 4}),
    "fooling": ("fooling", FoolParams(lr=0.5, max_iter=30), {"target": 9}, ("source",), {"lr": 2.0}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_result_made_like_the_window_reruns_to_the_same_bytes(case, tmp_path, rerun_model, small_photo, capsys):
    job, params, inputs, roles, change = CASES[case]
    files = {role: small_photo[role] for role in roles}
    path, picture, recipe = make_like_window(tmp_path, job, rerun_model, params, inputs=inputs, files=files, seed=3,
                                             change=change, change_at=2, stop_at=4)
    assert recipe.timeline.changes and list(recipe.timeline.changes[0][1]) == list(change)
    again = tmp_path / "again.png"
    report = rerun(capsys, str(path), "--out", str(again))
    assert report["identical"] and report["largest_difference"] == 0 and report["versions_differ"] == []
    assert again.read_bytes() == path.read_bytes()


def test_the_stop_and_the_change_are_what_make_the_picture(tmp_path, rerun_model):
    """The same run without its recorded Stop, or with its change read later, is another picture."""
    from dataclasses import replace

    from engine.rerun import replay

    params = ClassVizParams.defaults("pixels", size=32, steps=12)
    _, picture, recipe = make_like_window(tmp_path, "classviz", rerun_model, params, inputs={"target": 9},
                                          change={"lr": 6.0}, change_at=2, stop_at=4)
    assert recipe.timeline.stop_at is not None and recipe.steps_done < 12
    assert np.array_equal(replay(recipe, rerun_model, {}), picture)
    unstopped = replace(recipe, timeline=replace(recipe.timeline, stop_at=None))
    assert not np.array_equal(replay(unstopped, rerun_model, {}), picture)
    (event, values), = recipe.timeline.changes
    a_step = recipe.timeline.events // recipe.steps_done  # the job's reads in one step (the network's hooks too)
    later = replace(recipe, timeline=replace(recipe.timeline, changes=((event + a_step, values),)))
    assert not np.array_equal(replay(later, rerun_model, {}), picture)
    other_seed = replace(recipe, seed=recipe.seed + 1)
    assert not np.array_equal(replay(other_seed, rerun_model, {}), picture)


def test_a_continued_run_replays_its_parent_first(tmp_path, rerun_model, small_photo):
    params = DreamParams(steps=3, octaves=1, tile=0)
    files = {"source": small_photo["source"]}
    _, first, parent = make_like_window(tmp_path, "deepdream", rerun_model, params, inputs={"layer": "blocks.4"},
                                        files=files, name="first.png")
    path, _, recipe = make_like_window(tmp_path, "deepdream", rerun_model, params, inputs={"layer": "blocks.5"},
                                       files=files, init=first, continues=parent, change={"lr": 4.0})
    assert recipe.continues == parent
    again = tmp_path / "again.png"
    assert main(["rerun", str(path), "--out", str(again)]) == 0
    assert again.read_bytes() == path.read_bytes()


def test_a_moved_source_is_found_by_its_hash(tmp_path, rerun_model, small_photo, capsys, fails_in_one_line):
    import shutil

    moved_from = tmp_path / "cat.png"
    shutil.copy(small_photo["source"][0], moved_from)
    files = {"source": (str(moved_from), small_photo["source"][1])}
    path, _, _ = make_like_window(tmp_path, "inversion", rerun_model, InversionParams(size=32, steps=3),
                                  inputs={"layer": "blocks.3"}, files=files)
    elsewhere = tmp_path / "elsewhere.png"
    moved_from.rename(elsewhere)
    again = tmp_path / "again.png"
    fails_in_one_line(["rerun", str(path), "--out", str(again)], f"the source photo {moved_from} is not there any more",
                      not_written=again)
    fails_in_one_line(["rerun", str(path), "--out", str(again), "--source", small_photo["guide"][0]],
                      "none of", not_written=again)
    assert rerun(capsys, str(path), "--out", str(again), "--source", str(elsewhere))["identical"]
    elsewhere.write_bytes(small_photo["guide"][0].encode())  # the file at the path now is another one
    shutil.copy(small_photo["guide"][0], moved_from)
    fails_in_one_line(["rerun", str(path), "--out", str(tmp_path / "x.png")], "has changed since")


def test_other_versions_are_named_and_the_pixels_compared(tmp_path, rerun_model, capsys):
    path, _, recipe = make_like_window(tmp_path, "classviz", rerun_model, ClassVizParams.defaults("pixels", size=32, steps=3),
                                       inputs={"target": 9})
    meta = read_png_params(path)
    meta["recipe"]["made_with"]["torch"] = "1.0.0"
    save_png(path, load_image(path)[::-1].copy(), meta)  # and the saved pixels are not what it makes here
    report = rerun(capsys, str(path), "--out", str(tmp_path / "again.png"))
    assert not report["identical"] and report["largest_difference"] > 0
    assert report["versions_differ"] and report["versions_differ"][0].startswith("torch 1.0.0 (here ")
    assert main(["rerun", str(path), "--out", str(tmp_path / "again.png")]) == 0
    text = capsys.readouterr().out
    assert "pixels differ" in text and "made with other versions: torch 1.0.0" in text


@pytest.mark.parametrize("path, value, message", [
    (("params", "lr"), 1e9, "recipe.params.lr: learning rate (lr) must be"),
    (("params", "steps"), "many", "recipe.params.steps"),
    (("seed",), 2**64, "recipe.seed"),
    (("params",), {}, "recipe.params lacks"),
    (("format",), 2, "recipe.format is 2: made by a newer Neural Lens"),
    (("inputs", "target"), 5000, "recipe.inputs: class 5000 is not one of efficientnet_lite0's 1000 classes"),
    (("model", "name"), "no_such_net", "the recipe's model no_such_net cannot be loaded here"),
    (("model", "weights_sha256"), "0" * 64, "the model efficientnet_lite0 here has other weights"),
])
def test_a_bad_recipe_is_refused_in_one_line(path, value, message, tmp_path, lite0, monkeypatch, fails_in_one_line):
    from engine.cli import rerun as rerun_command

    real_open = rerun_command._open_model
    monkeypatch.setattr(rerun_command, "_open_model",
                        lambda name, device, **options: lite0 if name == lite0.name else real_open(name, device))
    made, _, _ = make_like_window(tmp_path, "classviz", lite0, ClassVizParams.defaults("pixels", size=32, steps=2),
                                  inputs={"target": 9})
    meta = read_png_params(made)
    node = meta["recipe"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    save_png(made, load_image(made), meta)
    again = tmp_path / "again.png"
    fails_in_one_line(["rerun", str(made), "--out", str(again)], message, not_written=again)


def test_a_picture_without_a_recipe_is_refused(tmp_path, fails_in_one_line):
    plain = tmp_path / "photo.png"
    save_png(plain, np.zeros((8, 8, 3), np.uint8), {"mode": "DeepDream"})
    fails_in_one_line(["rerun", str(plain), "--out", str(tmp_path / "x.png")], "photo.png: has parameters but no recipe")
    fails_in_one_line(["rerun", str(tmp_path / "none.png"), "--out", str(tmp_path / "x.png")], "none.png: no such file")


@pytest.mark.parametrize("argv", [
    ["classviz", "--target", "9", "--param", "pixels", "--size", "32", "--steps", "4", "--seed", "5"],
    ["classviz", "--objective", "blocks.8:12", "--size", "32", "--steps", "3"],
    ["classviz", "--accentuate", "{source}", "--target", "1", "--size", "32", "--steps", "3"],
    ["invert", "{source}", "--layer", "blocks.3", "--size", "32", "--steps", "3"],
    ["dream", "{source}", "--layer", "blocks.4", "--guide", "{guide}", "--steps", "2", "--octaves", "2", "--tile", "0"],
    ["fool", "{source}", "--target", "9", "--max-iter", "3", "--difference", "{difference}"],
])
def test_a_picture_the_command_line_made_reruns_to_the_same_bytes(argv, tmp_path, shared_model, rerun_model,
                                                                   small_photo, capsys):
    made, difference = tmp_path / "made.png", tmp_path / "difference.png"
    names = {"source": small_photo["source"][0], "guide": small_photo["guide"][0], "difference": str(difference)}
    assert main([a.format(**names) for a in argv] + ["--out", str(made)]) == 0
    capsys.readouterr()
    for path in (made, difference) if argv[0] == "fool" else (made,):
        report = rerun(capsys, str(path), "--out", str(tmp_path / "again.png"))
        assert report["identical"] and (tmp_path / "again.png").read_bytes() == path.read_bytes()


def test_a_picture_made_on_a_users_model_file_reruns_from_the_file_even_moved(tmp_path, capsys, fails_in_one_line):
    """No stand-in here: rerun loads the model file the recipe names, by path and SHA-256."""
    import shutil

    from engine.models import load_model

    own = tmp_path / "shapes.safetensors"
    shutil.copy("tools/data/shapes_cnn/shapes_cnn.safetensors", own)
    shutil.copy("tools/data/shapes_cnn/labels.txt", tmp_path / "labels.txt")
    shutil.copy("tools/data/shapes_cnn/shapes_cnn.json", tmp_path / "shapes.json")
    model = load_model(str(own), "cpu")
    path, _, recipe = make_like_window(tmp_path, "classviz", model, ClassVizParams.defaults("pixels", size=32, steps=30),
                                       inputs={"target": 2}, change={"lr": 4.0}, stop_at=5)
    assert recipe.model_file["sha256"] == model.source.sha256
    assert rerun(capsys, str(path), "--out", str(tmp_path / "again.png"))["identical"]
    moved = tmp_path / "elsewhere"
    moved.mkdir()
    for name in ("shapes.safetensors", "labels.txt", "shapes.json"):
        (tmp_path / name).rename(moved / name)
    fails_in_one_line(["rerun", str(path), "--out", str(tmp_path / "x.png")],
                      f"the recipe's model file {own} is not there any more")
    report = rerun(capsys, str(path), "--out", str(tmp_path / "again.png"), "--model-file", str(moved / own.name))
    assert report["identical"] and (tmp_path / "again.png").read_bytes() == path.read_bytes()
    fails_in_one_line(["rerun", str(path), "--out", str(tmp_path / "x.png"), "--model-file", str(moved / "labels.txt")],
                      "is not the recipe's")
