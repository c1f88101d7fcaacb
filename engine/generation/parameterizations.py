"""How a generated image is represented while it is optimised.

* :class:`PixelImage` -- the classic method: the optimised tensor *is* the
  normalised image (Simonyan et al. 2014; Mahendran & Vedaldi 2015).
* :class:`FourierImage` -- Lucid's parameterisation (Olah, Mordvintsev &
  Schubert, "Feature Visualization", Distill 2017; Mordvintsev et al.,
  "Differentiable Image Parameterizations", Distill 2018): the image is the
  inverse real FFT of a learned spectrum whose frequencies are scaled by
  ``1 / max(|f|, 1/max(H, W))^decay`` (so a gradient step changes low
  frequencies as much as high ones), in a *decorrelated* colour space mapped
  to RGB by the square root of ImageNet's colour correlation matrix, and
  squashed into 0..1 by a sigmoid::

      d = irfft2(scale * S) / 4          (per decorrelated channel, "ortho" norm)
      rgb = sigmoid(C_n d)               (C_n: colour matrix / its max column norm)
      x = (255 rgb - mean) / std         (the model's normalised input)

  Gradient steps on ``S`` then behave like steps in a whitened image space,
  which removes the high-frequency "adversarial noise" that plain pixels get.

  Two additions for natural-looking class visualizations (issue #15):

  * ``contrast`` (> 0): the variation of ``d`` around its per-channel mean is
    capped at that standard deviation (photos have about 1 to 3), so the
    optimiser can change *what* the image shows but not blow its contrast
    and saturation up without end (a magnitude constraint in the spirit of
    MACO, Fel et al. 2023, on the whole spectrum; the mean colour stays
    free).  0: free, as in Lucid.  A warm start keeps its own contrast when
    that is higher.
  * :meth:`FourierImage.low_pass_gradient`: only frequencies below a cutoff
    (cycles per pixel) are updated; a cutoff opened step by step is a
    multi-scale, coarse-to-fine optimisation (large shapes first, detail last).

Both offer ``tensors`` (what the optimiser updates), ``image()`` (the
normalised (1,3,H,W) image, differentiable), and ``assign(x)`` (set the
parameters so that ``image()`` equals a given image: warm start / Continue).
Each also owns how it is optimised, so a loop never asks which one it has:
``step_rule(std)`` (normalised pixel steps for pixels, Adam for the spectrum),
``follow(p)`` (live parameters read before a step: the Fourier image's
``contrast``), ``low_pass_gradient(cutoff)`` (coarse to fine; nothing for
pixels) and ``after_step(model, p, step)`` (the pixel loop's periodic blur and
clamp; nothing for the Fourier image, smooth and bounded by construction).
"""
from __future__ import annotations

import torch

from ..jobs import interrupt_here
from .colour import COLOR_CORRELATION_SQRT, colour_matrix, decorrelate
from .loop import AdamStep, NormalizedStep
from .natural_spectrum import natural_magnitude
from .transforms import gaussian_blur

__all__ = ["PixelImage", "FourierImage", "MacoImage", "frequencies", "COLOR_CORRELATION_SQRT", "make_parameterization",
           "PARAMETERIZATIONS", "PARAMETERIZATION_TITLES"]

PARAMETERIZATIONS = ("fourier", "maco", "pixels")
#: The same, with the titles the window shows.
PARAMETERIZATION_TITLES = (("fourier", "Fourier, decorrelated (Lucid)"),
                           ("maco", "MACO: phase only, natural magnitude (Fel et al.)"),
                           ("pixels", "Plain pixels (classic)"))


class PixelImage:
    """The image itself is the parameter (normalised model space)."""

    kind = "pixels"

    def __init__(self, x: torch.Tensor) -> None:
        self.x = x.detach().clone().float().requires_grad_(True)

    @property
    def tensors(self) -> list[torch.Tensor]:
        return [self.x]

    @property
    def size(self) -> tuple[int, int]:
        return tuple(self.x.shape[-2:])

    def image(self) -> torch.Tensor:
        return self.x

    @torch.no_grad()
    def assign(self, x: torch.Tensor) -> None:
        self.x.copy_(x)

    def step_rule(self, std: torch.Tensor) -> NormalizedStep:
        """The classic loop's step: normalised gradient steps of ``p.lr`` pixel units."""
        return NormalizedStep(self.tensors, std)

    def follow(self, p) -> None:
        """Nothing of the pixels follows the live parameters."""

    def low_pass_gradient(self, cutoff: float | None) -> None:
        """Pixels have no spectrum to open coarse to fine: the gradient stays as it is."""

    @torch.no_grad()
    def after_step(self, model, p, step: int) -> None:
        """Blur every ``p.blur_every`` steps (``p.blur_sigma``), then clamp to the valid pixel range."""
        if p.blur_every and (step + 1) % p.blur_every == 0 and p.blur_sigma > 0:
            self.x.copy_(gaussian_blur(self.x.detach(), p.blur_sigma))
        self.x.copy_(model.clamp(self.x))


def frequencies(height: int, width: int, device=None) -> torch.Tensor:
    """``|f|`` in cycles per pixel of each bin of a ``height`` x ``width`` real FFT, shape (H, W//2+1)."""
    fy = torch.fft.fftfreq(height, device=device).view(-1, 1)
    fx = torch.fft.rfftfreq(width, device=device).view(1, -1)
    return torch.sqrt(fx * fx + fy * fy)


class FourierImage:
    """Image = sigmoid(decorrelated colour (inverse FFT of a scaled spectrum)).

    ``mean``/``std`` are the model's per-channel pixel statistics, shape
    (1,3,1,1), so that :meth:`image` returns the model's normalised input.
    """

    kind = "fourier"

    def __init__(
        self,
        height: int,
        width: int,
        *,
        mean: torch.Tensor,
        std: torch.Tensor,
        generator: torch.Generator | None = None,
        sd: float = 0.01,
        decay: float = 1.0,
        contrast: float = 0.0,
    ) -> None:
        device = mean.device
        self.h, self.w = int(height), int(width)
        self.mean, self.std = mean, std
        self.contrast = float(contrast)
        self.contrast_floor = 0.0  # a warm start's own contrast
        freq = frequencies(self.h, self.w, device)
        self.freq = freq.view(1, 1, self.h, -1, 1)
        self.scale = (1.0 / torch.clamp(freq, min=1.0 / max(self.h, self.w)) ** decay).view(1, 1, self.h, -1, 1)
        shape = (1, 3, self.h, self.w // 2 + 1, 2)
        noise = torch.randn(shape, generator=generator, dtype=torch.float32) * sd
        self.spectrum = noise.to(device).requires_grad_(True)
        self.color = colour_matrix(device)

    @property
    def tensors(self) -> list[torch.Tensor]:
        return [self.spectrum]

    @property
    def size(self) -> tuple[int, int]:
        return self.h, self.w

    def rgb01(self) -> torch.Tensor:
        """The image as RGB in 0..1, shape (1,3,H,W)."""
        return torch.sigmoid(interrupt_here(torch.einsum("ij,njhw->nihw", self.color, self.decorrelated())))

    def decorrelated(self) -> torch.Tensor:
        """``d``: the image in the decorrelated colour space, before the sigmoid
        (its variation capped at ``contrast``)."""
        spectrum = torch.view_as_complex(self.spectrum * self.scale)
        decorrelated = interrupt_here(torch.fft.irfft2(spectrum, s=(self.h, self.w), norm="ortho") / 4.0)
        contrast = max(self.contrast, self.contrast_floor) if self.contrast > 0 else 0.0
        if contrast > 0:
            level = decorrelated.mean(dim=(-2, -1), keepdim=True)
            variation = decorrelated - level
            decorrelated = level + variation * torch.clamp(contrast / (variation.std() + 1e-8), max=1.0)
        return decorrelated

    def image(self) -> torch.Tensor:
        return (255.0 * self.rgb01() - self.mean) / self.std

    def step_rule(self, std: torch.Tensor) -> AdamStep:
        """Adam on the spectrum, as Lucid optimises it (``std`` is not needed)."""
        return AdamStep(self.tensors)

    def follow(self, p) -> None:
        """The contrast cap is live: read ``p.contrast`` before each step."""
        self.contrast = p.contrast

    def after_step(self, model, p, step: int) -> None:
        """Nothing to clean up: the image is smooth and bounded by construction."""

    @torch.no_grad()
    def low_pass_gradient(self, cutoff: float | None) -> None:
        """Keep the spectrum's gradient only below ``cutoff`` cycles per pixel
        (a soft edge about 1/64 wide); ``None``: all of it."""
        grad = self.tensors[0].grad
        if cutoff is not None and grad is not None:
            grad.mul_(torch.sigmoid((cutoff - self.freq) * 64.0))

    @torch.no_grad()
    def assign(self, x: torch.Tensor) -> None:
        """Invert the parameterisation (pixels are clipped to 0.1%..99.9% so the
        inverse sigmoid stays finite)."""
        if tuple(x.shape[-2:]) != (self.h, self.w):
            raise ValueError(f"cannot assign a {x.shape[-1]}x{x.shape[-2]} image to a {self.w}x{self.h} parameterisation")
        decorrelated = decorrelate((x * self.std + self.mean) / 255.0)
        self.contrast_floor = float((decorrelated - decorrelated.mean(dim=(-2, -1), keepdim=True)).std())
        spectrum = torch.fft.rfft2(decorrelated * 4.0, norm="ortho")
        self.spectrum.copy_(torch.view_as_real(spectrum) / self.scale)


class MacoImage(FourierImage):
    """MACO (Fel et al., "Unlocking Feature Visualization for Deeper Networks
    with MAgnitude Constrained Optimization", NeurIPS 2023): the decorrelated
    image's spectrum has the fixed magnitude of natural photos
    (:func:`.natural_spectrum.natural_magnitude`) and only its *phase* is
    optimised, with the mean colour (the spectrum's zero frequency, left free
    as in :class:`FourierImage`'s contrast cap)::

        d = level + irfft2(|F_natural| * exp(i phase))    ("ortho" norm)
        rgb = sigmoid(C_n d)

    The picture keeps a photo's contrast and distribution of detail over
    scales however hard the network pushes, so it stays natural-looking where
    a free spectrum turns to saturated noise.  Adam on the phase (radians).
    """

    kind = "maco"

    def __init__(self, height: int, width: int, *, mean: torch.Tensor, std: torch.Tensor,
                 generator: torch.Generator | None = None) -> None:
        device = mean.device
        self.h, self.w = int(height), int(width)
        self.mean, self.std = mean, std
        self.color = colour_matrix(device)
        self.freq = frequencies(self.h, self.w, device)
        magnitude = natural_magnitude(self.h, self.w).clone()
        magnitude[:, 0, 0] = 0.0  # the mean colour is `level`
        self.magnitude = magnitude[None].to(device)
        phase = (torch.rand(self.magnitude.shape, generator=generator) * 2.0 - 1.0) * torch.pi
        self.phase = phase.to(device).requires_grad_(True)
        self.level = torch.zeros((1, 3, 1, 1), device=device, requires_grad=True)

    @property
    def tensors(self) -> list[torch.Tensor]:
        return [self.phase, self.level]

    def decorrelated(self) -> torch.Tensor:
        spectrum = torch.polar(self.magnitude, self.phase)
        return self.level + interrupt_here(torch.fft.irfft2(spectrum, s=(self.h, self.w), norm="ortho"))

    def follow(self, p) -> None:
        """Nothing is live: the magnitude is fixed."""

    @torch.no_grad()
    def assign(self, x: torch.Tensor) -> None:
        """The phase and mean colour of ``x`` (a MACO picture comes back as it
        was; a photo keeps its shapes, which live in the phase, with the
        natural magnitude)."""
        if tuple(x.shape[-2:]) != (self.h, self.w):
            raise ValueError(f"cannot assign a {x.shape[-1]}x{x.shape[-2]} image to a {self.w}x{self.h} parameterisation")
        decorrelated = decorrelate((x * self.std + self.mean) / 255.0)
        self.level.copy_(decorrelated.mean(dim=(-2, -1), keepdim=True))
        self.phase.copy_(torch.angle(torch.fft.rfft2(decorrelated - self.level, norm="ortho")))


def make_parameterization(
    kind: str,
    height: int,
    width: int,
    *,
    mean: torch.Tensor,
    std: torch.Tensor,
    generator: torch.Generator,
    init: torch.Tensor | None = None,
    noise_pixels: float = 10.0,
    decay: float = 1.0,
    contrast: float = 0.0,
) -> PixelImage | FourierImage | MacoImage:
    """A parameterisation of a ``width`` x ``height`` image on ``mean``'s
    device: from ``init`` (normalised (1,3,H,W)) when given, else from seeded
    noise (grey plus Gaussian noise of ``noise_pixels`` pixel units for
    ``pixels``; Lucid's small random spectrum for ``fourier``, whose
    frequency scaling exponent is ``decay``, its ``contrast`` as in
    :class:`FourierImage`)."""
    if kind == "fourier":
        param = FourierImage(height, width, mean=mean, std=std, generator=generator, decay=decay, contrast=contrast)
    elif kind == "maco":
        param = MacoImage(height, width, mean=mean, std=std, generator=generator)
    elif kind == "pixels":
        noise = torch.randn((1, 3, height, width), generator=generator, dtype=torch.float32).to(mean.device)
        param = PixelImage((127.5 + noise_pixels * noise - mean) / std)
    else:
        raise ValueError(f"unknown parameterisation {kind!r}; choose one of {', '.join(PARAMETERIZATIONS)}")
    if init is not None:
        param.assign(init.to(mean.device))
    return param
