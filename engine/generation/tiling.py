"""Layer-objective gradients of arbitrarily large images, tile by tile.

For a layer objective that is a sum over feature positions,
``J(x) = sum_i j(a_i(x))`` (DeepDream's ``0.5 ||a||^2``, the guided dot
product), the gradient splits exactly over any partition of the positions::

    dJ/dx = sum_tiles d/dx  sum_{i in core(tile)} j(a_i(x))

Each tile's *core* features are computed from the core plus an ``overlap``
margin of context on every side (clipped at the image border), and the
gradient of the whole extended tile is added into one image-sized buffer.
When the margin covers the receptive field that matters, the result equals the
whole-image gradient, so no seams appear; a random offset of the tile grid at
every step (as google/deepdream's ``calc_grad_tiled`` shifts the image)
moves whatever error remains.  Memory is one image-sized gradient plus the
activations of one extended tile, whatever the image size.

Tile edges and margins are multiples of :data:`ALIGN` pixels (the largest total
stride of the supported networks), and a tile cut short by the image border is
padded (replicating its edge) to a multiple of it, so every tile's feature
grid lines up with the others (TensorFlow "SAME" padding shifts the grid of
odd-sized maps) and each feature position belongs to exactly one core.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
import torch.nn.functional as F

__all__ = ["ALIGN", "layer_stride", "context_margin", "tile_spans", "tiled_gradient"]

ALIGN = 32


def _round_up(value: int, multiple: int) -> int:
    return int(math.ceil(value / multiple)) * multiple


@torch.no_grad()
def layer_stride(model, layer: str) -> int:
    """Total stride of ``layer`` (input pixels per feature position), measured
    with one small forward pass."""
    side = 4 * ALIGN
    probe = torch.zeros((1, 3, side, side), device=model.device)
    features = model.features(probe, layer)
    return max(1, int(round(side / features.shape[-1])))


def context_margin(model, layer: str, mass: float = 0.99, seed: int = 0) -> int:
    """The context a tile needs for ``layer``: the half-width (rounded up to
    :data:`ALIGN`) of the square around a feature position that holds
    ``mass`` of the input gradient of that position's activations, measured
    on seeded noise images of 128, 256 and then 512 pixels until the square
    fits well inside (small probes for shallow layers keep this cheap)."""
    radius = 256
    for probe in (128, 256, 512):
        radius = _gradient_radius(model, layer, mass, probe, seed)
        if radius is not None and radius <= probe // 4:
            break
    return _round_up(radius if radius is not None else 256, ALIGN)


def _gradient_radius(model, layer: str, mass: float, probe: int, seed: int) -> int | None:
    generator = torch.Generator().manual_seed(seed)
    noise = torch.rand((1, 3, probe, probe), generator=generator).to(model.device) * 255.0
    with torch.enable_grad():
        x = model.from_pixels(noise).requires_grad_(True)
        features = model.features(x, layer)
        fh, fw = features.shape[-2:]
        value = features[0, :, fh // 2, fw // 2].pow(2).sum()
        (g,) = torch.autograd.grad(value, x)
    weight = g.detach().abs().sum(dim=(0, 1))
    stride = probe / fh
    cy, cx = int((fh // 2 + 0.5) * stride), int((fw // 2 + 0.5) * stride)
    total = float(weight.sum())
    if total <= 0:
        return 8
    for r in range(8, probe // 2 + 1, 8):
        window = weight[max(0, cy - r) : cy + r, max(0, cx - r) : cx + r]
        if float(window.sum()) >= mass * total:
            return r
    return None


def tile_spans(length: int, tile: int, offset: int = 0) -> list[tuple[int, int]]:
    """Core intervals ``[start, end)`` covering ``0..length``: edges at
    ``offset + k * tile`` (clipped), so ``offset`` moves the grid."""
    if tile <= 0 or tile >= length:
        return [(0, length)]
    offset = offset % tile
    edges = [0] + list(range(offset if offset else tile, length, tile)) + [length]
    edges = sorted(set(edges))
    return [(a, b) for a, b in zip(edges[:-1], edges[1:]) if b > a]


def _tiles(h: int, w: int, tile: int, offset: tuple[int, int]) -> Iterator[tuple[int, int, int, int]]:
    for y0, y1 in tile_spans(h, tile, offset[0]):
        for x0, x1 in tile_spans(w, tile, offset[1]):
            yield y0, y1, x0, x1


def tiled_gradient(
    model,
    x: torch.Tensor,
    layer: str,
    objective: Callable[[torch.Tensor], torch.Tensor],
    *,
    tile: int,
    overlap: int,
    offset: tuple[int, int] = (0, 0),
    stride: int | None = None,
    with_grad: bool = True,
) -> tuple[torch.Tensor | None, torch.Tensor, int]:
    """Gradient of ``objective(features of layer)`` with respect to ``x``
    (1,3,H,W), computed over tiles of ``tile`` pixels (0: the whole image at
    once) with ``overlap`` pixels of context.

    ``tile``, ``overlap`` and ``offset`` are rounded up to multiples of
    :data:`ALIGN`.  Returns ``(grad, value, positions)``: the gradient (None
    when ``with_grad`` is false), the objective summed over all positions
    (a detached 0-dim tensor) and the number of positions.
    """
    h, w = x.shape[-2:]
    stride = stride or layer_stride(model, layer)
    if tile > 0:
        tile = _round_up(tile, ALIGN)
        overlap = _round_up(max(0, overlap), ALIGN)
        offset = (_round_up(offset[0] % tile, ALIGN) % tile, _round_up(offset[1] % tile, ALIGN) % tile)
    grad = torch.zeros_like(x) if with_grad else None
    total = x.new_zeros(())
    count = 0
    for y0, y1, x0, x1 in _tiles(h, w, tile, offset):
        if tile > 0:
            ey0, ey1, ex0, ex1 = max(0, y0 - overlap), min(h, y1 + overlap), max(0, x0 - overlap), min(w, x1 + overlap)
        else:
            ey0, ey1, ex0, ex1 = 0, h, 0, w
        piece = x[..., ey0:ey1, ex0:ex1].detach().clone().requires_grad_(with_grad)
        with torch.set_grad_enabled(with_grad):
            view = piece
            if tile > 0:  # same feature grid in every tile: pad to a multiple of ALIGN
                ph, pw = _round_up(ey1 - ey0, ALIGN) - (ey1 - ey0), _round_up(ex1 - ex0, ALIGN) - (ex1 - ex0)
                if ph or pw:
                    view = F.pad(piece, (0, pw, 0, ph), mode="replicate")
            features = model.features(view, layer)
            fh, fw = features.shape[-2:]
            r0, c0 = (y0 - ey0) // stride, (x0 - ex0) // stride
            r1 = min(fh, -(-(y1 - ey0) // stride))
            c1 = min(fw, -(-(x1 - ex0) // stride))
            core = features[..., r0:r1, c0:c1]
            if core.numel() == 0:
                continue
            value = objective(core)
        if with_grad:
            (g,) = torch.autograd.grad(value, piece)
            grad[..., ey0:ey1, ex0:ex1] += g
        total = total + value.detach()
        count += core.shape[0] * core.shape[-2] * core.shape[-1]
    return grad, total, count
