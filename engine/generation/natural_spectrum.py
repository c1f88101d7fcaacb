"""The magnitude spectrum of natural images, for MACO (Fel et al., "Unlocking
Feature Visualization for Deeper Networks with MAgnitude Constrained
Optimization", NeurIPS 2023).

MACO keeps a generated image's Fourier magnitude fixed to that of natural
photos and optimises only the phase.  Its reference code downloads a
spectrum averaged over ImageNet; here it is measured, when first needed for
a size, from the colour photos that ship with the application
(``resources/samples/``: :data:`SPECTRUM_PHOTOS`, public domain or CC0 --
sources and licences in ``resources/samples/LICENSE.txt``; nothing is
downloaded).  Each photo contributes five square-ish crops (the centre at
full height and the four corners at 3/4 of it), resized to the requested
size, taken to Lucid's decorrelated colour space (the space the image is
made in, :mod:`.colour`), and the magnitudes of their orthonormal 2-D real
FFTs are averaged per colour channel.  Each crop's variation is multiplied
by a Hann window (scaled to keep its energy) before the FFT: without it the
jump between a photo's opposite edges (the FFT sees the photo as periodic)
puts about three times the energy of the neighbouring frequencies on the
two axes of the spectrum, and a picture with that magnitude is crossed by
horizontal and vertical stripes -- a "window screen" texture (issue #28).
The averages are then symmetrised (a vertical flip of
a photo is as natural as the photo), so no single photo's edges or stripes
dominate.  The result is on the photos' own scale: an image with this
magnitude has a photo's contrast.
"""
from __future__ import annotations

import functools

import numpy as np
import torch

from ..imaging import load_image, resize
from ..resources import resource_path
from .colour import decorrelate

__all__ = ["SPECTRUM_PHOTOS", "hann_window", "natural_magnitude", "photo_magnitude"]

#: The shipped photos the spectrum is measured on (scenes; not the grey
#: ``camera.jpg``, the near-black deep field or the retina's disc).
SPECTRUM_PHOTOS = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg")


def _crops(photo: np.ndarray, height: int, width: int) -> list[np.ndarray]:
    """Five crops with the aspect of ``height`` x ``width``: the largest centred one and four
    corner ones at 3/4 of its side, each resized to ``height`` x ``width``."""
    h, w = photo.shape[:2]
    ch, cw = (h, round(h * width / height)) if h * width <= w * height else (round(w * height / width), w)
    boxes = [((h - ch) // 2, (w - cw) // 2, ch, cw)]
    sh, sw = (3 * ch) // 4, (3 * cw) // 4
    boxes += [(top, left, sh, sw) for top in ((h - ch) // 2, (h + ch) // 2 - sh)
              for left in ((w - cw) // 2, (w + cw) // 2 - sw)]
    return [resize(photo[t:t + bh, s:s + bw], (width, height)) for t, s, bh, bw in boxes]


@functools.lru_cache(maxsize=8)
def hann_window(height: int, width: int) -> torch.Tensor:
    """The 2-D Hann window, scaled to a mean square of 1 (a windowed signal keeps its energy on average)."""
    window = torch.outer(torch.hann_window(height, periodic=False, dtype=torch.float64),
                         torch.hann_window(width, periodic=False, dtype=torch.float64))
    return (window / window.pow(2).mean().sqrt()).float()


def photo_magnitude(photo: np.ndarray) -> torch.Tensor:
    """``|rfft2(d)|`` (orthonormal) of one uint8 HxWx3 photo in the decorrelated colour space,
    its variation Hann-windowed (:func:`hann_window`), its mean kept in the zero frequency;
    shape (3, H, W//2+1)."""
    rgb = torch.from_numpy(np.array(photo, dtype=np.uint8)).permute(2, 0, 1)[None].float() / 255.0
    d = decorrelate(rgb)[0]
    level = d.mean(dim=(-2, -1), keepdim=True)
    spectrum = torch.fft.rfft2((d - level) * hann_window(*d.shape[-2:]), norm="ortho")
    spectrum[:, 0, 0] = level.flatten() * float(np.sqrt(d.shape[-2] * d.shape[-1]))
    return spectrum.abs()


@functools.lru_cache(maxsize=8)
def natural_magnitude(height: int, width: int) -> torch.Tensor:
    """The mean magnitude spectrum of the shipped photos at ``height`` x ``width``
    (float32, shape (3, height, width//2+1), on the CPU).  ``FileNotFoundError``
    naming the folder when a photo is missing."""
    spectra = []
    for name in SPECTRUM_PHOTOS:
        path = resource_path("samples", name)
        if not path.is_file():
            raise FileNotFoundError(f"MACO needs the sample photo {path} (its natural magnitude spectrum is "
                                    f"measured on {', '.join(SPECTRUM_PHOTOS)}); reinstall Neural Lens")
        spectra += [photo_magnitude(crop) for crop in _crops(load_image(path), height, width)]
    mean = torch.stack(spectra).mean(dim=0)
    flipped = torch.roll(torch.flip(mean, dims=(1,)), 1, dims=1)  # row k -> row -k (mod height)
    return (0.5 * (mean + flipped)).contiguous()
