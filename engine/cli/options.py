"""Command-line options generated from the engine's declared parameters
(:mod:`engine.params`): one option per field, with the field's type, choices,
range and help, so the command line accepts and refuses exactly what the
engine and the window do."""
from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..params import specs
from .common import CliError

__all__ = ["add_param_options", "params_from_args"]

_TYPES = {"int": int, "float": float, "text": str}


def _range(spec) -> str:
    if spec.kind not in ("int", "float"):
        return ""
    low = ("> " if spec.strict_low else "") + f"{spec.low:g}"
    unit = f" {spec.unit}" if spec.unit else ""
    return f"{low}..{spec.high:g}{unit}"


def add_param_options(parser: argparse.ArgumentParser, cls: type, *, skip: tuple[str, ...] = (),
                      aliases: dict[str, tuple[str, ...]] | None = None,
                      defaults: dict[str, str] | None = None) -> None:
    """Add ``--name`` for every declared field of ``cls`` offered on the
    command line (not in ``skip``).  Options default to ``None`` (the
    parameter class's own default applies); ``defaults`` overrides the
    default shown in the help."""
    aliases = aliases or {}
    defaults = defaults or {}
    instance_defaults = {f.name: f.default for f in dataclasses.fields(cls)}
    shown_as: dict[str, str] = {}
    for name, spec in specs(cls).items():
        if not spec.cli or name in skip:
            continue
        shown = defaults.get(name, instance_defaults.get(name))
        parts = [spec.help or spec.label]
        if spec.kind in ("int", "float"):
            parts.append(_range(spec))
        parts.append(f"default {shown}")
        kwargs: dict[str, Any] = {"dest": name, "default": None, "help": "; ".join(p for p in parts if p)}
        if spec.kind == "choice":
            kwargs["choices"] = spec.values
        else:
            kwargs["type"] = _TYPES[spec.kind]
        names = (*aliases.get(name, ()), spec.option)
        parser.add_argument(*names, **kwargs)
        shown_as[name] = "/".join(names)
    parser.set_defaults(_option_names=shown_as)


def params_from_args(cls: type, args: argparse.Namespace, *, base: Any = None, **values: Any) -> Any:
    """``cls`` built from ``values`` and the options given on the command line
    (on top of ``base`` when given); a refused value is a :class:`CliError`
    naming the option."""
    declared = specs(cls)
    shown_as = getattr(args, "_option_names", None) or {}
    given = {name: getattr(args, name) for name in declared if getattr(args, name, None) is not None}
    for name, value in given.items():
        try:
            declared[name].check(value)
        except ValueError as exc:
            raise CliError(f"{shown_as.get(name, declared[name].option)}: {exc}") from None
    try:
        if base is not None:
            return dataclasses.replace(base, **values, **given)
        return cls(**{**values, **given})
    except ValueError as exc:  # a rule between fields ("tile must be 0 or at least 64"): name the option
        text = str(exc)
        first = text.split(" ", 1)[0]
        if first in declared:
            text = f"{shown_as.get(first, declared[first].option)}: {text}"
        raise CliError(text) from None
