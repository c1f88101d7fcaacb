"""Soft attention (Xu et al. 2015) with explicit gradients: numerical checks,
autograd agreement, the attention cell of CaptioningRNN (loss, decoding,
internals, checkpoints) and a toy task only looking can solve."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.captioning import attention as A
from engine.captioning import beam_search, greedy_decode, load_checkpoint, save_checkpoint, temperature_sample
from engine.captioning.checkpoint import CheckpointError
from engine.captioning.gradcheck import SEQUENCE_TOLERANCE, STEP_TOLERANCE, check_attention_layers, check_model
from engine.captioning.internals import attention_entropy, caption_internals, gradient_through_time
from engine.captioning.model import CaptioningRNN
from engine.captioning.solver import CaptioningSolver

F64 = torch.float64
N, T, Lc, C, D, H = 3, 5, 6, 4, 5, 7

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def rnd(g, *shape, scale=1.0):
    return torch.randn(*shape, generator=g, dtype=F64) * scale


def leafs(tensors):
    return [t.clone().requires_grad_(True) for t in tensors]


def autograd_grads(outs, douts, inputs):
    total = sum((o * d).sum() for o, d in zip(outs, douts))
    return torch.autograd.grad(total, inputs)


def assert_all_close(ours, theirs, tol=1e-10):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        assert torch.allclose(a, b, rtol=tol, atol=tol)


def lstm_weights(g):
    return rnd(g, D, 4 * H, scale=0.5), rnd(g, H, 4 * H, scale=0.5), rnd(g, H, 4 * H, scale=0.5), rnd(g, H, H,
                                                                                                        scale=0.5)


# ----------------------------------------------------------------- numerical checks
@pytest.mark.parametrize("seed", [0, 1])
def test_every_attention_layer_passes_the_numerical_check(seed):
    results = check_attention_layers(seed=seed)
    assert {r.name.split(":")[0] for r in results} == {
        "attention_init_forward", "attention_forward", "attention_lstm_step_forward", "attention_lstm_forward"}
    assert len(results) == 4 + 3 + 9 + 8
    for r in results:
        expected = SEQUENCE_TOLERANCE if r.name.startswith("attention_lstm_forward") else STEP_TOLERANCE
        assert r.tolerance == expected and r.passed, (r.name, r.rel_error)


def test_a_wrong_attention_backward_fails_the_check(monkeypatch):
    right = A.attention_backward

    def wrong(dz, cache, dalpha=None):
        dh, dP, dW = right(dz, cache, dalpha)
        return dh, dP, dW * 1.001

    monkeypatch.setattr(A, "attention_backward", wrong)
    failed = {r.name for r in check_attention_layers() if not r.passed}
    assert "attention_forward: dW_att" in failed and "attention_lstm_forward: dW_att" in failed


def test_the_attention_model_passes_the_whole_model_check():
    results = check_model("attention", seed=2)
    assert {r.name.split(": ")[1] for r in results} == {"W_proj", "b_proj", "W_pos", "W_embed", "Wx", "Wh", "Wz",
                                                        "W_att", "b", "W_vocab", "b_vocab"}
    assert all(r.passed for r in results), [(r.name, r.rel_error) for r in results if not r.passed]


# ----------------------------------------------------------------- autograd agreement
def test_attention_layers_match_autograd():
    g = torch.Generator().manual_seed(7)
    ins = leafs([rnd(g, N, Lc, C), rnd(g, C, H), rnd(g, H), rnd(g, Lc, H)])
    P, h0, cache = A.attention_init_forward(*ins)
    dP, dh0 = rnd(g, *P.shape), rnd(g, *h0.shape)
    assert_all_close(A.attention_init_backward(dP, dh0, cache), autograd_grads((P, h0), (dP, dh0), ins))

    ins = leafs([rnd(g, N, H), rnd(g, N, Lc, H), rnd(g, H, H)])
    z, alpha, cache = A.attention_forward(*ins)
    dz, dalpha = rnd(g, *z.shape), rnd(g, *alpha.shape)
    assert_all_close(A.attention_backward(dz, cache, dalpha), autograd_grads((z, alpha), (dz, dalpha), ins))
    assert torch.allclose(alpha.sum(1), torch.ones(N, dtype=F64)) and bool((alpha > 0).all())

    Wx, Wh, Wz, W_att = lstm_weights(g)
    ins = leafs([rnd(g, N, D), rnd(g, N, H), rnd(g, N, H), rnd(g, N, Lc, H), Wx, Wh, Wz, W_att, rnd(g, 4 * H)])
    h, c, _, cache = A.attention_lstm_step_forward(*ins)
    dh, dc = rnd(g, *h.shape), rnd(g, *c.shape)
    assert_all_close(A.attention_lstm_step_backward(dh, dc, cache), autograd_grads((h, c), (dh, dc), ins))

    ins = leafs([rnd(g, N, T, D), rnd(g, N, H), rnd(g, N, Lc, H), Wx, Wh, Wz, W_att, rnd(g, 4 * H)])
    hs, cache = A.attention_lstm_forward(*ins)
    dhs = rnd(g, *hs.shape)
    assert_all_close(A.attention_lstm_backward(dhs, cache), autograd_grads((hs,), (dhs,), ins))
    assert cache.alpha.shape == (N, T, Lc)


def test_attention_weights_are_the_softmax_of_the_scaled_scores():
    """alpha = softmax(P q / sqrt(H)) with q = prev_h W_att, z = sum_i alpha_i P_i (Xu et al. 2015),
    written out; scores hundreds of units apart (exp would overflow) still give finite weights."""
    g = torch.Generator().manual_seed(11)
    prev_h, P, W_att = rnd(g, N, H), rnd(g, N, Lc, H), rnd(g, H, H)
    z, alpha, _ = A.attention_forward(prev_h, P, W_att)
    scores = torch.einsum("nlh,nh->nl", P, prev_h @ W_att) / H ** 0.5
    expected = torch.exp(scores) / torch.exp(scores).sum(1, keepdim=True)
    assert torch.allclose(alpha, expected, atol=1e-12)
    assert torch.allclose(z, torch.einsum("nl,nlh->nh", expected, P), atol=1e-12)
    big_z, big_alpha, _ = A.attention_forward(prev_h * 300, P * 30, W_att)   # scores of order 1e3..1e4
    assert torch.isfinite(big_alpha).all() and torch.isfinite(big_z).all()
    assert torch.allclose(big_alpha.sum(1), torch.ones(N, dtype=F64))


def test_an_empty_sequence_gives_empty_hidden_states_and_weights():
    g = torch.Generator().manual_seed(12)
    Wx, Wh, Wz, W_att = lstm_weights(g)
    hs, cache = A.attention_lstm_forward(rnd(g, N, 0, D), rnd(g, N, H), rnd(g, N, Lc, H), Wx, Wh, Wz, W_att,
                                         rnd(g, 4 * H))
    assert hs.shape == (N, 0, H) and hs.dtype == F64
    assert cache.c.shape == cache.z.shape == (N, 0, H) and cache.i.shape == (N, 0, H)
    assert cache.alpha.shape == (N, 0, Lc)


def test_sequence_equals_its_steps_and_leaves_inputs_alone():
    g = torch.Generator().manual_seed(8)
    x, h0, P = rnd(g, N, T, D), rnd(g, N, H), rnd(g, N, Lc, H)
    Wx, Wh, Wz, W_att = lstm_weights(g)
    b = rnd(g, 4 * H)
    copies = [t.clone() for t in (x, h0, P)]
    hs, cache = A.attention_lstm_forward(x, h0, P, Wx, Wh, Wz, W_att, b)
    h, c = h0, torch.zeros_like(h0)
    for t in range(T):
        h, c, alpha, _ = A.attention_lstm_step_forward(x[:, t], h, c, P, Wx, Wh, Wz, W_att, b)
        assert torch.allclose(hs[:, t], h, atol=1e-12) and torch.allclose(cache.alpha[:, t], alpha, atol=1e-12)
    assert all(torch.equal(a, b) for a, b in zip(copies, (x, h0, P)))
    dx, dh0, dP, *_ , dtotal = A.attention_lstm_backward(torch.ones_like(hs), cache, return_hidden_grads=True)
    assert dtotal.shape == hs.shape and dP.shape == P.shape


def test_grid_features_reads_the_feature_layout():
    """Flat features as adaptive_avg_pool2d(...).flatten(1) writes them, two layers one after the other."""
    maps = [torch.randn(2, 3, 2, 2), torch.randn(2, 5, 2, 2)]
    flat = torch.cat([m.flatten(1) for m in maps], dim=1)
    grid = A.grid_features(flat, 4)
    assert grid.shape == (2, 4, 8)
    assert torch.equal(grid[1, 2], torch.cat([maps[0][1, :, 1, 0], maps[1][1, :, 1, 0]]))   # row 1, column 0
    with pytest.raises(ValueError, match="per cell"):
        A.grid_features(flat, 3)


# ----------------------------------------------------------------- the model
WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "dot", "left", "right", "top", "bottom"]
W2I = {w: i for i, w in enumerate(WORDS)}


def toy_data(n=240, seed=0):
    """A bright dot in one of 4 cells of a 2x2 grid: 'dot <column> <row>'.  Pooled
    features could not say where; the grid can."""
    rng = np.random.default_rng(seed)
    feats = np.zeros((n, 3 * 4), np.float32)
    caps = []
    for k in range(n):
        cell = int(rng.integers(4))
        grid = rng.normal(0, 0.05, (3, 4)).astype(np.float32)
        grid[0, cell] += 1.0
        feats[k] = grid.reshape(-1)
        caps.append([1, W2I["dot"], W2I["left" if cell % 2 == 0 else "right"],
                     W2I["top" if cell < 2 else "bottom"], 2, 0])
    return {"train_features": feats, "train_captions": np.asarray(caps), "train_image_idxs": np.arange(n),
            "word_to_idx": W2I, "idx_to_word": WORDS}


def make(seed=0, **kw):
    return CaptioningRNN(W2I, input_dim=12, wordvec_dim=8, hidden_dim=16, cell_type="attention", regions=4,
                         seed=seed, **kw)


def test_parameter_names_shapes_and_config():
    m = make()
    assert {k: tuple(v.shape) for k, v in m.params.items()} == {
        "W_proj": (3, 16), "b_proj": (16,), "W_pos": (4, 16), "W_embed": (9, 8), "Wx": (8, 64), "Wh": (16, 64),
        "Wz": (16, 64), "W_att": (16, 16), "b": (64,), "W_vocab": (16, 9), "b_vocab": (9,)}
    assert m.config()["regions"] == 4 and m.config()["cell_type"] == "attention"
    with pytest.raises(ValueError, match="grid"):
        CaptioningRNN(W2I, input_dim=12, cell_type="attention", regions=5)
    with pytest.raises(ValueError, match="grid"):
        CaptioningRNN(W2I, input_dim=12, cell_type="attention")
    with pytest.raises(ValueError, match="attention cell only"):
        CaptioningRNN(W2I, input_dim=12, cell_type="lstm", regions=4)


def test_it_learns_where_things_are_decodes_and_round_trips(tmp_path):
    data = toy_data()
    model = make()
    solver = CaptioningSolver(model, data, batch_size=40, num_epochs=25, optim_config={"learning_rate": 1e-2},
                              seed=0, val_bleu_samples=0, word_dropout=0.0)
    for _ in solver.run():
        pass
    assert solver.loss_history[-1] < 0.1 * solver.loss_history[0]
    assert model.last_attention.shape == (40, 5, 4)
    feats, caps = data["train_features"][:8], data["train_captions"][:8]
    want = [" ".join(WORDS[i] for i in row[1:4]) for row in caps]
    assert greedy_decode(model, feats).captions == want
    assert beam_search(model, feats, beam_width=3).captions == want
    assert temperature_sample(model, feats, temperature=0.05, seed=0).captions == want
    # where it looks before naming the column: the dot's cell takes most of the weight
    inside = caption_internals(model, feats[0], greedy_decode(model, feats[:1]).ids[0])
    assert inside["alpha"].shape == (4, 4) and np.allclose(inside["alpha"].sum(1), 1, atol=1e-5)
    assert inside["entropy"].shape == (4,) and set(inside) >= {"i", "f", "o", "g", "c", "h", "alpha"}
    assert gradient_through_time(model, feats, caps).shape == (4,)
    path = save_checkpoint(tmp_path / "att.pt", model, solver)
    again = load_checkpoint(path).build_model()
    assert again.cell_type == "attention" and again.regions == 4
    assert greedy_decode(again, feats).captions == want


def test_checkpoints_of_attention_models_are_checked(tmp_path):
    path = save_checkpoint(tmp_path / "att.pt", make())
    payload = torch.load(path, weights_only=True)
    del payload["params"]["W_att"]
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="parameters must be exactly"):
        load_checkpoint(tmp_path / "bad.pt")
    payload = torch.load(path, weights_only=True)
    payload["config"]["regions"] = 5
    torch.save(payload, tmp_path / "bad2.pt")
    with pytest.raises(CheckpointError, match="regions"):
        load_checkpoint(tmp_path / "bad2.pt")


def test_attention_entropy():
    assert attention_entropy([1.0, 0.0, 0.0, 0.0]) == pytest.approx(0.0)
    assert attention_entropy(np.full((2, 4), 0.25)) == pytest.approx([np.log(4)] * 2)


def test_gradient_clipping_defaults_to_the_cell_and_bounds_the_update():
    data = toy_data()
    model = make()
    solver = CaptioningSolver(model, data, update_rule="sgd", optim_config={"learning_rate": 1.0}, batch_size=40,
                              seed=0, val_bleu_samples=0)
    assert solver.grad_clip == 5.0 and solver.state_dict()["grad_clip"] == 5.0
    solver.grad_clip = 1e-3
    before = {k: v.clone() for k, v in model.params.items()}
    solver.step(1.0)
    moved = sum(float(((model.params[k] - before[k]) ** 2).sum()) for k in before) ** 0.5
    assert moved == pytest.approx(1e-3, rel=1e-3)              # SGD step = lr * the clipped gradient
    lstm = CaptioningRNN(W2I, input_dim=12, cell_type="lstm", seed=0)
    assert CaptioningSolver(lstm, data, val_bleu_samples=0).grad_clip == 0.0
    assert CaptioningSolver(lstm, data, val_bleu_samples=0, grad_clip=2).grad_clip == 2.0
    with pytest.raises(ValueError, match="clipping"):
        CaptioningSolver(lstm, data, grad_clip=-1)
    resumed = CaptioningSolver(make(), data, val_bleu_samples=0)
    resumed.load_state_dict(solver.state_dict())
    assert resumed.grad_clip == 1e-3
