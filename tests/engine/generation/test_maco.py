"""MACO (Fel et al. 2023): the image's Fourier magnitude is the natural one
measured on the shipped photos and stays fixed while only the phase is
optimised; the class score rises; the importance mask has the picture's
shape; seeded runs are byte-identical."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.generation import ClassVizParams, class_visualization
from engine.generation.colour import decorrelate
from engine.generation.natural_spectrum import SPECTRUM_PHOTOS, hann_window, natural_magnitude, photo_magnitude
from engine.generation.parameterizations import MacoImage, frequencies, make_parameterization
from engine.jobs import Control, run_to_end

MEAN = torch.full((1, 3, 1, 1), 127.0)
STD = torch.full((1, 3, 1, 1), 128.0)


def _interior(spectrum: torch.Tensor) -> torch.Tensor:
    """The bins a real image's spectrum holds freely (not the zero or Nyquist columns, which
    ``irfft2`` makes Hermitian)."""
    return spectrum[..., 1:-1]


def test_the_natural_magnitude_falls_with_frequency_like_photos():
    m = natural_magnitude(64, 48)
    assert m.shape == (3, 64, 25) and bool((m >= 0).all()) and bool(torch.isfinite(m).all())
    freq = frequencies(64, 48)
    low, high = m[:, (freq > 0) & (freq < 0.1)].mean(), m[:, freq > 0.4].mean()
    assert low > 5 * high  # natural images: about 1/f
    assert torch.equal(natural_magnitude(64, 48), m)  # measured once per size
    assert len(SPECTRUM_PHOTOS) >= 4


def _axis_excess(m: torch.Tensor) -> float:
    """The luminance channel's mean magnitude on the two axes of the spectrum (fx = 0 or fy = 0) over the
    mean magnitude of all bins at the same |f| (1: no cross)."""
    h, w = m.shape[-2], 2 * (m.shape[-1] - 1)
    rings = (frequencies(h, w) * max(h, w)).round().long().flatten()
    ring_mean = torch.zeros(int(rings.max()) + 1).index_add_(0, rings, m[0].flatten()) / torch.bincount(rings)
    ratio = m[0] / ring_mean[rings].view(m.shape[1:])
    return float(torch.cat([ratio[0, 1:], ratio[1:, 0]]).mean())


def test_the_natural_magnitude_has_no_cross_from_the_photos_edges():
    # unwindowed, the jump between a photo's opposite edges puts about twice the energy on the axes (1.98 at
    # 64 px, 2.95 at 224 px): pictures crossed by horizontal and vertical stripes; Hann-windowed 1.18
    assert _axis_excess(natural_magnitude(64, 64)) < 1.4
    window = hann_window(64, 48)
    assert window.shape == (64, 48) and float(window.pow(2).mean()) == pytest.approx(1.0, rel=1e-5)
    ramp = np.repeat(np.linspace(0, 255, 64)[None, :, None], 64, axis=0).repeat(3, axis=2).astype(np.uint8)
    assert _axis_excess(photo_magnitude(ramp)) < 0.5 * _axis_excess(torch.fft.rfft2(
        decorrelate(torch.from_numpy(ramp).permute(2, 0, 1)[None].float() / 255.0)[0], norm="ortho").abs())


def test_the_magnitude_stays_fixed_while_the_phase_is_optimised():
    g = torch.Generator().manual_seed(0)
    image = make_parameterization("maco", 32, 32, mean=MEAN, std=STD, generator=g)
    assert isinstance(image, MacoImage) and image.tensors[0] is image.phase
    fixed = image.magnitude[0].clone()

    def magnitude() -> torch.Tensor:
        d = image.decorrelated().detach() - image.level.detach()
        return torch.fft.rfft2(d, norm="ortho").abs()[0]

    assert torch.allclose(_interior(magnitude()), _interior(fixed), rtol=1e-4, atol=1e-4)
    optimizer = torch.optim.Adam(image.tensors, lr=0.1)
    target = torch.linspace(-1, 1, 32).view(1, 1, 1, 32)
    before = float((image.image().detach() * target).mean())
    for _ in range(30):
        optimizer.zero_grad()
        (-(image.image() * target).mean()).backward()
        optimizer.step()
    after = float((image.image().detach() * target).mean())
    assert after > before + 0.05  # the picture changed towards the objective ...
    assert torch.allclose(_interior(magnitude()), _interior(fixed), rtol=1e-4, atol=1e-4)  # ... its magnitude did not
    assert torch.equal(image.magnitude[0], fixed)


def test_a_maco_picture_assigned_back_is_the_same_picture():
    a = MacoImage(40, 40, mean=MEAN, std=STD, generator=torch.Generator().manual_seed(3))
    b = MacoImage(40, 40, mean=MEAN, std=STD, generator=torch.Generator().manual_seed(4))
    picture = a.image().detach()
    b.assign(picture)
    # close: only the zero and Nyquist columns, whose phases irfft2 makes Hermitian, differ
    corr = np.corrcoef(b.image().detach().flatten().numpy(), picture.flatten().numpy())[0, 1]
    assert corr > 0.95
    again = b.image().detach()
    b.assign(again)  # a picture made by the parameterisation comes back exactly
    assert torch.allclose(b.image().detach(), again, atol=1e-4)


def test_photo_magnitude_of_a_flat_photo_is_only_its_mean():
    flat = np.full((16, 16, 3), 90, np.uint8)
    m = photo_magnitude(flat)
    assert float(m[:, 0, 0].sum()) > 1.0 and float(m.flatten(1)[:, 1:].abs().max()) < 1e-4


@pytest.fixture(scope="module")
def maco_runs(lite0):
    def run(seed: int):
        frames = []
        control = Control(ClassVizParams.defaults("maco", steps=16, size=64, lr=0.1), emit_interval=None, emit_every=1)
        _, image = run_to_end(class_visualization(lite0, "goldfish", control=control, seed=seed), frames.append)
        return frames, image
    return run(5), run(5)


def test_maco_raises_the_class_score_with_an_importance_mask(maco_runs):
    (frames, image), _ = maco_runs
    scores = [f.metrics["objective"] for f in frames[:-1]]
    assert np.mean(scores[-3:]) > np.mean(scores[:3]) + 2.0
    mask = frames[-1].info.mask
    assert image.shape == (64, 64, 3) and mask.shape == (64, 64) and mask.dtype == np.float32
    assert float(mask.min()) >= 0.0 and float(mask.max()) == pytest.approx(1.0) and float(mask.std()) > 0.01


def test_seeded_maco_runs_are_byte_identical(maco_runs):
    (frames_a, a), (frames_b, b) = maco_runs
    assert a.tobytes() == b.tobytes()
    assert frames_a[-1].info.mask.tobytes() == frames_b[-1].info.mask.tobytes()
