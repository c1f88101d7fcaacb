"""Objectives beyond classes: a channel, a spatial neuron, and sums and
differences of them (the objective arithmetic of Lucid/Lucent; Olah,
Mordvintsev & Schubert 2017, "Feature Visualization").

Written as text so the CLI and the window share one syntax::

    blocks.8:12                 mean activation of channel 12 of blocks.8
    blocks.8:12@3,4             the neuron of channel 12 at feature column 3, row 4
    blocks.8:12 - blocks.8:7    one channel against another
    0.5*blocks.10:3 + head:99   weighted sums

A channel term is ``mean_{x,y} a_{c,y,x}``; a neuron term is ``a_{c,y,x}``
(positions are feature-map coordinates, clamped to the map so that a view
smaller or larger than the photo still has the neuron).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import torch

__all__ = ["Unit", "UnitObjective", "parse_objective"]

_TERM = re.compile(r"^\s*(?:(?P<weight>\d+(?:\.\d*)?|\.\d+)\s*\*\s*)?(?P<layer>[A-Za-z_][\w.]*):(?P<channel>\d+)"
                   r"(?:@(?P<x>\d+),(?P<y>\d+))?\s*$")


@dataclass(frozen=True)
class Unit:
    """One term: ``weight`` times a channel's mean (or one neuron) of ``layer``."""

    layer: str
    channel: int
    weight: float = 1.0
    position: tuple[int, int] | None = None  # (x, y) in feature-map coordinates

    def __str__(self) -> str:
        at = f"@{self.position[0]},{self.position[1]}" if self.position else ""
        return f"{self.layer}:{self.channel}{at}"

    def value(self, features: torch.Tensor) -> torch.Tensor:
        """This term of a (N,C,H,W) activation map, for the first image."""
        if not 0 <= self.channel < features.shape[1]:
            raise ValueError(f"{self.layer} has {features.shape[1]} channels; there is no channel {self.channel}")
        a = features[0, self.channel]
        if self.position is None:
            return a.mean()
        x = min(self.position[0], a.shape[1] - 1)
        y = min(self.position[1], a.shape[0] - 1)
        return a[y, x]


@dataclass(frozen=True)
class UnitObjective:
    """A weighted sum of :class:`Unit` terms, maximised by class visualization."""

    units: tuple[Unit, ...]

    @property
    def layers(self) -> list[str]:
        return list(dict.fromkeys(u.layer for u in self.units))

    @property
    def label(self) -> str:
        text = ""
        for u in self.units:
            sign = "-" if u.weight < 0 else "+"
            weight = "" if abs(u.weight) == 1 else f"{abs(u.weight):g}*"
            text += f" {sign} {weight}{u}" if text else f"{'-' if u.weight < 0 else ''}{weight}{u}"
        return text

    def check(self, model) -> UnitObjective:
        """Raise ``ValueError`` naming the problem for a layer the model lacks."""
        for layer in self.layers:
            model.layer(layer)
        return self

    def __call__(self, model, x: torch.Tensor) -> torch.Tensor:
        """The objective of the normalised image batch ``x`` (one truncated pass)."""
        features = model.features_at(x, self.layers)
        return sum(u.weight * u.value(features[u.layer]) for u in self.units)


def parse_objective(text: str) -> UnitObjective:
    """``"blocks.8:12 - 0.5*blocks.8:7@3,4"`` -> :class:`UnitObjective`;
    ``ValueError`` saying what is wrong with the text."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty objective; write LAYER:CHANNEL, e.g. blocks.8:12")
    pieces = re.split(r"\s*([+-])\s*", text.strip())
    sign, units, dangling = 1.0, [], False
    for piece in pieces:
        if piece in ("+", "-"):
            sign, dangling = (-1.0 if piece == "-" else 1.0), True
            continue
        if not piece.strip():
            continue
        m = _TERM.match(piece)
        if m is None:
            raise ValueError(f"cannot read {piece.strip()!r} in the objective; write LAYER:CHANNEL, "
                             "LAYER:CHANNEL@X,Y or sums of them, e.g. blocks.8:12 - 0.5*blocks.8:7")
        position = (int(m["x"]), int(m["y"])) if m["x"] is not None else None
        weight = sign * float(m["weight"] or 1.0)
        units.append(Unit(m["layer"], int(m["channel"]), weight, position))
        sign, dangling = 1.0, False
    if dangling:
        raise ValueError(f"the objective {text!r} ends with a sign; add a term after it")
    if not units:
        raise ValueError(f"no term in the objective {text!r}")
    return UnitObjective(tuple(units))
