"""What every channel of a layer sees (the Deep Visualization Toolbox's view,
Yosinski et al. 2015, "Understanding Neural Networks Through Deep
Visualization"): activation maps of a photo, channels ranked by activation, a
mosaic of all maps, the photo patches that excite a channel most, and the
saliency of a channel.  No Qt: the Layers tab and the ``channels`` command
both use it."""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from .gradients import overlay
from .imaging import IMAGE_SUFFIXES, resize
from .jobs import Control, Frame
from .models import Classifier

__all__ = ["LayerActivations", "activations", "all_activations", "channel_ranking", "mosaic", "mosaic_channel_at",
           "mosaic_cell", "outline_cell", "Analysis", "analyze_job", "channel_overlay", "ChannelMap", "saliency_job",
           "Patch", "top_patches_job", "crop_at", "patch_grid", "photos_in", "channel_saliency", "receptive_field"]


@dataclass(frozen=True)
class LayerActivations:
    """One layer's activations for one photo: ``maps`` (C, h, w) float32, with
    per-channel ``mean`` and ``max``."""

    layer: str
    maps: np.ndarray

    @property
    def channels(self) -> int:
        return self.maps.shape[0]

    @property
    def mean(self) -> np.ndarray:
        return self.maps.reshape(self.channels, -1).mean(axis=1)

    @property
    def max(self) -> np.ndarray:
        return self.maps.reshape(self.channels, -1).max(axis=1)


@torch.no_grad()
def activations(model: Classifier, image: np.ndarray, layer: str) -> LayerActivations:
    """``layer``'s activation maps of the model's view of ``image`` (a forward
    pass truncated at the layer)."""
    x = model.preprocess(model.prepare(image))
    return LayerActivations(layer, model.features(x, layer)[0].float().cpu().numpy())


@torch.no_grad()
def all_activations(model: Classifier, image: np.ndarray) -> dict[str, LayerActivations]:
    """Every named layer's maps from one forward pass (scrubbing through the
    layers then costs nothing)."""
    x = model.preprocess(model.prepare(image))
    features = model.features_at(x, model.layer_names)
    return {name: LayerActivations(name, f[0].float().cpu().numpy()) for name, f in features.items()}


def channel_ranking(acts: LayerActivations, by: str = "mean") -> np.ndarray:
    """Channel indices, most active first (by ``mean`` or ``max`` activation)."""
    if by not in ("mean", "max"):
        raise ValueError(f"rank channels by 'mean' or 'max', not {by!r}")
    return np.argsort(-(acts.mean if by == "mean" else acts.max), kind="stable")


def _grid(count: int) -> tuple[int, int]:
    cols = max(1, math.ceil(math.sqrt(count)))
    return cols, max(1, math.ceil(count / cols))


def mosaic(acts: LayerActivations, order: Sequence[int], cell: int = 32, gap: int = 2) -> np.ndarray:
    """All maps of ``order`` in a grid (row-major), each scaled to ``cell``
    pixels (nearest) and to 0..255 by the layer's largest activation (so
    channels compare; shown on a square-root scale so weak activity stays
    visible), as a uint8 HxWx3 picture (orange for positive, blue for
    negative, dark for zero)."""
    cols, rows = _grid(len(order))
    top = float(np.abs(acts.maps).max()) or 1.0
    out = np.full((rows * (cell + gap) + gap, cols * (cell + gap) + gap, 3), 40, np.uint8)
    h, w = acts.maps.shape[1:]
    ys = (np.arange(cell) * h // cell).clip(0, h - 1)
    xs = (np.arange(cell) * w // cell).clip(0, w - 1)
    for k, c in enumerate(order):
        m = acts.maps[int(c)][np.ix_(ys, xs)] / top
        pos, neg = np.sqrt(np.clip(m, 0, 1)), np.sqrt(np.clip(-m, 0, 1))  # sqrt: weak activity stays visible
        tile = np.stack([255 * pos, 200 * pos + 40 * neg, 60 * pos + 255 * neg], axis=-1)
        y0, x0 = mosaic_cell(k, len(order), cell, gap)
        out[y0:y0 + cell, x0:x0 + cell] = tile.clip(0, 255).astype(np.uint8)
    return out


def mosaic_cell(k: int, count: int, cell: int = 32, gap: int = 2) -> tuple[int, int]:
    """(y, x) of the top-left pixel of the ``k``-th cell of a :func:`mosaic` of ``count`` maps."""
    r, q = divmod(k, _grid(count)[0])
    return gap + r * (cell + gap), gap + q * (cell + gap)


def outline_cell(picture: np.ndarray, k: int, count: int, cell: int = 32, gap: int = 2,
                 color: tuple[int, int, int] = (255, 255, 255), width: int = 2) -> np.ndarray:
    """A copy of a :func:`mosaic` with a frame ``width`` pixels wide drawn inside the ``k``-th cell (the
    channel shown large)."""
    out = picture.copy()
    y0, x0 = mosaic_cell(k, count, cell, gap)
    y1, x1 = y0 + cell, x0 + cell
    for ys, xs in ((slice(y0, y0 + width), slice(x0, x1)), (slice(y1 - width, y1), slice(x0, x1)),
                   (slice(y0, y1), slice(x0, x0 + width)), (slice(y0, y1), slice(x1 - width, x1))):
        out[ys, xs] = color
    return out


def mosaic_channel_at(x: float, y: float, order: Sequence[int], cell: int = 32, gap: int = 2) -> int | None:
    """The channel whose cell of :func:`mosaic` holds pixel (``x``, ``y``), or ``None``."""
    cols, _ = _grid(len(order))
    q, r = int(x - gap) // (cell + gap), int(y - gap) // (cell + gap)
    if x < gap or y < gap or q >= cols or (x - gap) % (cell + gap) >= cell or (y - gap) % (cell + gap) >= cell:
        return None
    k = r * cols + q
    return int(order[k]) if 0 <= k < len(order) else None


@dataclass(frozen=True)
class Analysis:
    """Every layer's activations of a photo, their mosaics and orders by ``(layer, "mean" | "max")``, the
    model's view of the photo and the network's name."""

    acts: dict[str, LayerActivations]
    views: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]
    view: np.ndarray
    model: str


def analyze_job(model: Classifier, image: np.ndarray, *, cell: int = 32, gap: int = 2) -> Iterator[Frame]:
    """Job: every layer's activations of ``image`` (one forward pass) and their mosaics, ranked by mean and
    by max (``Frame.info``: an :class:`Analysis`), so that scrubbing the layers costs nothing."""
    acts = all_activations(model, image)
    views = {}
    for name, a in acts.items():
        for by in ("mean", "max"):
            order = channel_ranking(a, by)
            views[name, by] = (mosaic(a, order, cell, gap), order)
    yield Frame(step=1, total=1, info=Analysis(acts, views, model.prepare(image), model.name), final=True)


def channel_overlay(view: np.ndarray, acts: LayerActivations, channel: int, opacity: float = 0.6) -> np.ndarray:
    """The positive part of ``channel``'s map, scaled to its own maximum and to the size of ``view`` (the
    model's view of the photo), blended over it (uint8 HxWx3)."""
    amap = np.maximum(acts.maps[channel], 0)
    grey = (255 * amap / max(float(amap.max()), 1e-6)).astype(np.uint8)
    big = resize(np.repeat(grey[..., None], 3, axis=2), view.shape[1::-1])[..., 0].astype(np.float32)
    return overlay(view, big, opacity=opacity)


@dataclass(frozen=True)
class ChannelMap:
    """The saliency map of one channel of a layer."""

    saliency: np.ndarray
    layer: str
    channel: int


def saliency_job(model: Classifier, image: np.ndarray, layer: str, channel: int) -> Iterator[Frame]:
    """Job: :func:`channel_saliency` as one frame (``info``: a :class:`ChannelMap`)."""
    found = ChannelMap(channel_saliency(model, image, layer, channel), layer, channel)
    yield Frame(step=1, total=1, info=found, final=True)


@lru_cache(maxsize=128)
def receptive_field(model: Classifier, layer: str) -> tuple[int, int]:
    """(stride, half-width) in input pixels of one position of ``layer``: the
    half-width holds 90 % of the input gradient of that position (measured
    once per model and layer)."""
    from .generation.tiling import context_margin, layer_stride

    return layer_stride(model, layer), context_margin(model, layer, mass=0.9)


@dataclass(frozen=True)
class Patch:
    """A crop of a photo around a position that excites a channel."""

    activation: float
    source: int          # index of the photo in the list given
    position: tuple[int, int]  # (x, y) in feature-map coordinates
    image: np.ndarray    # uint8 crop of the model's view


def top_patches_job(model: Classifier, images: Sequence, layer: str, channel: int, *, k: int = 9,
                    load: Callable[[object], np.ndarray] | None = None,
                    control: Control | None = None) -> Iterator[Frame]:
    """Job: the ``k`` patches among ``images`` (arrays, or items ``load`` reads;
    unreadable ones are skipped) whose best position excites ``channel`` of
    ``layer`` most: up to three separated positions per photo, the crop is the
    position's receptive field in the model's view.  Frames report progress
    (``info``: the list of the best :class:`Patch` es so far); returns the final list."""
    control = control or Control()
    stride, half = receptive_field(model, layer)
    found: list[Patch] = []
    for i, item in enumerate(images):
        if control.cancelled:
            break
        try:
            view = model.prepare(load(item) if load is not None else np.asarray(item))
        except ValueError:
            continue
        with torch.no_grad():
            a = model.features(model.preprocess(view), layer)[0, channel].float().cpu().numpy()
        for y, x in _peaks(a, 3):
            found.append(Patch(float(a[y, x]), i, (int(x), int(y)), crop_at(view, y, x, stride, half)))
        found = sorted(found, key=lambda p: -p.activation)[:k]
        if control.should_emit() or i == len(images) - 1:
            yield Frame(step=i + 1, total=len(images), info=list(found), final=i == len(images) - 1)
    return found


def crop_at(view: np.ndarray, y: int, x: int, stride: int, half: int) -> np.ndarray:
    """The receptive field of feature-map position (``y``, ``x``) in ``view`` (the model's view of a photo):
    ``half`` pixels around the position's centre (``stride`` pixels per position), clipped to the picture."""
    cy, cx = int((y + 0.5) * stride), int((x + 0.5) * stride)
    return view[max(0, cy - half):cy + half, max(0, cx - half):cx + half].copy()


def patch_grid(crops: Sequence[np.ndarray], cell: int = 96, gap: int = 4, columns: int = 3) -> np.ndarray:
    """Crops in a grid of ``columns`` (as many rows as needed, at least one), each resized to ``cell``
    pixels, on a dark ground (uint8 HxWx3)."""
    rows = max(1, math.ceil(len(crops) / columns))
    out = np.full((rows * (cell + gap) + gap, columns * (cell + gap) + gap, 3), 40, np.uint8)
    for k, crop in enumerate(crops):
        r, q = divmod(k, columns)
        y, x = gap + r * (cell + gap), gap + q * (cell + gap)
        out[y:y + cell, x:x + cell] = resize(crop, (cell, cell))
    return out


def photos_in(folder: str | os.PathLike) -> list[str]:
    """The photos directly in ``folder`` (by suffix, sorted; sub-folders are not searched).  Raises
    ``OSError`` when the folder cannot be read."""
    return sorted(os.path.join(folder, n) for n in os.listdir(folder) if os.path.splitext(n)[1].lower() in IMAGE_SUFFIXES)


def _peaks(a: np.ndarray, n: int) -> list[tuple[int, int]]:
    """Up to ``n`` (y, x) maxima of ``a`` at least two positions apart."""
    peaks: list[tuple[int, int]] = []
    flat = np.argsort(-a, axis=None)
    for idx in flat:
        y, x = divmod(int(idx), a.shape[1])
        if all(abs(y - py) > 1 or abs(x - px) > 1 for py, px in peaks):
            peaks.append((y, x))
            if len(peaks) == n:
                break
    return peaks


def channel_saliency(model: Classifier, image: np.ndarray, layer: str, channel: int) -> np.ndarray:
    """``max_colour |d mean(a_c) / d x|`` over the model's view of ``image``
    (HxW float32): the pixels the channel's mean activation depends on."""
    x = model.preprocess(model.prepare(image)).requires_grad_(True)
    with torch.enable_grad():
        a = model.features(x, layer)
        if not 0 <= channel < a.shape[1]:
            raise ValueError(f"{layer} has {a.shape[1]} channels; there is no channel {channel}")
        (grad,) = torch.autograd.grad(a[0, channel].mean(), x)
    return grad[0].abs().amax(dim=0).float().cpu().numpy()
