"""Small wrappers that let any network take what every tool gives it: a
batch of RGB images of any size.

* :class:`GreyInput`: a 1-channel network fed the luma of the RGB input.  With
  the same mean/std on the three channels, the luma of the normalised
  channels is the normalised luma (the weights sum to 1), so the classifier's
  RGB normalisation stays exact.
* :class:`FixedInput`: a network exported for one input shape (an ONNX file or
  a ``torch.export`` program with a static batch or size) gets its size by a
  bilinear resize and its batch one picture at a time.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["GreyInput", "FixedInput", "first_conv", "set_in_channels", "LUMA"]

LUMA = (0.299, 0.587, 0.114)


class GreyInput(nn.Module):
    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        self.register_buffer("luma", torch.tensor(LUMA).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x * self.luma).sum(dim=1, keepdim=True))


class FixedInput(nn.Module):
    def __init__(self, net: nn.Module, *, size: int | None, single: bool) -> None:
        super().__init__()
        self.net, self.size, self.single = net, size, bool(single)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.size is not None and tuple(x.shape[-2:]) != (self.size, self.size):
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        if self.single and x.shape[0] != 1:
            return torch.cat([self.net(x[i : i + 1]) for i in range(x.shape[0])])
        return self.net(x)


def first_conv(net: nn.Module) -> nn.Conv2d | None:
    """The first 2-D convolution in registration order (the one that reads the image)."""
    return next((m for m in net.modules() if isinstance(m, nn.Conv2d)), None)


def set_in_channels(net: nn.Module, key: str, channels: int) -> None:
    """Make the convolution whose weight is ``key`` read ``channels`` channels (a
    greyscale fine-tune of a 3-channel architecture), keeping its class and padding."""
    conv = net.get_submodule(key.rsplit(".", 1)[0])
    weight = conv.weight
    conv.in_channels = channels
    conv.weight = nn.Parameter(torch.empty((weight.shape[0], channels, *weight.shape[2:]), device=weight.device))
