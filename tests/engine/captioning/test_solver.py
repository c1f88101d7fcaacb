"""Optimisers, the training solver (generator of frames, live learning rate,
stop/resume, decay, BLEU, data sources) and checkpoints."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch

from engine.captioning import optim
from engine.captioning.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from engine.captioning.model import CaptioningRNN
from engine.captioning.solver import CaptioningSolver, TrainParams
from engine.jobs import Control, Frame

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny_data(seed=0, n=50, V=12, T=10, D=16, n_val=0):
    rng = np.random.default_rng(seed)
    words = ["<NULL>", "<START>", "<END>", "<UNK>"] + [f"w{i}" for i in range(V - 4)]

    def captions(count):
        caps = np.zeros((count, T), dtype=np.int64)
        for k in range(count):
            length = rng.integers(3, T - 1)
            caps[k, 0] = 1
            caps[k, 1:length + 1] = rng.integers(4, V, length)
            caps[k, length + 1] = 2
        return caps

    data = {"train_features": rng.standard_normal((n, D)).astype(np.float32), "train_captions": captions(n),
            "train_image_idxs": np.arange(n), "word_to_idx": {w: i for i, w in enumerate(words)},
            "idx_to_word": words}
    if n_val:
        data.update(val_features=rng.standard_normal((n_val, D)).astype(np.float32),
                    val_captions=captions(2 * n_val), val_image_idxs=np.repeat(np.arange(n_val), 2))
    return data


def make(data, cell="rnn", H=16, seed=0, **kw):
    model = CaptioningRNN(data["word_to_idx"], input_dim=data["train_features"].shape[1], wordvec_dim=8,
                          hidden_dim=H, cell_type=cell, seed=seed)
    kw.setdefault("optim_config", {"learning_rate": 1e-2})
    return model, CaptioningSolver(model, data, seed=seed, **kw)


# ----------------------------------------------------------------- update rules
def test_sgd_by_hand():
    w, dw = torch.tensor([1.0, 2.0], dtype=torch.float64), torch.tensor([0.5, -1.0], dtype=torch.float64)
    nw, cfg = optim.sgd(w, dw, {"learning_rate": 0.1})
    assert nw.tolist() == pytest.approx([0.95, 2.1])
    assert w.tolist() == [1.0, 2.0] and cfg == {"learning_rate": 0.1}
    assert optim.sgd(w, dw)[1]["learning_rate"] == 1e-2


def test_adam_two_steps_by_hand():
    w = torch.tensor([1.0, -2.0], dtype=torch.float64)
    g1, g2 = torch.tensor([0.5, -0.1], dtype=torch.float64), torch.tensor([-0.2, 0.3], dtype=torch.float64)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    given = {"learning_rate": lr}
    w1, cfg = optim.adam(w, g1, given)
    assert given == {"learning_rate": lr}                      # the caller's dict is untouched
    w2, cfg = optim.adam(w1, g2, cfg)
    assert cfg["t"] == 2
    for k in range(2):
        # step 1: m = 0.1 g1, v = 0.001 g1^2, m_hat = g1, v_hat = g1^2
        x1 = w[k].item() - lr * g1[k].item() / (abs(g1[k].item()) + eps)
        m = 0.9 * 0.1 * g1[k].item() + 0.1 * g2[k].item()
        v = 0.999 * 0.001 * g1[k].item() ** 2 + 0.001 * g2[k].item() ** 2
        x2 = x1 - lr * (m / (1 - b1 ** 2)) / (math.sqrt(v / (1 - b2 ** 2)) + eps)
        assert w1[k].item() == pytest.approx(x1, rel=1e-12)
        assert w2[k].item() == pytest.approx(x2, rel=1e-12)
        assert cfg["m"][k].item() == pytest.approx(m) and cfg["v"][k].item() == pytest.approx(v)
    assert w.tolist() == [1.0, -2.0]


def test_train_params_validation_keeps_the_old_snapshot():
    for bad in (float("nan"), float("inf"), 0.0, -1e-3):
        with pytest.raises(ValueError):
            TrainParams(learning_rate=bad)
    with pytest.raises(ValueError):
        TrainParams(learning_rate=1e-3, lr_decay=0.0)
    control = Control(TrainParams(1e-3))
    with pytest.raises(ValueError):
        control.update(learning_rate=float("nan"))
    assert control.params.learning_rate == 1e-3


# ----------------------------------------------------------------- overfitting
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_overfits_fifty_examples(cell):
    data = tiny_data()
    _, solver = make(data, cell, H=48, batch_size=25, num_epochs=150, optim_config={"learning_rate": 1e-2},
                     val_bleu_samples=0)
    frames = list(solver.run(Control(TrainParams(1e-2, lr_decay=1.0), emit_every=50)))
    assert solver.iteration == 300 and len(solver.loss_history) == 300
    assert solver.loss_history[0] > 10 * np.mean(solver.loss_history[-10:])
    assert np.mean(solver.loss_history[-10:]) < 0.1
    assert frames[-1].final and frames[-1].step == 300 and frames[-1].total == 300


# ----------------------------------------------------------------- the generator
def test_frames_carry_loss_lr_epoch_and_hidden_grad_norms():
    data = tiny_data(n=40, n_val=6)
    _, solver = make(data, batch_size=10, num_epochs=2)
    frames = list(solver.run(Control(TrainParams(1e-2, lr_decay=1.0), emit_every=3)))
    assert all(isinstance(f, Frame) for f in frames)
    ends = [f for f in frames if f.info.epoch_end]
    assert [f.step for f in ends] == [4, 8] and [f.info.epoch for f in ends] == [1, 2]
    assert all(0 <= f.metrics["val_bleu4"] <= 1 for f in ends)
    assert [e for e, _ in solver.val_bleu_history] == [1, 2]
    emitted = [f.step for f in frames if not f.info.epoch_end]
    assert emitted == [1, 7]                                    # every third iteration, epoch ends aside
    f = frames[0]
    assert set(f.metrics) == {"loss", "lr"} and f.metrics["lr"] == 1e-2
    assert len(f.info.hidden_grad_norms) == data["train_captions"].shape[1] - 1
    assert f.metrics["loss"] == solver.loss_history[0]


def test_learning_rate_is_read_every_iteration_and_decays_per_epoch():
    data = tiny_data(n=20)
    model, solver = make(data, batch_size=10, num_epochs=3, lr_decay=0.5)
    control = Control(TrainParams(1e-2, lr_decay=0.5), emit_every=1)
    run = solver.run(control)
    assert next(run).metrics["lr"] == 1e-2
    control.update(learning_rate=4e-3)
    f = next(run)
    assert f.metrics["lr"] == 4e-3 and f.info.epoch_end
    assert all(c["learning_rate"] == 4e-3 for c in solver.optim_configs.values())
    assert control.params.learning_rate == pytest.approx(2e-3)  # decayed after the epoch
    assert next(run).metrics["lr"] == pytest.approx(2e-3)


def test_cancel_then_run_again_continues():
    data = tiny_data(n=30)
    _, solver = make(data, batch_size=10, num_epochs=2)
    control = Control(TrainParams(1e-2, lr_decay=1.0), emit_every=1)
    for frame in solver.run(control):
        if frame.step == 2:
            control.cancel()
    assert solver.iteration == 2
    frames = list(solver.run(Control(TrainParams(1e-2, lr_decay=1.0), emit_every=1)))
    assert [f.step for f in frames] == [3, 4, 5, 6] and solver.epoch == 2
    assert len(solver.loss_history) == 6
    again = list(solver.run())                                # nothing left: one final frame
    assert len(again) == 1 and again[0].final and solver.iteration == 6


def test_sgd_rule_and_divergence_message():
    data = tiny_data(n=20)
    model, solver = make(data, update_rule="sgd", batch_size=10, num_epochs=1)
    list(solver.run())
    assert solver.iteration == 2 and "m" not in solver.optim_configs["Wx"]
    model.params["Wh"] = model.params["Wh"] * float("nan")
    solver.num_epochs = 2
    before = {k: v.clone() for k, v in model.params.items()}
    with pytest.raises(FloatingPointError, match="learning rate"):
        list(solver.run())
    assert all(torch.equal(v, before[k]) or k == "Wh" for k, v in model.params.items())
    with pytest.raises(ValueError, match="update rule"):
        make(data, update_rule="rmsprop")


def test_torch_tensor_and_h5py_data(tmp_path):
    import h5py  # a hard dependency (requirements.txt): missing, the test fails
    data = tiny_data(n=20, n_val=4)
    path = tmp_path / "tiny.h5"
    with h5py.File(path, "w") as f:
        for key, value in data.items():
            if isinstance(value, np.ndarray):
                f[key] = value
    with h5py.File(path, "r") as f:
        h5 = {k: f[k] for k in f} | {"word_to_idx": data["word_to_idx"], "idx_to_word": data["idx_to_word"]}
        _, s_h5 = make(h5, batch_size=8, num_epochs=2, seed=3)
        list(s_h5.run())
    tensors = {k: torch.as_tensor(v) if isinstance(v, np.ndarray) else v for k, v in data.items()}
    _, s_t = make(tensors, batch_size=8, num_epochs=2, seed=3)
    list(s_t.run())
    _, s_np = make(data, batch_size=8, num_epochs=2, seed=3)
    list(s_np.run())
    assert s_h5.loss_history == pytest.approx(s_np.loss_history, rel=1e-6)
    assert s_t.loss_history == pytest.approx(s_np.loss_history, rel=1e-6)
    assert s_h5.val_bleu_history == s_np.val_bleu_history and len(s_np.val_bleu_history) == 2


# ----------------------------------------------------------------- checkpoints
def test_checkpoint_resume_equals_an_uninterrupted_run(tmp_path):
    data = tiny_data(n=30, n_val=3)
    _, straight = make(data, cell="lstm", batch_size=10, num_epochs=2, lr_decay=0.9)
    list(straight.run())

    model, solver = make(data, cell="lstm", batch_size=10, num_epochs=2, lr_decay=0.9)
    control = Control(solver.default_params(), emit_every=1)
    for frame in solver.run(control):
        if frame.step == 4:
            control.cancel()
    path = save_checkpoint(tmp_path / "model.pt", model, solver, cnn_name="efficientnet_lite0",
                           feature_layer="_conv_head", metadata={"dataset": "tiny"})
    assert [p.name for p in tmp_path.iterdir()] == ["model.pt"]  # no temporary file left behind

    ckpt = load_checkpoint(path)
    assert ckpt.config["cnn_name"] == "efficientnet_lite0" and ckpt.config["feature_layer"] == "_conv_head"
    assert ckpt.config["cell_type"] == "lstm" and ckpt.word_to_idx == data["word_to_idx"]
    assert ckpt.metadata == {"dataset": "tiny"} and ckpt.solver_state["iteration"] == 4
    resumed_model = ckpt.build_model()
    assert all(torch.equal(resumed_model.params[k], v) for k, v in model.params.items())
    resumed = CaptioningSolver(resumed_model, data, batch_size=10, num_epochs=2, seed=123)
    resumed.load_state_dict(ckpt.solver_state)
    list(resumed.run())
    assert resumed.loss_history == pytest.approx(straight.loss_history, rel=1e-6)
    assert resumed.val_bleu_history == straight.val_bleu_history and len(straight.val_bleu_history) == 2
    assert resumed.learning_rate == pytest.approx(straight.learning_rate)


def test_word_dropout_replaces_only_the_chosen_input_words():
    data = tiny_data(n=200, V=12, T=10)
    model, solver = make(data, batch_size=200, word_dropout=0.4, dropout_words=["w1", "w2"])
    captions = torch.as_tensor(data["train_captions"])
    dropped = solver._dropped_inputs(captions)
    original = captions[:, :-1]
    changed = dropped != original
    chosen = (original == model.word_to_idx["w1"]) | (original == model.word_to_idx["w2"])
    assert bool((dropped[changed] == model.unk_idx).all()) and not bool((changed & ~chosen).any())
    assert 0.3 < changed.sum().item() / chosen.sum().item() < 0.5      # about p of the chosen words
    _, every = make(data, batch_size=200, word_dropout=0.4)             # default: every ordinary word
    hit = every._dropped_inputs(captions) != original
    assert bool((original[hit] >= 4).all()) and 0.3 < hit.float().mean() / (original >= 4).float().mean() < 0.5
    _, off = make(data)
    assert off.word_dropout == 0 and off._dropped_inputs(captions) is None
    for bad in (-0.1, 1.0, float("nan"), True, "0.5"):
        with pytest.raises(ValueError, match="word dropout"):
            make(data, word_dropout=bad)
    with pytest.raises(ValueError, match="not in the vocabulary"):
        make(data, word_dropout=0.5, dropout_words=["zebra"])


def test_word_dropout_follows_the_data_and_survives_a_checkpoint(tmp_path):
    data = dict(tiny_data(n=30), word_dropout=0.5, dropout_words=["w3"])
    model, solver = make(data, batch_size=10, num_epochs=1)
    assert solver.word_dropout == 0.5 and solver.dropout_words == ["w3"]
    list(solver.run())
    assert all(math.isfinite(x) for x in solver.loss_history)
    path = save_checkpoint(tmp_path / "m.pt", model, solver, cnn_name="efficientnet_lite0", feature_layer="x")
    resumed = CaptioningSolver(load_checkpoint(path).build_model(), tiny_data(n=30), batch_size=10)
    assert resumed.word_dropout == 0
    resumed.load_state_dict(load_checkpoint(path).solver_state)
    assert resumed.word_dropout == 0.5 and resumed.dropout_words == ["w3"]


def test_save_is_atomic_when_writing_fails(tmp_path, monkeypatch):
    data = tiny_data(n=10)
    model, _ = make(data)
    path = save_checkpoint(tmp_path / "m.pt", model)
    good = path.read_bytes()

    def broken_save(obj, fh):
        fh.write(b"partial")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(CheckpointError, match="No space left"):
        save_checkpoint(path, model)
    assert path.read_bytes() == good and sorted(os.listdir(tmp_path)) == ["m.pt"]


class Payload:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_bad_files_are_refused_clearly(tmp_path):
    data = tiny_data(n=10)
    model, _ = make(data)
    path = save_checkpoint(tmp_path / "m.pt", model)
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(CheckpointError, match="damaged or truncated") as err:
        load_checkpoint(truncated)
    assert err.value.path == str(truncated)

    evil = tmp_path / "evil.pt"
    torch.save({"format": "neural-lens/captioning", "x": Payload()}, evil)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(evil)

    foreign = tmp_path / "foreign.pt"
    torch.save({"state_dict": {"w": torch.zeros(2)}}, foreign)
    with pytest.raises(CheckpointError, match="not a Neural Lens captioning checkpoint"):
        load_checkpoint(foreign)

    text = tmp_path / "notes.pt"
    text.write_text("hello")
    with pytest.raises(CheckpointError, match="notes.pt"):
        load_checkpoint(text)
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "missing.pt")

    blob = torch.load(path, weights_only=True)
    blob["params"]["Wh"] = torch.zeros(3, 3)
    torch.save(blob, tmp_path / "shapes.pt")
    with pytest.raises(CheckpointError, match="Wh has shape"):
        load_checkpoint(tmp_path / "shapes.pt")
