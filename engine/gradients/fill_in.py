"""What removed pixels are replaced with when a map is tested by removing
pixels (the *fill-in*, also called substrate or imputation).

* ``black``: pixel value 0 (the model's lowest input);
* ``mean``: the dataset mean colour (the normalised zero; RISE's deletion
  substrate, Petsiuk et al. 2018);
* ``blur``: the image blurred with sigma = 4 % of its shorter side;
* ``noisy-linear``: *noisy linear imputation* (Rong, Leemann, Borisov,
  Kasneci & Kasneci, "A Consistent and Efficient Evaluation Strategy for
  Attribution Methods", ICML 2022, §4 "ROAD").  A removed pixel ``i`` takes
  the weighted mean of its eight neighbours ``j``,

      ``x_i = sum_j w_ij x_j / sum_j w_ij``,
      ``w = 1/6`` for the four direct neighbours, ``1/12`` for the diagonal ones,

  where neighbours that are themselves removed are unknowns of the same
  sparse linear system (solved once per mask for the three channels), so a
  removed region is filled smoothly from its border; then Gaussian noise of
  standard deviation ``noise * (x_max - x_min)`` (per channel, default 1 %
  of the input range) is added to the filled pixels only.  The paper shows
  that a constant fill-in leaks the *shape* of what was removed (the
  network classifies the mask), which imputation from the neighbourhood
  avoids.

All work in the model's normalised input space; a mask is ``True`` where a
pixel is removed (all three channels).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla
import torch

from ._common import blur_sigma, gaussian_blur

__all__ = ["FILL_INS", "FILL_TITLES", "NEIGHBOURS", "ROAD_NOISE", "check_fill", "fill_removed", "noisy_linear_impute"]

FILL_INS = ("black", "blur", "mean", "noisy-linear")
FILL_TITLES = {"black": "black", "blur": "blur", "mean": "mean colour", "noisy-linear": "noisy linear (ROAD)"}
#: (dy, dx, weight) of ROAD's imputation
NEIGHBOURS = tuple((dy, dx, 1 / 12 if dy and dx else 1 / 6) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx)
#: the noise of ROAD's imputation, as a fraction of the input range
ROAD_NOISE = 0.01


def check_fill(name: str) -> str:
    if name not in FILL_INS:
        raise ValueError(f"unknown fill-in (substrate) {name!r}; choose one of {', '.join(FILL_INS)}")
    return name


def _weights(removed: np.ndarray) -> sp.csr_matrix:
    """The system ``A x_removed = B x_all`` as one matrix over all pixels:
    row i (a removed pixel) holds ``sum_j w_ij`` at i and ``-w_ij`` at each neighbour j."""
    h, w = removed.shape
    index = np.arange(h * w).reshape(h, w)
    ys, xs = np.nonzero(removed)
    rows, cols, vals = [], [], []
    total = np.zeros(len(ys))
    for dy, dx, weight in NEIGHBOURS:
        ny, nx = ys + dy, xs + dx
        inside = (ny >= 0) & (ny < h) & (nx >= 0) & (nx < w)
        rows.append(np.nonzero(inside)[0])
        cols.append(index[ny[inside], nx[inside]])
        vals.append(np.full(inside.sum(), -weight))
        total += inside * weight
    rows = np.concatenate(rows + [np.arange(len(ys))])
    cols = np.concatenate(cols + [index[ys, xs]])
    vals = np.concatenate(vals + [total])
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(ys), h * w))


def noisy_linear_impute(image: torch.Tensor, removed: torch.Tensor, *, noise: torch.Tensor | float = 0.0,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """``image`` (C,H,W) with the pixels where ``removed`` (H,W) is true
    imputed from their neighbours (the system in the module docstring,
    solved in float64) plus ``noise`` (a float or a (C,1,1) tensor of
    standard deviations) times standard normal draws from ``generator``.
    Kept pixels are returned unchanged.  With every pixel removed nothing
    anchors the system: the image's mean colour is used."""
    mask = removed.detach().cpu().numpy().astype(bool)
    out = image.detach().clone()
    if not mask.any():
        return out
    c, h, w = image.shape
    flat = image.detach().cpu().double().reshape(c, h * w).numpy()
    if mask.all():
        filled = np.repeat(flat.mean(axis=1, keepdims=True), h * w, axis=1)
    else:
        system = _weights(mask)
        unknown = np.flatnonzero(mask)
        known = np.flatnonzero(~mask)
        a = system[:, unknown].tocsc()
        rhs = -(system[:, known] @ flat[:, known].T)  # (n_removed, C)
        filled = flat.copy()
        filled[:, unknown] = np.atleast_2d(spla.spsolve(a, rhs)).reshape(len(unknown), c).T
    result = torch.from_numpy(filled).to(image).reshape(c, h, w)
    m = removed.to(image.device).bool()
    draws = torch.randn((c, h, w), generator=generator, device="cpu").to(image)
    noise = torch.as_tensor(noise, dtype=image.dtype, device=image.device)
    out[:, m] = (result + noise * draws)[:, m]
    return out


def fill_removed(model, x: torch.Tensor, removed: torch.Tensor, fill: str, *, seed: int = 0,
                 control=None) -> torch.Tensor:
    """One normalised image ``x`` (1,3,H,W) with the pixels of each mask
    ``removed`` (B,1,H,W; true = removed) replaced by ``fill``: a (B,3,H,W)
    batch on ``x``'s device.  ``seed`` fixes the noise of ``noisy-linear``
    (the same draws for every mask of one call); with a
    :class:`~engine.jobs.Control`, a cancellation raises
    :class:`~engine.jobs.Cancelled` between two imputations."""
    check_fill(fill)
    m = removed.to(device=x.device, dtype=x.dtype)
    if fill == "noisy-linear":
        lo, hi = model.input_range
        sigma = (ROAD_NOISE * (hi - lo)).to(x.device).reshape(-1, 1, 1)
        out = []
        for mask in removed[:, 0]:
            if control is not None:
                control.raise_if_cancelled()
            gen = torch.Generator(device="cpu").manual_seed(int(seed))
            out.append(noisy_linear_impute(x[0], mask, noise=sigma, generator=gen))
        return torch.stack(out)
    if fill == "mean":
        base = torch.zeros_like(x)
    elif fill == "blur":
        base = gaussian_blur(x, blur_sigma(x))
    else:
        lo, _ = model.input_range
        base = lo.to(x.device).expand_as(x)
    return x * (1 - m) + base * m
