"""The headless command line: ``python main.py SUBCOMMAND ...``.

Every module in this package that defines ``register(subparsers)`` adds its
subcommands (discovered with :mod:`pkgutil`, so adding a command never edits
this file).  A subcommand sets ``func(args) -> int`` with ``set_defaults``.
Errors print one line on stderr and exit non-zero, never a traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from .common import CliError, restart_clock

__all__ = ["main", "build_parser", "CliError"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (the full usage is in ``--help``);
    the subcommands' parsers inherit it."""

    def error(self, message: str):  # noqa: D102 - argparse API
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def _tolerate_undecodable_names() -> None:
    """File names that are not valid UTF-8 reach Python as lone surrogates;
    print them back as their original bytes instead of failing to encode."""
    for stream, errors in ((sys.stdout, "surrogateescape"), (sys.stderr, "backslashreplace")):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=errors)
            except (ValueError, OSError):  # a closed or unusual stream: leave it as it is
                pass


def build_parser() -> argparse.ArgumentParser:
    called = os.path.splitext(os.path.basename(sys.argv[0] or ""))[0]
    parser = _Parser(
        prog=called if called.startswith("neural-lens") else "neural-lens",
        description="Neural Lens: see inside neural networks, headless. (`neural-lens` or `python main.py` "
                    "without a subcommand opens the window.)",
    )
    parser.add_argument("--device", default=None, help="compute device: auto (default), cpu, cuda, cuda:1, mps")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name == "common":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    _tolerate_undecodable_names()
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    restart_clock()  # "seconds" in --json output: the job, not the process start
    try:
        return int(func(args) or 0)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
