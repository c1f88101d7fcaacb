"""Batch normalisation folded into the convolution before it, at evaluation.

In eval mode ``bn(conv(x)) = conv'(x)`` with ``w' = w * s``, ``b' = (b - mu) * s
+ beta`` and ``s = gamma / sqrt(var + eps)`` per output channel: one pass over
the activations instead of two, forward and backward (measured on
EfficientNet-Lite0, 2 CPU threads: a further 1.1-1.2x on top of
channels-last; ``tests/bench/bench_speed.py``).

The network keeps its modules, names, state dict and hooks: the convolution
still runs as a module (so the interrupt hooks on every ``Conv2d`` fire) and
computes the folded result; its BatchNorm then passes the tensor through.
The folded weights are recomputed whenever a parameter or running statistic
changes (a tensor's version counter or storage), so a re-initialised copy
(:mod:`engine.gradients.sanity`), a weight load or a device/layout move is
followed at once.  Folding applies only while it is exact up to rounding:
the BatchNorm in eval mode with running statistics and no parameter asking
for a gradient; otherwise the two layers run as written.

Only networks laid out as EfficientNet-Lite (``_conv_stem``/``_bn0``,
``_blocks[i]._expand_conv``/``_bn0``, ``_depthwise_conv``/``_bn1``,
``_project_conv``/``_bn2``, ``_conv_head``/``_bn1``, every convolution a
:class:`~.efficientnet_lite.SameConv2d`) are folded; :func:`conv_bn_pairs`
returns no pair for any other network.
"""
from __future__ import annotations

import torch
from torch import nn

from .efficientnet_lite import SameConv2d

__all__ = ["conv_bn_pairs", "set_batchnorm_folding", "FoldedSameConv2d", "FoldedBatchNorm2d"]

_BN = "_neural_lens_folded_bn"  # the conv's partner BatchNorm (not a registered submodule)
_ON = "_neural_lens_fold"  # folding switched on for this pair
_CACHE = "_neural_lens_fold_cache"


def _active(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> bool:
    return (bool(conv.__dict__.get(_ON)) and not bn.training and bn.affine and bn.running_var is not None
            and not (conv.weight.requires_grad or bn.weight.requires_grad or bn.bias.requires_grad
                     or (conv.bias is not None and conv.bias.requires_grad)))


def _key(tensors) -> tuple:
    return tuple((t.data_ptr(), t._version, t.dtype, t.device) for t in tensors if t is not None)


class FoldedSameConv2d(SameConv2d):
    """A :class:`SameConv2d` that, while folding is active, applies its
    BatchNorm too (see the module docstring)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        bn = self.__dict__.get(_BN)
        if bn is None or not _active(self, bn):
            return super().forward(x)
        tensors = (self.weight, self.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var)
        key = _key(tensors)
        cached = self.__dict__.get(_CACHE)
        if cached is None or cached[0] != key:
            # Plain tensors even when the caller runs in inference mode: the
            # next pass may need a graph through them.
            with torch.inference_mode(False), torch.no_grad():
                scale = bn.weight * torch.rsqrt(bn.running_var + bn.eps)
                weight = self.weight * scale.view(-1, 1, 1, 1)
                bias = (self.bias if self.bias is not None else 0.0) - bn.running_mean
                bias = bias * scale + bn.bias
                if self.weight.dim() == 4 and not self.weight.is_contiguous():  # keep the layout (channels-last)
                    weight = weight.contiguous(memory_format=torch.channels_last)
            cached = (key, weight, bias)
            self.__dict__[_CACHE] = cached
        return self.conv_with(x, cached[1], cached[2])


class FoldedBatchNorm2d(nn.BatchNorm2d):
    """A BatchNorm that passes its input through while its convolution applies it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        conv = self.__dict__.get(_BN)
        if conv is not None and _active(conv, self):
            return x
        return super().forward(x)


def conv_bn_pairs(net: nn.Module) -> list[tuple[SameConv2d, nn.BatchNorm2d]]:
    """The (convolution, BatchNorm right after it) pairs of an
    EfficientNet-Lite layout; ``[]`` for other networks."""
    if not all(hasattr(net, name) for name in ("_conv_stem", "_bn0", "_blocks", "_conv_head", "_bn1")):
        return []
    pairs = [(net._conv_stem, net._bn0)]
    for block in net._blocks:
        if getattr(block, "expand", False):
            pairs.append((block._expand_conv, block._bn0))
        pairs += [(block._depthwise_conv, block._bn1), (block._project_conv, block._bn2)]
    pairs.append((net._conv_head, net._bn1))
    if not all(isinstance(c, SameConv2d) and type(b) in (nn.BatchNorm2d, FoldedBatchNorm2d) for c, b in pairs):
        return []
    return pairs


def set_batchnorm_folding(net: nn.Module, enabled: bool) -> int:
    """Fold (or stop folding) every BatchNorm of ``net`` into its convolution;
    returns the number of pairs (0: nothing to fold in this network)."""
    pairs = conv_bn_pairs(net)
    for conv, bn in pairs:
        if type(conv) is SameConv2d:
            conv.__class__ = FoldedSameConv2d
        if type(bn) is nn.BatchNorm2d:
            bn.__class__ = FoldedBatchNorm2d
        conv.__dict__[_BN] = bn
        bn.__dict__[_BN] = conv
        conv.__dict__[_ON] = bool(enabled)
        conv.__dict__.pop(_CACHE, None)
    return len(pairs)
