"""Choosing the compute device.  One device is chosen at the top (GUI or CLI)
and passed down explicitly; there is no module-level device global."""
from __future__ import annotations

import torch

__all__ = ["choose_device", "describe_device"]


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
