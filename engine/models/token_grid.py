"""Vision transformers seen as feature maps: each block's patch tokens
(N, prefix + H*W, C) pass through a C×H×W grid on their way to the next block,
so hooks on the grid (Layers, Grad-CAM, DeepDream, inversion, channel
objectives) see a (N, C, H, W) activation and gradients flow through it.  The
prefix tokens (class, distillation, register tokens) go around the grid.

Works for timm's ``VisionTransformer`` family (``vit_*``, ``deit_*``: a
``blocks`` sequence, ``num_prefix_tokens``, ``patch_embed.proj``) and
torchvision's ``vit_*`` (``encoder.layers``, ``conv_proj``, one class token;
its fixed input size is met by resizing the input, :class:`ResizedInput`).

Swin transformers (timm ``swin*``, whose ``output_fmt`` is ``NHWC``, and
torchvision's ``swin_*``) already keep their tokens as a grid, but channels
last (N, H, W, C): :func:`expose_nhwc_grids` passes each stage's output
through a :class:`TokenGrid` as (N, C, H, W), so no tool reads W as channels.
"""
from __future__ import annotations

import math
import threading

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["TokenGrid", "GridThrough", "ChannelsLastThrough", "ResizedInput", "expose_token_grids", "expose_nhwc_grids"]


class TokenGrid(nn.Identity):
    """Where a block's patch tokens are a (N, C, H, W) grid (hooks go here)."""


class PatchGridSize:
    """The patch grid's (H, W) of the calling thread's last pass, read from the patch convolution's output."""

    def __init__(self, conv: nn.Module) -> None:
        self._local = threading.local()
        conv.register_forward_hook(self._hook)

    def _hook(self, _module, _inputs, output) -> None:
        self._local.hw = tuple(output.shape[-2:])

    def grid_hw(self, count: int) -> tuple[int, int]:
        hw = getattr(self._local, "hw", None)
        if hw is not None and hw[0] * hw[1] == count:
            return hw
        side = math.isqrt(count)
        if side * side != count:
            raise ValueError(f"cannot lay {count} patch tokens out as a grid")
        return side, side


class GridThrough(nn.Module):
    """A transformer block whose patch-token output passes through a :class:`TokenGrid`."""

    def __init__(self, block: nn.Module, prefix: int, size: PatchGridSize) -> None:
        super().__init__()
        self.block, self.prefix, self.grid = block, int(prefix), TokenGrid()
        self._size = size

    def forward(self, x, *args, **kwargs):
        out = self.block(x, *args, **kwargs)
        if not isinstance(out, torch.Tensor) or out.dim() != 3:
            return out
        lead, patches = out[:, : self.prefix], out[:, self.prefix:]
        n, count, c = patches.shape
        h, w = self._size.grid_hw(count)
        grid = self.grid(patches.transpose(1, 2).reshape(n, c, h, w))
        return torch.cat([lead, grid.flatten(2).transpose(1, 2)], dim=1)


class ChannelsLastThrough(nn.Module):
    """A stage whose (N, H, W, C) output passes through a :class:`TokenGrid` as (N, C, H, W)."""

    def __init__(self, stage: nn.Module) -> None:
        super().__init__()
        self.stage, self.grid = stage, TokenGrid()

    def forward(self, x, *args, **kwargs):
        out = self.stage(x, *args, **kwargs)
        if not isinstance(out, torch.Tensor) or out.dim() != 4:
            return out
        return self.grid(out.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)


class ResizedInput(nn.Module):
    """A network that takes only ``size`` x ``size`` input, given any size (bilinear resize first)."""

    def __init__(self, net: nn.Module, size: int) -> None:
        super().__init__()
        self.net, self.size = net, int(size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if tuple(x.shape[-2:]) != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return self.net(x)


def _sequence_of_blocks(net: nn.Module):
    """(container, its name, prefix tokens, patch conv name) of a ViT, else ``None``."""
    blocks, patch = getattr(net, "blocks", None), getattr(getattr(net, "patch_embed", None), "proj", None)
    if isinstance(blocks, (nn.Sequential, nn.ModuleList)) and isinstance(patch, nn.Conv2d) and hasattr(net, "num_prefix_tokens"):
        return blocks, "blocks", int(net.num_prefix_tokens), "patch_embed.proj"
    encoder = getattr(net, "encoder", None)
    if isinstance(getattr(encoder, "layers", None), nn.Sequential) and isinstance(getattr(net, "conv_proj", None), nn.Conv2d):
        return encoder.layers, "encoder.layers", 1, "conv_proj"
    return None


def expose_token_grids(net: nn.Module) -> tuple[nn.Module, dict[str, nn.Module]] | None:
    """For a ViT: wrap its blocks (after its weights are loaded) and return
    ``(network to run, {layer name: module})`` with the patch convolution and
    one grid per block in order; ``None`` for any other network."""
    found = _sequence_of_blocks(net)
    if found is None:
        return None
    blocks, prefix_name, prefix, conv_name = found
    conv = net.get_submodule(conv_name)
    size = PatchGridSize(conv)
    layers: dict[str, nn.Module] = {conv_name: conv}
    for key, block in list(blocks.named_children()):
        wrapped = GridThrough(block, prefix, size)
        setattr(blocks, key, wrapped)
        layers[f"{prefix_name}.{key}"] = wrapped.grid
    image_size = getattr(net, "image_size", None)  # torchvision's ViT asserts its one input size
    return (ResizedInput(net, image_size) if isinstance(image_size, int) else net), layers


def _channels_last_stages(net: nn.Module) -> list[str]:
    """The names of a Swin's modules whose outputs are (N, H, W, C) grids, in order; ``[]`` for other networks."""
    norm = getattr(net, "norm", None)
    tail = ["norm"] if isinstance(norm, nn.Module) and not isinstance(norm, nn.Identity) else []
    layers, features = getattr(net, "layers", None), getattr(net, "features", None)
    if getattr(net, "output_fmt", None) == "NHWC" and isinstance(layers, nn.Sequential) and hasattr(net, "patch_embed"):
        return ["patch_embed", *(f"layers.{k}" for k, _ in layers.named_children()), *tail]   # timm swin*
    if type(net).__name__ == "SwinTransformer" and isinstance(features, nn.Sequential) and hasattr(net, "permute"):
        return [*(f"features.{k}" for k, _ in features.named_children()), *tail]   # torchvision swin_*
    return []


def expose_nhwc_grids(net: nn.Module) -> dict[str, nn.Module] | None:
    """For a Swin: wrap its stages (after its weights are loaded) and return
    ``{layer name: grid module}`` in order (the stages' own names); ``None`` for any other network."""
    names = _channels_last_stages(net)
    if not names:
        return None
    layers: dict[str, nn.Module] = {}
    for name in names:
        parent, _, key = name.rpartition(".")
        owner = net.get_submodule(parent) if parent else net
        wrapped = ChannelsLastThrough(getattr(owner, key))
        setattr(owner, key, wrapped)
        layers[name] = wrapped.grid
    return layers
