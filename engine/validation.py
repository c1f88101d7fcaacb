"""Checks for parameter values (the params dataclasses' ``__post_init__``, CLI options).

Every parameter snapshot is validated when it is made, so a bad value sent by
``Control.update`` raises ``ValueError`` in the caller's thread and the running
job keeps its previous, valid snapshot.
"""
from __future__ import annotations

import math
import numbers
from typing import Any

__all__ = ["check_number", "check_int", "check_choice", "check_fields"]


def check_number(name: str, value: Any, *, low: float | None = None, high: float | None = None,
                 strict_low: bool = False) -> float:
    """``value`` (any real number, numpy's included, not a bool) as a finite
    float within ``[low, high]`` (``(low, high]`` when ``strict_low``), else
    ``ValueError`` naming the parameter."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if low is not None and (value <= low if strict_low else value < low):
        raise ValueError(f"{name} must be {'>' if strict_low else '>='} {low:g}, got {value:g}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high:g}, got {value:g}")
    return value


def check_int(name: str, value: Any, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int within ``[low, high]`` (numpy integers and integral
    floats accepted; a bound may be infinite), else ``ValueError`` naming the
    parameter -- never a ``TypeError`` or ``OverflowError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not isinstance(value, numbers.Integral) and not (math.isfinite(value) and value == int(value)):
        raise ValueError(f"{name} must be an integer, got {value}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def check_fields(obj: Any, *, ints: dict[str, tuple[int, int]] | None = None,
                 numbers: dict[str, tuple[float, float]] | None = None) -> None:
    """Validate and normalise fields of a frozen dataclass in place (from its
    ``__post_init__``): each name in ``ints`` with :func:`check_int`, each in
    ``numbers`` with :func:`check_number`, within its ``(low, high)``."""
    for name, (low, high) in (ints or {}).items():
        object.__setattr__(obj, name, check_int(name, getattr(obj, name), low=low, high=high))
    for name, (low, high) in (numbers or {}).items():
        object.__setattr__(obj, name, check_number(name, getattr(obj, name), low=low, high=high))
