"""Parameters declared once.

A parameter's default, range, step, unit, label, help text and whether it
applies to a running job at once (``live``) or at the next run live in one
place: the field of the engine's parameter dataclass::

    @dataclass(frozen=True)
    class FoolParams(Params):
        lr: float = param(1.0, "Learning rate", low=0, high=1000, strict_low=True, step=0.1, decimals=3,
                          help="step length ||dX||_2 in the normalised input space")

Validation (:class:`Params`), the window's forms (``guiapp.widgets.param_form``)
and the command line's options (``engine.cli.options``) are all derived from
it, as magicgui derives widgets from annotations: a range is written once.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .validation import check_choice, check_int, check_number

__all__ = ["Spec", "param", "Params", "specs"]

_KEY = "neural_lens_spec"


@dataclass(frozen=True)
class Spec:
    """How one parameter is checked, shown and offered.

    ``kind``: ``"int"``, ``"float"``, ``"choice"`` or ``"text"``.  ``low`` /
    ``high``: the accepted range (``strict_low``: ``low`` itself excluded).
    ``step`` / ``decimals``: the spin box's step and shown decimals.
    ``choices`` (value, title) pairs for a choice.  ``live``: a change applies
    to a running job at once (else at the next run).  ``special``: the text a
    form shows for the lowest value (``"auto"`` for -1).  ``optional``:
    ``None`` is accepted too.  ``cli``: the option is offered on the command
    line.  ``slider``: the range of the slider a form shows beside a live
    number (the useful part of the accepted range; the spin box still takes
    any accepted value).  ``name`` is filled in from the field."""

    kind: str
    label: str
    help: str = ""
    low: float | None = None
    high: float | None = None
    strict_low: bool = False
    step: float | None = None
    decimals: int = 0
    unit: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    live: bool = True
    special: str = ""
    optional: bool = False
    cli: bool = True
    slider: tuple[float, float] | None = None
    name: str = ""

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(value for value, _title in self.choices)

    @property
    def option(self) -> str:
        """The command-line option, e.g. ``--octave-scale``."""
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any) -> Any:
        """``value`` validated and normalised (an ``int`` for int fields...),
        else ``ValueError`` naming the parameter and its accepted range."""
        if value is None and self.optional:
            return None
        name = self.name if self.label.lower() == self.name else f"{self.label.lower()} ({self.name})"
        if self.kind == "int":
            return check_int(name, value, low=_int(self.low), high=_int(self.high))
        if self.kind == "float":
            return check_number(name, value, low=self.low, high=self.high, strict_low=self.strict_low)
        if self.kind == "choice":
            return check_choice(name, value, self.values)
        if not isinstance(value, str) or not value:
            raise ValueError(f"{name} must be a non-empty text, got {value!r}")
        return value


def _int(bound: float | None) -> int | None:
    return None if bound is None else int(bound)


def param(default: Any, label: str, *, kind: str | None = None, choices: Any = (), **spec: Any) -> Any:
    """A dataclass field carrying its :class:`Spec` (``kind`` from the default's
    type when not given; ``choices``: values, or (value, title) pairs)."""
    pairs = tuple((c, c) if isinstance(c, str) else tuple(c) for c in choices)
    if kind is None:
        kind = "choice" if pairs else "int" if isinstance(default, int) else "float" if isinstance(default, float) else "text"
    if kind == "float" and "decimals" not in spec:
        spec["decimals"] = 2
    return field(default=default, metadata={_KEY: Spec(kind=kind, label=label, choices=pairs, **spec)})


def specs(params: Any) -> dict[str, Spec]:
    """The declared parameters of a :class:`Params` class or instance, in order, by name."""
    out = {}
    for f in dataclasses.fields(params):
        spec = f.metadata.get(_KEY)
        if spec is not None:
            out[f.name] = dataclasses.replace(spec, name=f.name)
    return out


class Params:
    """Base of the engine's frozen parameter dataclasses: every declared field
    is checked (and normalised) from its :class:`Spec` when a snapshot is
    made, so ``Control.update`` with a bad value raises ``ValueError`` in the
    caller's thread and the running job keeps its valid snapshot.  Rules that
    tie fields together go in :meth:`check`."""

    def __post_init__(self) -> None:
        for name, spec in specs(self).items():
            object.__setattr__(self, name, spec.check(getattr(self, name)))
        self.check()

    def check(self) -> None:
        """Rules between fields (override); raise ``ValueError``."""

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def live_fields(cls) -> set[str]:
        return {name for name, spec in specs(cls).items() if spec.live}
