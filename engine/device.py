"""Choosing the compute device, and how to compute fast on it.

One device is chosen at the top (GUI or CLI) and passed down explicitly;
there is no module-level device global.  :func:`device_tuning` is the one
place that decides, per device, the memory layout the network runs in, whether
BatchNorm is folded into the convolutions, and how many images an attribution
method (SmoothGrad, Integrated Gradients, the deletion curves) puts in one
pass; :class:`engine.models.Classifier` applies it when a model is loaded."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["choose_device", "describe_device", "Tuning", "device_tuning", "BATCH_SIDE"]

#: The side of the square image the attribution batch sizes are given for.
BATCH_SIDE = 224


@dataclass(frozen=True)
class Tuning:
    """How the network runs on one device.

    * ``channels_last``: the network and its inputs in ``torch.channels_last``
      layout (oneDNN's fast path on CPUs, tensor-core kernels on GPUs).
    * ``fold_batchnorm``: BatchNorm folded into the convolution before it
      (:mod:`engine.models.fusion`; exact up to float rounding).
    * ``batch``: images per forward/backward pass of the attribution methods
      at :data:`BATCH_SIDE` x :data:`BATCH_SIDE`; larger images get
      proportionally fewer (:meth:`batch_for`).
    * ``reason``: where the choice came from (a rule or a measurement).
    """

    channels_last: bool
    fold_batchnorm: bool
    batch: int
    reason: str = ""

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def batch_for(self, height: int, width: int) -> int:
        """Images per pass for ``height`` x ``width`` inputs (at least 1)."""
        return max(1, min(self.batch, self.batch * BATCH_SIDE * BATCH_SIDE // max(1, int(height) * int(width))))


#: Per device type: (channels_last, fold_batchnorm, batch).  Measured with
#: tests/bench/bench_speed.py (CPU, EfficientNet-Lite0, 2 threads: channels-last
#: 1.2-1.3x a batch-1 forward+backward, folding a further 1.1-1.2x, batch 8
#: about 0.6 of a batch-1 NCHW pass per image; tests/bench/RESULTS.md).  On CUDA
#: the layout is measured when the model loads (``None`` here); Apple MPS keeps
#: NCHW (channels-last kernels are incomplete there).
_RULES: dict[str, tuple[bool | None, bool, int]] = {
    "cpu": (True, True, 8),
    "cuda": (None, True, 32),
    "mps": (False, True, 8),
}


def device_tuning(device: torch.device, *, time_pass: Callable[[bool], float] | None = None) -> Tuning:
    """The :class:`Tuning` for ``device``: the per-device rule, or, where the
    rule is to measure (CUDA), the faster layout by ``time_pass(channels_last)``
    (seconds of one forward+backward; without it, channels-last)."""
    device = torch.device(device)
    channels_last, fold, batch = _RULES.get(device.type, (False, True, 4))
    reason = f"rule for {device.type}"
    if channels_last is None:
        if time_pass is None:
            channels_last, reason = True, f"rule for {device.type} (not measured)"
        else:
            nchw, nhwc = time_pass(False), time_pass(True)
            channels_last = nhwc < nchw
            reason = f"measured on {device.type}: NCHW {nchw * 1e3:.2f} ms, channels-last {nhwc * 1e3:.2f} ms"
    return Tuning(channels_last=bool(channels_last), fold_batchnorm=fold, batch=batch, reason=reason)


def choose_device(preference: str | torch.device | None = None) -> torch.device:
    """Return the device to compute on.

    ``preference`` may be ``None``/``"auto"`` (CUDA when available, else Apple
    MPS when available, else CPU) or an explicit device string such as
    ``"cpu"`` or ``"cuda:0"``.  An explicit device that is not available raises
    ``ValueError`` with a clear message.
    """
    if isinstance(preference, torch.device):
        preference = str(preference)
    if preference in (None, "", "auto"):
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(preference)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"unknown device {preference!r}") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was asked for but no CUDA device is available")
    if device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError("MPS was asked for but is not available")
    return device


def describe_device(device: torch.device) -> str:
    """A short human description, e.g. ``'CPU (2 threads)'`` or ``'CUDA: NVIDIA H200'``."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"CUDA: {torch.cuda.get_device_name(index)}"
    if device.type == "mps":
        return "Apple MPS"
    return f"CPU ({torch.get_num_threads()} threads)"
