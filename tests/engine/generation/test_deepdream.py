"""DeepDream and guided DeepDream on the real EfficientNet-Lite0: the
objectives climb, octaves and live changes behave, tiling is exact, the dream
of a tiled image shows no seams, and memory stays bounded as images grow."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.generation import DreamParams, deepdream, guide_objective, layer_objective
from engine.generation.deepdream import octave_sizes, skipped_note
from engine.generation.objectives import layer_l2
from engine.generation.tiling import context_margin, tile_spans, tiled_gradient
from engine.imaging import resize
from engine.jobs import Control, run_to_end


def _dream(model, image, layer, guide=None, **params):
    control = Control(DreamParams(**params), emit_interval=None, emit_every=1)
    frames = []
    _, result = run_to_end(deepdream(model, image, layer, control=control, guide=guide, seed=0), frames.append)
    return frames, result


@pytest.fixture(scope="module")
def cat(photo):
    return resize(photo("chelsea.png")[:, 50:350], (160, 128))


def test_dream_raises_the_layer_objective(lite0, cat):
    before = layer_objective(lite0, cat, "blocks.5")
    frames, result = _dream(lite0, cat, "blocks.5", steps=6, octaves=1, tile=0)
    after = layer_objective(lite0, result, "blocks.5")
    assert after > 1.5 * before
    values = [f.metrics["objective"] for f in frames[:-1]]
    assert values[-1] > values[0]
    assert result.shape == cat.shape and frames[-1].final


def test_octaves_grow_to_full_size_and_read_live_changes(lite0, cat):
    assert octave_sizes(128, 160, 3, 2.0) == [(32, 40), (64, 80), (128, 160)]
    assert octave_sizes(128, 160, 5, 2.0) == [(32, 40), (64, 80), (128, 160)]  # below 32 px: left out
    control = Control(DreamParams(steps=2, octaves=3, octave_scale=2.0, tile=0), emit_interval=None, emit_every=1)
    sizes = []
    for frame in deepdream(lite0, cat, "blocks.3", control=control):
        sizes.append(frame.image.shape[:2])
        if len(sizes) == 1:
            control.update(octave_scale=4.0)  # the middle octave goes away; the current one finishes
    assert sizes == [(32, 40), (32, 40), (128, 160), (128, 160), (128, 160)]


def test_octaves_too_small_to_dream_are_said(lite0, cat):
    """64 px with 4 octaves of 1.4: the smallest (23 px) is under 32 px, so 3 octaves run, and the frames say why."""
    small = resize(cat, (64, 64))
    frames, _ = _dream(lite0, small, "blocks.3", steps=1, octaves=4, octave_scale=1.4, tile=0)
    octaves = [f.info for f in frames[:-1]]
    assert [(o.index, o.of, o.skipped, o.asked) for o in octaves] == [(1, 3, 1, 4), (2, 3, 1, 4), (3, 3, 1, 4)]
    assert octaves[0].size == (33, 33) and frames[-1].step == 3
    assert octaves[0].describe() == "octave 1 of 3 (the smallest of 4 octaves, under 32 px, skipped)"
    assert frames[-1].extra["skipped"] == "the smallest of 4 octaves, under 32 px, skipped"
    assert skipped_note(2, 5) == "the 2 smallest of 5 octaves, under 32 px, skipped"
    frames, _ = _dream(lite0, small, "blocks.3", steps=1, octaves=2, tile=0)
    assert frames[0].info.describe() == "octave 1 of 2" and frames[-1].extra["skipped"] == ""


def test_cancelling_gives_a_full_size_result_and_lr_zero_freezes(lite0, cat):
    control = Control(DreamParams(steps=50, octaves=2, tile=0), emit_interval=None, emit_every=1)
    job = deepdream(lite0, cat, "blocks.3", control=control)
    a, b = next(job), next(job)
    control.update(lr=0.0)
    c, d = next(job), next(job)
    assert not np.array_equal(a.image, b.image) and np.array_equal(c.image, d.image)
    control.cancel()
    last, result = run_to_end(job)
    assert last.final and last.extra["cancelled"] and result.shape == cat.shape


def test_guided_dream_follows_the_guide(lite0, cat, photo):
    guide = photo("coffee.png")
    layer = "blocks.8"
    before = guide_objective(lite0, cat, layer, guide)
    _, guided = _dream(lite0, cat, layer, guide=guide, steps=6, octaves=1, tile=0)
    _, plain = _dream(lite0, cat, layer, steps=6, octaves=1, tile=0)
    gain_guided = guide_objective(lite0, guided, layer, guide) - before
    gain_plain = guide_objective(lite0, plain, layer, guide) - before
    assert gain_guided > 0 and gain_guided > 1.2 * gain_plain
    assert np.abs(guided.astype(int) - plain.astype(int)).mean() > 3.0


def test_tiles_with_context_give_the_whole_image_gradient(lite0, photo):
    x = lite0.preprocess(resize(photo("astronaut.png"), (256, 192)))
    assert tile_spans(300, 128, 32) == [(0, 32), (32, 160), (160, 288), (288, 300)]
    whole, v_whole, n_whole = tiled_gradient(lite0, x, "blocks.3", layer_l2, tile=0, overlap=0)
    margin = context_margin(lite0, "blocks.3")
    tiled, v_tiled, n_tiled = tiled_gradient(lite0, x, "blocks.3", layer_l2, tile=64, overlap=margin, offset=(32, 0))
    bare, _, _ = tiled_gradient(lite0, x, "blocks.3", layer_l2, tile=64, overlap=0)
    scale = whole.abs().mean()
    assert n_tiled == n_whole and float(v_tiled) == pytest.approx(float(v_whole), rel=1e-4)
    assert (tiled - whole).abs().mean() / scale < 1e-3
    assert (bare - whole).abs().mean() / scale > 0.05  # without context the tiles are wrong at their edges


def _border_ratios(original: np.ndarray, result: np.ndarray, period: int = 32) -> tuple[float, float]:
    """How the dream's change behaves on possible tile borders (every
    ``period`` px; tile edges are multiples of 32) compared with elsewhere:
    (mean |change| within 1 px of a border line / elsewhere,
     mean |spatial gradient of the change| across border lines / elsewhere)."""
    delta = result.astype(float).mean(axis=2) - original.astype(float).mean(axis=2)
    h, w = delta.shape
    band = np.zeros((h, w), bool)
    for c in range(period, w, period):
        band[:, c - 1 : c + 1] = True
    for r in range(period, h, period):
        band[r - 1 : r + 1, :] = True
    amplitude = np.abs(delta[band]).mean() / np.abs(delta[~band]).mean()
    dx, dy = np.abs(np.diff(delta, axis=1)), np.abs(np.diff(delta, axis=0))
    cols = np.zeros(w - 1, bool)
    cols[period - 1 :: period] = True
    rows = np.zeros(h - 1, bool)
    rows[period - 1 :: period] = True
    across = np.concatenate([dx[:, cols].ravel(), dy[rows].ravel()]).mean()
    along = np.concatenate([dx[:, ~cols].ravel(), dy[~rows].ravel()]).mean()
    return amplitude, across / along


def test_a_tiled_dream_shows_no_seams(lite0, photo):
    """Tile 128 with the layer's context margin and a random tile grid gives
    the whole-image dream; tiles without context leave visible seams (the
    change fades along the borders), which the same measure catches.  The
    whole-image dream is the reference because the network's own stride
    already marks every 16th pixel."""
    image = photo("chelsea.png")[:256, :384]
    common = dict(steps=2, octaves=1, jitter=0, lr=4.0)
    _, whole = _dream(lite0, image, "blocks.5", tile=0, **common)
    _, seamless = _dream(lite0, image, "blocks.5", tile=128, **common)
    _, seamed = _dream(lite0, image, "blocks.5", tile=128, overlap=0, **common)
    ref_amp, ref_grad = _border_ratios(image, whole)
    amp, grad = _border_ratios(image, seamless)
    assert amp / ref_amp == pytest.approx(1.0, abs=0.02) and grad / ref_grad == pytest.approx(1.0, abs=0.02)
    assert np.abs(seamless.astype(float) - whole).mean() < 0.5
    bad_amp, _ = _border_ratios(image, seamed)
    assert bad_amp / ref_amp < 0.96
    assert np.abs(seamed.astype(float) - whole).mean() > 1.0


def test_memory_stays_bounded_as_the_image_grows():
    """Peak memory measured in a fresh process (memprobe.py): 9x the pixels
    tiled costs only a few image-sized buffers more, and far less than the
    same image dreamed in one piece."""
    probe = Path(__file__).with_name("memprobe.py")
    out = subprocess.run([sys.executable, str(probe), "blocks.2", "256x192:192", "768x576:192", "768x576:0"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    small, large, untiled = [json.loads(line) for line in out.stdout.splitlines()]
    def need(r):
        return r["peak_mb"] - r["base_mb"]
    image_mb = 768 * 576 * 3 * 4 / 2**20  # one float copy of the large image
    assert need(large) - need(small) < 8 * image_mb, (small, large)
    assert need(large) < 0.4 * need(untiled), (large, untiled)
