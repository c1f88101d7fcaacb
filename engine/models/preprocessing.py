"""How a user's model wants its input: size, value range, mean/std, crop,
colour or greyscale; the presets the window offers; and the conversion to the
pixel-unit mean/std a :class:`~engine.models.classifier.Classifier` uses.

The network sees ``x = (v - mean) / std`` with ``v`` the pixel mapped
linearly from 0..255 to ``value_range`` (``[0, 1]`` for torchvision and timm).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

__all__ = ["Preprocessing", "PRESETS", "SIDECAR_KEYS", "IMAGENET_MEAN01", "IMAGENET_STD01"]

IMAGENET_MEAN01 = (0.485, 0.456, 0.406)
IMAGENET_STD01 = (0.229, 0.224, 0.225)


def _triple(values, name: str) -> tuple[float, float, float]:
    if isinstance(values, (int, float)):
        values = [values]
    values = [float(v) for v in values]
    if len(values) == 1:
        values = values * 3
    if len(values) != 3 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name} must be one number or three, got {values}")
    return tuple(values)


#: the sidecar's preprocessing keys (see README)
SIDECAR_KEYS = ("input_size", "mean", "std", "crop_fraction", "channels", "range", "value_range", "preset")


@dataclass(frozen=True)
class Preprocessing:
    """``input_size`` (px, square), ``mean``/``std`` (in ``value_range`` units,
    per channel), ``value_range`` (what 0..255 maps to), ``crop_fraction`` (the
    centre crop's share of the shorter side), ``channels`` (3: RGB, 1: greyscale,
    the luma ``0.299 R + 0.587 G + 0.114 B``)."""

    input_size: int = 224
    mean: tuple[float, float, float] = IMAGENET_MEAN01
    std: tuple[float, float, float] = IMAGENET_STD01
    value_range: tuple[float, float] = (0.0, 1.0)
    crop_fraction: float = 0.875
    channels: int = 3

    def __post_init__(self) -> None:
        object.__setattr__(self, "mean", _triple(self.mean, "mean"))
        object.__setattr__(self, "std", _triple(self.std, "std"))
        lo, hi = (float(v) for v in self.value_range)
        object.__setattr__(self, "value_range", (lo, hi))
        if not 8 <= int(self.input_size) <= 4096:
            raise ValueError(f"input_size must be 8..4096 px, got {self.input_size}")
        object.__setattr__(self, "input_size", int(self.input_size))
        if any(s <= 0 for s in self.std):
            raise ValueError(f"std must be positive, got {self.std}")
        if not hi > lo:
            raise ValueError(f"value_range must be [low, high] with high > low, got {self.value_range}")
        if not 0.05 <= float(self.crop_fraction) <= 1.0:
            raise ValueError(f"crop_fraction must be 0.05..1, got {self.crop_fraction}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels must be 1 (greyscale) or 3 (RGB), got {self.channels}")

    @property
    def pixel_mean(self) -> tuple[float, ...]:
        """``mean`` in 0..255 pixel units."""
        lo, hi = self.value_range
        return tuple((m - lo) * 255.0 / (hi - lo) for m in self.mean)

    @property
    def pixel_std(self) -> tuple[float, ...]:
        lo, hi = self.value_range
        return tuple(s * 255.0 / (hi - lo) for s in self.std)

    def as_dict(self) -> dict:
        d = asdict(self)
        d["mean"], d["std"], d["value_range"] = list(self.mean), list(self.std), list(self.value_range)
        return d

    def updated(self, values: dict) -> Preprocessing:
        """A copy with the sidecar-style ``values`` (see README) applied;
        unknown keys are ignored by the caller, wrong values raise ``ValueError``."""
        known = {k: values[k] for k in ("input_size", "mean", "std", "crop_fraction", "channels") if k in values}
        if "range" in values or "value_range" in values:
            known["value_range"] = tuple(values.get("value_range", values.get("range")))
        if "preset" in values:
            base = PRESETS.get(values["preset"])
            if base is None:
                raise ValueError(f"unknown preset {values['preset']!r}; presets: {', '.join(PRESETS)}")
            known = {"mean": base.mean, "std": base.std, "value_range": base.value_range, **known}
        return replace(self, **known)


#: The window's presets: value range and statistics (size, crop and channels are the model's).
PRESETS: dict[str, Preprocessing] = {
    "imagenet": Preprocessing(),
    "0..1": Preprocessing(mean=(0.0,), std=(1.0,)),
    "-1..1": Preprocessing(mean=(0.0,), std=(1.0,), value_range=(-1.0, 1.0)),
}
