"""The Captioning tab, driven through its real widgets: load the built-in
data, train (loss streams into the plot and falls), change the learning rate
mid-run, stop and resume from the same iteration, caption a dropped photo,
look inside, run the gradient checks, close while training."""
from __future__ import annotations

import numpy as np
import pytest
from captioning_fixtures import configure, drop_file, load_data
from PySide6.QtCore import Qt

from engine.captioning.checkpoint import load_checkpoint
from guiapp.captioning.inside_panel import ROW_HEIGHT
from guiapp.tabs.captioning_tab import CaptioningTab

pytestmark = pytest.mark.usefixtures("one_torch_thread_per_module")


def test_training_streams_loss_into_the_plot_and_the_loss_falls(qtbot, tab):
    data = load_data(qtbot, tab)
    assert data["train_features"].shape[0] == 60 and data["train_features"].shape[1] >= 64
    browser = tab.data_panel.browser
    assert browser.current_split == "val" and browser.model.rowCount() == 10   # at least 10 val images
    first = browser.model.index(0)
    assert browser.model.data(first).count("\n• ") == 4                       # four ground-truth captions
    assert browser.model.data(first, Qt.ItemDataRole.DecorationRole).width() == 72
    panel = tab.train_panel
    assert panel.word_dropout.value() == 0.5           # the built-in scenes' recommendation
    configure(panel, epochs=12)
    seen = []
    panel.frame.connect(lambda f: seen.append(len(panel.plots.raw_curve.getData()[0])))
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.is_running and not panel.start_button.isEnabled()
    qtbot.waitUntil(lambda: not panel.is_running, timeout=60000)

    solver = tab.session.solver
    assert solver.iteration == 12 * 12                          # 240 captions / batch 20, 12 epochs
    assert solver.word_dropout == 0.5 and "red" in solver.dropout_words
    xs, ys = panel.plots.raw_curve.getData()
    assert len(xs) == solver.iteration and np.allclose(ys, solver.loss_history)
    assert len(seen) >= 2 and seen[0] < seen[-1]                # points arrived while it ran
    smooth = panel.plots.smoothed
    assert smooth[-1] < 0.6 * smooth[9]                         # the loss went down
    assert len(panel.plots.epoch_lines) == 12
    assert [line.value() for line in panel.plots.epoch_lines[:2]] == [12, 24]
    assert len(panel.plots.bleu_curve.getData()[0]) == 12        # validation BLEU-4 per epoch
    assert panel.progress.value() == panel.progress.maximum() and "Training finished after 144 steps." in panel.status.text()
    assert tab.has_unsaved_results()
    saved = load_checkpoint(tab.session.autosave_path)          # kept automatically
    assert saved.solver_state["iteration"] == solver.iteration
    # the vanishing-gradient probe was measured before training and at every epoch end
    run = tab.session.current_run
    assert len(run.backprop) == 13 and run.backprop[-1][1].shape[0] >= 5


def test_learning_rate_changes_mid_run_and_stop_resume_continues(qtbot, tab):
    load_data(qtbot, tab)
    panel = tab.train_panel
    configure(panel, cell="rnn", lr=5e-3, epochs=400)
    frames = []
    panel.frame.connect(frames.append)
    panel.start()
    qtbot.waitUntil(lambda: len(frames) >= 1, timeout=30000)
    panel.lr.setValue(2e-3)                                     # while it runs
    qtbot.waitUntil(lambda: frames[-1].metrics["lr"] == pytest.approx(2e-3), timeout=30000)
    assert tab.session.solver.learning_rate == pytest.approx(2e-3)
    assert panel.control.params.learning_rate == pytest.approx(2e-3)
    panel.lr.setValue(panel.lr.value())                         # no-op change is fine

    qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.is_running, timeout=30000)
    solver = tab.session.solver
    stopped_at = solver.iteration
    assert 0 < stopped_at < solver.total_iterations
    assert len(solver.loss_history) == stopped_at
    assert load_checkpoint(tab.session.autosave_path).solver_state["iteration"] == stopped_at
    assert panel.resume_button.isEnabled()

    frames.clear()
    panel.word_dropout.setValue(0.2)                            # applies from the resumed iteration on
    qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(frames) >= 2, timeout=30000)
    panel.stop()
    qtbot.waitUntil(lambda: not panel.is_running, timeout=30000)
    assert tab.session.solver is solver and frames[0].step > stopped_at
    assert len(solver.loss_history) == solver.iteration > stopped_at   # one loss per iteration, no restart
    xs, _ = panel.plots.raw_curve.getData()
    assert len(xs) == solver.iteration and xs[0] == 1                 # the same curve, extended
    assert solver.learning_rate == pytest.approx(2e-3)                # resumed with the changed rate
    assert solver.word_dropout == 0.2 and "red" in solver.dropout_words


def test_dropped_photo_is_captioned_and_the_gates_are_shown(qtbot, tab, photo_dir):
    load_data(qtbot, tab)
    configure(tab.train_panel, epochs=3)
    tab.train_panel.start()
    qtbot.waitUntil(lambda: not tab.train_panel.is_running, timeout=60000)
    tab.show_page("Caption")
    captions = tab.caption_panel
    assert not captions.beams_box.isVisible()                   # greedy: no beams to show
    with qtbot.waitSignal(captions.caption_ready, timeout=30000) as blocker:
        event = drop_file(captions.image_panel, photo_dir / "chelsea.png")
    assert event.isAccepted()
    result = blocker.args[0]
    words = result.caption.split()
    assert words and all(w in tab.session.model.word_to_idx for w in words)
    assert captions.caption_label.text() == result.caption
    assert result.features.shape == (tab.session.data["train_features"].shape[1],)   # the dataset's CNN features
    assert len(captions.chart.top_k) == len(result.steps) and len(captions.chart.top_k[0]) == 5
    assert all(abs(sum(p for _, p in step) - 1) < 1.0 for step in captions.chart.top_k)
    # look inside: the LSTM's gates over the words it said
    inside = tab.inside_panel
    assert not inside.heat_items  # drawn when the page is shown, not while another one is
    tab.show_page("Look inside")
    assert set(inside.heat_items) == {"i", "f", "o", "c"}
    assert inside.heat.minimumHeight() == 4 * ROW_HEIGHT   # readable maps; the page scrolls on a short screen
    gate = inside.heat_items["f"].image
    assert gate.shape == (len(result.steps), 32) and 0 <= gate.min() and gate.max() <= 1
    first = inside.heat_items["f"]
    assert inside.show_caption(result)  # the next epoch's caption: the same plots, new values
    assert inside.heat_items["f"] is first and len(inside.heat.ci.items) == 4
    tab.show_page("Caption")

    # beam search shows the beams that were kept and dropped
    with qtbot.waitSignal(captions.caption_ready, timeout=30000):
        captions.method.setCurrentIndex(captions.method.findData("beam"))
    counts = captions.beams.counts()
    assert counts["kept"] > 0 and counts["dropped"] > 0 and captions.beams_box.isVisible()

    # a bad file keeps the caption and says why
    messages = []
    tab.ctx.status.connect(lambda text, _ms: messages.append(text))
    bad = photo_dir.parent / "not-there.png"
    drop_file(captions.image_panel, bad)
    assert any("not-there.png" in m for m in messages) and captions.result is not None


def test_gradient_check_panel_shows_all_passes(qtbot, tab):
    panel = tab.gradcheck_panel
    with qtbot.waitSignal(panel.finished, timeout=120000) as blocker:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    results = blocker.args[0]
    rows = panel.row_texts()
    assert len(rows) == len(results) == 26 + 24 + 8 + 8 + 11      # layers, attention layers, three models
    assert all(status == "pass" for _, status in rows)
    assert any(name.startswith("lstm_forward: dWh") for name, _ in rows)
    assert any(name.startswith("attention_forward: dW_att") for name, _ in rows)
    assert panel.progress.value() == panel.progress.maximum()
    assert panel.all_passed
    assert panel.summary.text() == f"The gradient check finished after 5 steps. {len(results)} gradients checked: all pass."


def test_closing_during_training_stops_and_keeps_the_checkpoint(qtbot, tab, tmp_path):
    load_data(qtbot, tab)
    configure(tab.train_panel, epochs=1000)
    tab.train_panel.start()
    qtbot.waitUntil(lambda: tab.session.solver.iteration > 20, timeout=30000)
    tab.shutdown()
    assert not tab.train_panel.is_running
    solver = tab.session.solver
    ckpt = load_checkpoint(tab.session.autosave_path)
    assert ckpt.solver_state["iteration"] == solver.iteration < solver.total_iterations
    assert ckpt.metadata["feature_spec"]["cnn"] == "efficientnet_lite0"

    # an explicit save, then loading it back restores a resumable model and its history
    path = tmp_path / "lstm.pt"
    assert tab.train_panel.save_to(str(path)) and not tab.has_unsaved_results()
    (tmp_path / "broken.pt").write_bytes(b"not a checkpoint")
    assert not tab.train_panel.load_from(str(tmp_path / "broken.pt"))
    assert tab.session.solver is solver                          # a bad file changes nothing
    assert tab.train_panel.load_from(str(path))
    assert tab.session.solver is not solver and tab.session.solver.iteration == solver.iteration
    assert tab.train_panel.resume_button.isEnabled()
    assert len(tab.train_panel.plots.raw_curve.getData()[0]) == solver.iteration


def test_cancelling_feature_extraction_keeps_the_previous_state(qtbot, tab):
    panel = tab.data_panel
    options = panel.pages.currentWidget()
    options.n_train.setValue(3000)
    options.image_size.setValue(64)
    options.seed.setValue(12345)                                # not in the cache: the CNN has to run
    frames = []
    panel.runner.frame.connect(frames.append)
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    assert panel.cancel_button.isEnabled() and not panel.load_button.isEnabled()
    qtbot.waitUntil(lambda: len(frames) >= 1, timeout=30000)
    assert frames[0].info.name == "features:train" and 0 < frames[0].step < frames[0].total
    qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.runner.is_running, timeout=30000)
    assert tab.session.data is None and panel.stage.text().startswith("Loading the dataset stopped at step ")
    assert panel.stage.text().endswith("The previous dataset is kept.")
    assert panel.load_button.isEnabled() and not tab.train_panel.start_button.isEnabled()


def features_only_data(n_images=12, dim=16, seed=0):
    """A dataset in the coco_captioning layout: features and URLs, no pictures, no CNN."""
    rng = np.random.default_rng(seed)
    words = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "dog", "cat", "on", "grass", "sofa"]
    w2i = {w: i for i, w in enumerate(words)}
    data = {"word_to_idx": w2i, "idx_to_word": words}
    for split, n in (("train", n_images), ("val", 4)):
        kinds = rng.integers(0, 2, size=n)
        feats = rng.normal(size=(n, dim)).astype(np.float32)
        feats[:, 0] += np.where(kinds == 0, 3.0, -3.0)          # the "dog" images differ from the "cat" ones
        caps = [[w2i["<START>"], w2i["a"], w2i["dog" if k == 0 else "cat"], w2i["on"],
                 w2i["grass" if k == 0 else "sofa"], w2i["<END>"]] for k in kinds]
        data[f"{split}_features"] = feats
        data[f"{split}_captions"] = np.asarray(caps, dtype=np.int32)
        data[f"{split}_image_idxs"] = np.arange(n, dtype=np.int32)
        data[f"{split}_urls"] = np.asarray([f"http://images.example/{split}/{i}.jpg" for i in range(n)])
    return data


def test_a_features_only_dataset_trains_and_captions_its_images_but_not_photos(qtbot, tab, photo_dir):
    data = features_only_data()
    tab.data_panel.browser.set_data(data)
    tab.session.set_data(data, "features only")
    browser = tab.data_panel.browser
    first = browser.model.index(0)
    assert browser.model.data(first).startswith("http://images.example/val/0.jpg\n• a ")
    assert browser.model.data(first, Qt.ItemDataRole.DecorationRole) is None
    assert "features only" in browser.count_label.text()

    configure(tab.train_panel, hidden=16, wordvec=8, lr=2e-2, batch=6, epochs=40)
    assert tab.train_panel.start()
    qtbot.waitUntil(lambda: not tab.train_panel.is_running, timeout=60000)
    assert tab.session.solver.loss_history[-1] < 0.2 * tab.session.solver.loss_history[0]
    tab.show_page("Data")
    with qtbot.waitSignal(tab.caption_panel.caption_ready, timeout=30000) as blocker:
        browser.image_activated.emit("val", 1)
    assert tab.pages.currentWidget() is tab.caption_panel
    expected = "a dog on grass" if data["val_captions"][1][2] == data["word_to_idx"]["dog"] else "a cat on sofa"
    assert blocker.args[0].caption == expected
    assert tab.caption_panel.references_label.text().endswith(expected)

    messages = []
    tab.ctx.status.connect(lambda text, _ms: messages.append(text))
    tab.open_file(str(photo_dir / "coffee.png"))                # no CNN spec: said, not crashed
    assert any("precomputed features" in m for m in messages)


def test_smoothing_is_centered_and_skips_bad_points():
    from guiapp.captioning.loss_plot import smooth

    line = np.linspace(10.0, 0.0, 101)
    np.testing.assert_allclose(smooth(line, 3)[3:-3], line[3:-3])    # no lag on a falling line
    assert smooth([1.0, float("nan"), 3.0], 1).tolist() == [1.0, 2.0, 3.0]
    assert smooth([4.0, 0.0], 0).tolist() == [4.0, 0.0] and smooth([]).size == 0


def test_a_model_loaded_before_its_data_resumes_once_the_data_is_there(qtbot, ctx, tab, tmp_path):
    load_data(qtbot, tab)
    configure(tab.train_panel, epochs=2)
    tab.train_panel.start()
    qtbot.waitUntil(lambda: not tab.train_panel.is_running, timeout=60000)
    path = tmp_path / "rnn.pt"
    assert tab.train_panel.save_to(str(path))
    iterations = tab.session.solver.iteration

    fresh = CaptioningTab(ctx, autosave_path=tmp_path / "other" / "autosave.pt")
    qtbot.addWidget(fresh)
    assert fresh.train_panel.load_from(str(path))
    assert fresh.session.solver is None and not fresh.train_panel.resume_button.isEnabled()
    assert "load its dataset" in fresh.train_panel.status.text()
    load_data(qtbot, fresh)
    assert fresh.session.solver is not None and fresh.session.solver.iteration == iterations
    assert fresh.train_panel.resume_button.isEnabled() and not fresh.has_unsaved_results()
    fresh.shutdown()
