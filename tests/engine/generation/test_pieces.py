"""The composable pieces of image generation, checked against exact numbers:
parameter validation, regularisers, transforms, parameterisations, the guided
objective, the loop's live parameters, and animation export."""
from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch
from PIL import Image

from engine.generation import ClassVizParams, DreamParams, InversionParams
from engine.generation.export import (
    ExportError,
    FrameRecorder,
    export_animation,
    export_gif,
    export_mp4,
    export_png_sequence,
    mp4_available,
)
from engine.generation.loop import AdamStep, NormalizedStep, optimize
from engine.generation.objectives import GuidedDot, feature_distance, layer_l2
from engine.generation.parameterizations import FourierImage, make_parameterization
from engine.generation.regularizers import l2_penalty, total_variation
from engine.generation.transforms import gaussian_blur, jitter, pad, robust_view, scale_rotate
from engine.imaging import read_png_params
from engine.jobs import Control, run_to_end

MEAN = torch.full((1, 3, 1, 1), 127.0)
STD = torch.full((1, 3, 1, 1), 128.0)


# -- parameters -------------------------------------------------------------
@pytest.mark.parametrize("cls, change", [
    (ClassVizParams, {"lr": float("nan")}), (ClassVizParams, {"steps": -1}), (ClassVizParams, {"l2": -0.1}),
    (ClassVizParams, {"parameterization": "wavelets"}), (ClassVizParams, {"size": 10**6}),
    (ClassVizParams, {"jitter": 2.5}), (ClassVizParams, {"blur_sigma": float("inf")}),
    (InversionParams, {"tv": -1.0}), (InversionParams, {"lr": "fast"}),
    (DreamParams, {"octave_scale": 1.0}), (DreamParams, {"octaves": 0}), (DreamParams, {"tile": 20}),
    (DreamParams, {"lr": True}), (DreamParams, {"overlap": -2}),
])
def test_bad_parameters_are_refused_with_the_name(cls, change):
    name = next(iter(change))
    with pytest.raises(ValueError, match=name):
        cls(**change)


def test_control_update_refuses_bad_values_and_keeps_the_snapshot():
    control = Control(DreamParams())
    with pytest.raises(ValueError, match="lr"):
        control.update(lr=-1.0)
    with pytest.raises(ValueError, match="unknown"):
        control.update(learning_rate=1.0)
    assert control.params == DreamParams()
    assert control.update(lr=3.0, octaves=2).lr == 3.0


def test_integral_floats_become_ints():
    assert DreamParams(steps=5.0).steps == 5 and isinstance(DreamParams(steps=5.0).steps, int)


# -- regularisers -------------------------------------------------------------
def test_total_variation_and_l2_exact_values():
    x = torch.zeros(1, 3, 4, 4)
    assert total_variation(x) == 0
    x[..., :, 2:] = 1.0  # a vertical edge: one column of the 3x3 interior grid has dx = 1
    assert total_variation(x).item() == pytest.approx(1 / 3)
    assert total_variation(x, beta=1.0).item() == pytest.approx(1 / 3, rel=1e-3)
    assert l2_penalty(torch.full((1, 3, 2, 2), 2.0)).item() == pytest.approx(4.0)


# -- transforms ---------------------------------------------------------------
def test_jitter_gradient_is_rolled_back():
    x = torch.randn(1, 3, 8, 8, requires_grad=True)
    w = torch.randn(1, 3, 8, 8)
    rng = random.Random(3)
    view = jitter(x, 3, rng)
    (view * w).sum().backward()
    shift = [(dy, dx) for dy in range(-3, 4) for dx in range(-3, 4) if torch.equal(torch.roll(x.detach(), (dy, dx), (-2,
                                                                                                                     -1)), view.detach())]  # noqa: E501
    assert shift, "the view is a roll of the image"
    dy, dx = shift[0]
    assert torch.allclose(x.grad, torch.roll(w, (-dy, -dx), (-2, -1)))


def test_scale_rotate_identity_and_quarter_turn():
    x = torch.randn(1, 3, 16, 16)
    assert torch.allclose(scale_rotate(x, 1.0, 0.0), x)
    turned = scale_rotate(x, 1.0, 90.0)
    expect = torch.rot90(x, k=1, dims=(-2, -1))
    assert torch.allclose(turned, expect, atol=1e-4) or torch.allclose(turned, torch.rot90(x, k=-1, dims=(-2, -1)), atol=1e-4)


def test_pad_fills_with_grey_and_robust_view_keeps_size():
    fill = torch.tensor([0.1, 0.2, 0.3]).view(1, 3, 1, 1)
    out = pad(torch.zeros(1, 3, 4, 4), 2, fill)
    assert out.shape[-2:] == (8, 8)
    assert torch.allclose(out[0, :, 0, 0], fill.flatten()) and torch.all(out[..., 2:6, 2:6] == 0)
    view = robust_view(torch.zeros(1, 3, 32, 32), random.Random(0), pad_width=4, jitter_px=3, scale=0.1, degrees=10, fill=fill)
    assert view.shape[-2:] == (40, 40)


def test_gaussian_blur_keeps_constants_and_smooths_noise():
    flat = torch.full((1, 3, 20, 20), 0.7)
    assert torch.allclose(gaussian_blur(flat, 1.0), flat)
    noise = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    blurred = gaussian_blur(noise, 1.0)
    # white noise blurred by a Gaussian of sigma s keeps ~1/(4 pi s^2) of its variance
    assert blurred.var().item() == pytest.approx(1 / (4 * math.pi), rel=0.25)
    assert gaussian_blur(torch.randn(1, 3, 3, 3), 5.0).shape == (1, 3, 3, 3)  # radius beyond the image


# -- parameterisations ----------------------------------------------------------
def test_fourier_image_is_valid_and_assign_inverts_it():
    g = torch.Generator().manual_seed(0)
    f = FourierImage(24, 40, mean=MEAN, std=STD, generator=g)
    x = f.image()
    lo, hi = (0 - 127) / 128, (255 - 127) / 128
    assert x.shape == (1, 3, 24, 40) and x.min() >= lo and x.max() <= hi
    target = (torch.rand(1, 3, 24, 40, generator=g) * 200 + 20 - MEAN) / STD
    f.assign(target)
    assert torch.allclose(f.image(), target, atol=1e-3)
    f.image().sum().backward()
    assert f.spectrum.grad is not None and torch.isfinite(f.spectrum.grad).all()


def test_pixel_parameterization_and_unknown_kind():
    g = torch.Generator().manual_seed(0)
    p = make_parameterization("pixels", 8, 8, mean=MEAN, std=STD, generator=g)
    assert p.image().requires_grad and p.image().shape == (1, 3, 8, 8)
    with pytest.raises(ValueError, match="unknown parameterisation"):
        make_parameterization("wavelets", 8, 8, mean=MEAN, std=STD, generator=g)


# -- objectives -------------------------------------------------------------------
def test_guided_dot_matches_brute_force_and_its_gradient_is_the_guide_vector():
    g = torch.Generator().manual_seed(1)
    guide = torch.randn(1, 5, 3, 4, generator=g)
    feats = torch.randn(1, 5, 2, 3, generator=g, requires_grad=True)
    obj = GuidedDot(guide)
    value = obj(feats)
    a = feats.detach()[0].reshape(5, -1).T
    G = guide[0].reshape(5, -1)
    sims = a @ G
    assert value.item() == pytest.approx(sims.max(dim=1).values.sum().item(), rel=1e-5)
    value.backward()
    best = sims.argmax(dim=1)
    assert torch.allclose(feats.grad[0].reshape(5, -1), G[:, best])
    with pytest.raises(ValueError, match="channels"):
        obj(torch.randn(1, 4, 2, 2))


def test_layer_l2_gradient_is_the_activation_and_distance_is_relative():
    a = torch.randn(1, 4, 3, 3, requires_grad=True)
    layer_l2(a).backward()
    assert torch.allclose(a.grad, a.detach())
    t = torch.ones(1, 2, 2, 2)
    assert feature_distance(t * 2, t).item() == pytest.approx(1.0)


# -- the loop ----------------------------------------------------------------------
def test_a_control_update_takes_effect_on_the_next_step():
    """NormalizedStep moves pixels by lr (pixel units) on average: change lr
    between steps and the very next step's size follows."""
    x = torch.zeros(1, 3, 4, 4, requires_grad=True)
    target = torch.randn(1, 3, 4, 4, generator=torch.Generator().manual_seed(0)) * 100

    def gradient(p, step):
        ((x - target) ** 2).sum().backward()
        return {"loss": ((x - target) ** 2).sum().detach()}

    control = Control(DreamParams(steps=5, lr=1.0), emit_interval=None, emit_every=1)
    history = []
    job = optimize(tensors=[x], gradient=gradient, rule=NormalizedStep([x], STD), control=control,
                   steps=lambda p: p.steps, render=lambda: x.detach().clone())
    previous = x.detach().clone()
    for i, frame in enumerate(job):
        history.append(((frame.image - previous).abs().mean() * 128).item())
        previous = frame.image
        if i == 1:
            control.update(lr=4.0)
        if i == 2:
            control.update(steps=4)
    assert history[:2] == pytest.approx([1.0, 1.0], rel=1e-4)
    assert history[2:] == pytest.approx([4.0, 4.0], rel=1e-4)
    assert len(history) == 4


def test_the_loop_hands_back_the_picture_of_its_last_state_only_when_nothing_changed_after_it():
    """A job that ends (a Stop at 1024 px) reuses the last picture instead of drawing it again, but
    never a picture of an earlier state."""
    x = torch.zeros(1, 3, 4, 4, requires_grad=True)
    drawn = []

    def render():
        drawn.append(x.detach().clone())
        return drawn[-1]

    def gradient(p, step):
        x.sum().backward()
        return {}

    def run(emit_every, steps, start=None):
        control = Control(DreamParams(steps=steps, lr=1.0), emit_interval=None, emit_every=emit_every)
        result = run_to_end(optimize(tensors=[x], gradient=gradient, rule=NormalizedStep([x], STD), control=control,
                                     steps=lambda p: p.steps, render=render, start_image=start))[1]
        return result

    result = run(emit_every=1, steps=3)
    assert result.image is drawn[-1] and len(drawn) == 3 and torch.equal(result.image, x.detach())
    result = run(emit_every=2, steps=2)              # step 2 updated x after the last picture: none
    assert result.image is None
    start = render()
    result = run(emit_every=1, steps=0, start=start)  # stopped before any update: the starting picture
    assert result.image is start


def test_adam_step_reads_the_learning_rate_each_step():
    x = torch.zeros(3, requires_grad=True)
    rule = AdamStep([x])
    x.grad = torch.ones(3)
    rule.step(ClassVizParams(lr=0.5))
    assert torch.allclose(x.detach(), torch.full((3,), -0.5), atol=1e-6)  # Adam's first step is lr * sign
    x.grad = torch.ones(3)
    rule.step(ClassVizParams(lr=0.0))
    assert torch.allclose(x.detach(), torch.full((3,), -0.5), atol=1e-6)


def test_cancel_stops_at_the_next_step():
    x = torch.zeros(1, requires_grad=True)

    def gradient(p, step):
        x.grad = torch.ones(1)
        return {}

    control = Control(ClassVizParams(steps=100), emit_interval=None, emit_every=1)
    job = optimize(tensors=[x], gradient=gradient, rule=AdamStep([x]), control=control,
                   steps=lambda p: p.steps, render=lambda: None)
    next(job)
    control.cancel()
    last, result = run_to_end(job)
    assert result.cancelled and result.steps == 1 and last is None


# -- export --------------------------------------------------------------------------
def _frames(n=5):
    return [np.full((20 + 4 * i, 30, 3), (25 * i) % 256, np.uint8) for i in range(n)]


def test_gif_has_every_frame_at_the_last_size(tmp_path):
    path = export_gif(_frames(), tmp_path / "run.gif", fps=5)
    with Image.open(path) as im:
        assert im.n_frames == 5 and im.size == (30, 36)
        assert im.info["duration"] == 200
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_png_sequence_and_bad_exports(tmp_path):
    paths = export_png_sequence(_frames(3), tmp_path / "seq", params={"mode": "dream"})
    assert [p.name for p in paths] == ["frame_0001.png", "frame_0002.png", "frame_0003.png"]
    assert read_png_params(paths[0]) == {"mode": "dream"}
    with pytest.raises(ExportError, match="no frames"):
        export_gif([], tmp_path / "x.gif")
    with pytest.raises(ExportError, match="unknown animation type"):
        export_animation(_frames(), tmp_path / "x.avi")
    with pytest.raises(ExportError, match="does not exist"):
        export_gif(_frames(), tmp_path / "missing" / "x.gif")
    with pytest.raises(ExportError, match="frames per second"):
        export_gif(_frames(), tmp_path / "x.gif", fps=0)


@pytest.mark.skipif(not mp4_available(), reason="imageio-ffmpeg is not installed")
def test_mp4_is_written(tmp_path):
    path = export_mp4(_frames(8), tmp_path / "run.mp4", fps=8)
    data = path.read_bytes()
    assert len(data) > 500 and data[4:8] == b"ftyp"


def test_frame_recorder_stays_bounded_and_spread():
    rec = FrameRecorder(max_frames=10, max_side=16)
    for i in range(100):
        rec.add(np.full((32, 64, 3), i, np.uint8))
    assert 5 <= len(rec) <= 10
    assert rec.frames[0].shape == (8, 16, 3)
    values = [int(f[0, 0, 0]) for f in rec.frames]
    assert values[0] == 0 and values[-1] >= 80
