"""Jobs in the window under abuse: NaN / infinite / negative live parameter
changes while a job runs (refused with a message, the job goes on with its
previous values), broken datasets and checkpoints loaded from the Captioning
pages, and closing the main window while each kind of job runs (no crash,
every worker thread joined within a second)."""
from __future__ import annotations

import json
import os
import shutil
import time

import numpy as np
import pytest
from badfiles import photo_array
from PySide6.QtCore import QThreadPool

#: Closing must end every job and join its thread within this time.
CLOSE_S = 1.0


def synthetic_captions(n_images=60, dim=32, seed=0):
    rng = np.random.default_rng(seed)
    words = {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3, **{f"w{i}": 4 + i for i in range(20)}}
    idx_to_word = [w for w, _ in sorted(words.items(), key=lambda kv: kv[1])]
    data = {"word_to_idx": words, "idx_to_word": idx_to_word}
    for split, n in (("train", n_images), ("val", n_images // 4)):
        caps = rng.integers(4, 24, (3 * n, 8)).astype(np.int32)
        caps[:, 0], caps[:, -1] = 1, 2
        data.update({f"{split}_features": rng.normal(size=(n, dim)).astype(np.float32), f"{split}_captions": caps,
                     f"{split}_image_idxs": np.repeat(np.arange(n), 3)})
    return data


def start_job(kind, win, qtbot):
    """Start ``kind`` in the window; returns the JobRunner doing it."""
    from guiapp.tabs.dreaming_tab import CLASSVIZ, DREAM, GUIDED, INVERSION

    tabs = win.tab_widgets
    photo = photo_array(224, 224, seed=1)
    if kind in ("saliency-smoothgrad", "saliency-ig"):
        tab = tabs["Saliency"]
        tab.form.set_method("smoothgrad" if kind.endswith("smoothgrad") else "integrated-gradients")
        tab.form.samples.setValue(200)
        tab.form.steps.setValue(500)
        tab.schedule.cancel()
        tab.set_image(photo, "photo")
        return tab.runner
    if kind == "fooling":
        tab = tabs["Fooling"]
        tab.set_image(photo, "photo")
        tab.lr.setValue(0.001)
        tab.max_iter.setValue(100_000)
        tab.run()
        return tab.runner
    if kind in ("classviz", "inversion", "deepdream", "guided"):
        tab = tabs["Dreaming"]
        tab.set_mode({"classviz": CLASSVIZ, "inversion": INVERSION, "deepdream": DREAM, "guided": GUIDED}[kind])
        tab.source_panel.set_image(photo)
        tab.guide_panel.set_image(photo_array(96, 96, seed=2))
        tab.form.set_value("steps", 10_000)
        assert tab.start()
        return tab.runner
    if kind == "layers":  # a channel visualization streaming, its top patches searched
        tab = tabs["Layers"]
        tab.set_image(photo)
        qtbot.waitUntil(lambda: tab.layer_slider.isEnabled(), timeout=30000)
        tab.select_channel(0)
        return tab.detail.viz_job.runner
    tab = tabs["Captioning"]
    if kind == "training":
        tab.session.set_data(synthetic_captions(), "synthetic")
        panel = tab.train_panel
        panel.epochs.setValue(10_000)
        panel.batch.setValue(20)
        assert panel.start()
        return panel.runner
    if kind == "dataset":
        panel = tab.data_panel
        panel.pages.currentWidget().n_train.setValue(3000)
        assert panel.load()
        return panel.runner
    if kind == "gradcheck":
        assert tab.gradcheck_panel.run()
        return tab.gradcheck_panel.runner
    raise AssertionError(kind)


JOBS = ["saliency-smoothgrad", "saliency-ig", "fooling", "classviz", "inversion", "deepdream", "guided", "training",
        "dataset", "gradcheck", "layers"]


@pytest.mark.parametrize("kind", JOBS)
def test_closing_the_window_while_a_job_runs(kind, window, qtbot):
    runner = start_job(kind, window, qtbot)
    qtbot.waitUntil(lambda: runner.is_running, timeout=10000)
    qtbot.wait(300)  # let it get into its loop
    assert runner.is_running, f"{kind} ended before the window was closed"
    t0 = time.monotonic()
    window.close()
    elapsed = time.monotonic() - t0
    print(f"closing while {kind} ran: {elapsed:.2f} s")
    assert not window.isVisible()
    assert QThreadPool.globalInstance().activeThreadCount() == 0, "a worker thread is still running"
    assert not runner.is_running
    assert elapsed < CLOSE_S, f"closing took {elapsed:.2f} s while {kind} ran"


def test_bad_live_values_are_refused_and_the_job_goes_on(window, qtbot, ctx, messages):
    runner = start_job("deepdream", window, qtbot)
    tab = window.tab_widgets["Dreaming"]
    qtbot.waitUntil(lambda: runner.is_running and tab.control.params is not None, timeout=10000)
    before = tab.control.params
    for name, value in (("lr", float("nan")), ("lr", float("inf")), ("lr", -1.0), ("jitter", 10**9),
                        ("octaves", 0), ("octave_scale", float("-inf")), ("steps", -5)):
        count = len(messages)
        tab.form.value_changed.emit(name, value)
        assert len(messages) == count + 1 and name in messages[-1], (name, messages[count:])
    assert tab.control.params == before and runner.is_running
    tab.form.value_changed.emit("lr", 2.5)  # a good value still goes through
    assert tab.control.params.lr == 2.5
    tab.stop()
    qtbot.waitUntil(lambda: not runner.is_running, timeout=10000)

    runner = start_job("fooling", window, qtbot)
    fooling = window.tab_widgets["Fooling"]
    qtbot.waitUntil(lambda: runner.is_running, timeout=10000)
    lr = fooling.control.params.lr
    for value in (float("nan"), float("inf"), -3.0, 0.0):
        count = len(messages)
        fooling.job.change_live(lr=value)
        assert len(messages) == count + 1 and "learning rate" in messages[-1]
    fooling.job.change_live(max_iter=-1)
    assert "max iterations" in messages[-1]
    assert fooling.control.params.lr == lr and runner.is_running
    fooling.stop()
    qtbot.waitUntil(lambda: not runner.is_running, timeout=10000)

    runner = start_job("training", window, qtbot)
    panel = window.tab_widgets["Captioning"].train_panel
    qtbot.waitUntil(lambda: runner.is_running, timeout=10000)
    for value in (float("nan"), float("inf"), -1e-3, 0.0):
        assert not panel.job.change_live(learning_rate=value)
        assert messages[-1].startswith("Not changed") and "learning rate" in messages[-1]
    assert not panel.job.change_live(lr_decay=float("nan"))
    assert "lr_decay" in messages[-1] and runner.is_running
    panel.stop()
    qtbot.waitUntil(lambda: not runner.is_running, timeout=10000)


def test_broken_datasets_in_the_data_page(window, qtbot, messages, files, tmp_path):
    panel = window.tab_widgets["Captioning"].data_panel
    panel.source.setCurrentIndex(2)  # captions JSON + image folder
    page = panel.pages.currentWidget()
    (tmp_path / "bad.json").write_text('{"images": [')
    (tmp_path / "keys.json").write_text(json.dumps([{"image": "a.png"}]))
    photos = tmp_path / "photos"
    photos.mkdir()
    for case in ("truncated_png", "text_as_png", "bomb", "good_png", "cmyk_jpeg"):
        shutil.copyfile(files[case], photos / files[case].name)
    (photos / "c.json").write_text(json.dumps([{"image": n, "captions": ["a red square"], "split": "train"}
                                               for n in sorted(os.listdir(photos))]))
    for path, says in ((tmp_path / "missing.json", "no such file"), (tmp_path / "bad.json", "not valid JSON"),
                       (tmp_path / "keys.json", "needs 'image' and 'captions'")):
        count = len(messages)
        page.json.edit.setText(str(path))
        panel.load()
        qtbot.waitUntil(lambda: len(messages) > count and not panel.runner.is_running, timeout=10000)  # noqa: B023
        assert says in messages[-1] and path.name in messages[-1], messages[-1]
    page.json.edit.setText(str(photos / "c.json"))
    with qtbot.waitSignal(panel.session.data_changed, timeout=30000):
        panel.load()
    listed = [panel.problems.item(i).text() for i in range(panel.problems.count())]
    assert len(listed) == 3 and all(any(n in p for p in listed) for n in ("truncated_png", "text_as_png", "bomb"))
    assert panel.session.data["train_features"].shape[0] == 2

    panel.source.setCurrentIndex(1)  # coco_captioning folder
    coco = tmp_path / "coco"
    coco.mkdir()
    (coco / "coco2014_captions.h5").write_bytes(b"garbage")
    count = len(messages)
    panel.pages.currentWidget().folder.edit.setText(str(coco))
    panel.load()
    qtbot.waitUntil(lambda: len(messages) > count and not panel.runner.is_running, timeout=10000)
    assert "coco2014_captions.h5" in messages[-1] and "HDF5" in messages[-1]


def test_broken_checkpoints_in_the_train_page(window, qtbot, messages, tmp_path):
    from engine.captioning import CaptioningRNN, save_checkpoint

    panel = window.tab_widgets["Captioning"].train_panel
    model = CaptioningRNN(synthetic_captions()["word_to_idx"], input_dim=32, wordvec_dim=8, hidden_dim=8, seed=0)
    good = save_checkpoint(tmp_path / "good.pt", model, metadata={"feature_spec": {"grid": float("inf")}})
    raw = good.read_bytes()
    cases = {"empty.pt": b"", "truncated.pt": raw[: len(raw) // 2], "text.pt": b"hello"}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "folder.pt").mkdir()
    for name in [*cases, "folder.pt", "missing.pt"]:
        count = len(messages)
        assert panel.load_from(str(tmp_path / name)) is False
        assert len(messages) == count + 1 and name in messages[-1] and "Model not loaded" in messages[-1]
    assert panel.session.model is None
    assert panel.load_from(str(good)) is True  # a bad feature spec in the metadata: loads, photos disabled
    assert panel.session.model is not None and panel.session.spec is None


def test_broken_weight_files_from_the_model_menu(window, qtbot, ctx, messages, tmp_path, lite0):
    from badfiles import make_weight_files

    weights = make_weight_files(tmp_path / "weights")
    for case in ("corrupt", "pickle_payload", "wrong_architecture", "directory"):
        with qtbot.waitSignal(ctx.model_failed, timeout=30000) as failed:
            ctx.load_model(str(weights[case]))
        assert weights[case].name in failed.args[0] and "weights_only" not in failed.args[0]
        assert ctx.model is lite0  # the working model stays
        assert any(weights[case].name in m for m in messages)
    assert not weights["marker"].exists(), "the pickle payload ran"
    qtbot.waitUntil(lambda: not ctx.is_loading, timeout=10000)


def test_another_model_can_be_loaded_as_soon_as_a_load_fails(window, qtbot, ctx, messages, tmp_path, lite0):
    """Regression: the loader used to stay busy until its thread's `finished`
    arrived, so a load started right after `model_failed` was refused
    ("Still loading…") and never reported -- the flaky model-menu test."""
    from badfiles import make_weight_files

    weights = make_weight_files(tmp_path / "weights")
    failures = []

    def again(message):
        failures.append(message)
        if len(failures) == 1:
            ctx.load_model(str(weights["wrong_architecture"]))   # from the failure signal itself

    ctx.model_failed.connect(again)
    try:
        ctx.load_model(str(weights["corrupt"]))
        qtbot.waitUntil(lambda: len(failures) == 2, timeout=30000)
    finally:
        ctx.model_failed.disconnect(again)
    assert weights["corrupt"].name in failures[0] and weights["wrong_architecture"].name in failures[1]
    qtbot.waitUntil(lambda: not ctx.is_loading, timeout=10000)
    assert ctx.model is lite0


def test_saving_to_bad_places_says_why_and_keeps_the_result(window, qtbot, ctx, messages, tmp_path):
    dreaming = window.tab_widgets["Dreaming"]
    dreaming.current = photo_array(32, 32)
    dreaming.recorder.add(dreaming.current)
    train = window.tab_widgets["Captioning"].train_panel
    from engine.captioning import CaptioningRNN

    train.session.set_model(CaptioningRNN(synthetic_captions()["word_to_idx"], input_dim=32, wordvec_dim=8,
                                          hidden_dim=8, seed=0))
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "run.gif").mkdir()
    for target, gif in ((tmp_path, tmp_path / "run.gif"), (tmp_path / "missing" / "out.png", tmp_path / "no" / "r.gif"),
                        (tmp_path / "file.txt" / "out.png", tmp_path / "file.txt" / "r.gif")):
        count = len(messages)
        assert dreaming.save_result(str(target)) is False
        assert dreaming.export_run(str(gif)) is False
        assert len(messages) == count + 2, messages[count:]
        assert target.name in messages[count] and gif.name in messages[count + 1], messages[count:]
    assert train.save_to(str(tmp_path / "file.txt" / "m.pt")) is False and "Model not saved" in messages[-1]
    assert dreaming.current is not None and dreaming.has_unsaved_results() is False
    assert dreaming.save_result(str(tmp_path / "ok.png")) is True
