"""The image priors' parameters, declared once for the loops that share them
(class visualization and feature inversion): the weights of the L2 and
total-variation terms and the periodic blur of plain pixels."""
from __future__ import annotations

from typing import Any

from ..params import param

__all__ = ["l2_weight", "tv_weight", "periodic_blur_every", "periodic_blur_sigma"]


def l2_weight(default: float = 0.0) -> Any:
    return param(default, "L2 weight", low=0.0, high=1e6, step=0.01, decimals=3, slider=(0.0, 0.1),
                 help="Weight of the mean squared image value (Simonyan et al. 2014)")


def tv_weight(default: float = 0.0) -> Any:
    return param(default, "TV weight", low=0.0, high=1e6, step=0.05, decimals=3, slider=(0.0, 2.0),
                 help="Weight of the total variation prior (Mahendran & Vedaldi 2015)")


def periodic_blur_every() -> Any:
    return param(0, "Blur every", low=0, high=100_000, unit="steps", slider=(0, 50),
                 help="Gaussian blur of the pixels every N steps; 0 = never")


def periodic_blur_sigma() -> Any:
    return param(0.5, "Blur sigma", low=0.0, high=10.0, step=0.1, unit="px", slider=(0.0, 2.0),
                 help="Standard deviation of the periodic blur")
