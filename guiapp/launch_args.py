"""Reading the command line: the window (with files to open) or a headless
subcommand?

* ``neural-lens`` and ``neural-lens --device cuda``: the window;
* ``neural-lens photo.jpg [more.png …]`` (``--device`` anywhere): the window
  with ``photo.jpg`` as the current image;
* ``neural-lens classify photo.jpg``, ``neural-lens --help``: the CLI.

A first argument is a file when it is not a subcommand and looks like a path
(has a folder or a suffix, or exists).  A file that does not exist still opens
the window, which says what is wrong with it; a mistyped subcommand
(``clasify``) goes to the CLI, which says so.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["GuiLaunch", "looks_like_path", "parse_gui_args", "subcommand_names"]


@dataclass(frozen=True)
class GuiLaunch:
    device: str | None = None
    files: list[str] = field(default_factory=list)


def subcommand_names() -> set[str]:
    """The CLI's subcommands (imports the CLI's modules: called only when needed)."""
    from engine.cli import build_parser

    parser = build_parser()
    for action in parser._subparsers._group_actions:  # noqa: SLF001 - argparse keeps its subparsers here
        return set(action.choices)
    return set()


def looks_like_path(arg: str, is_subcommand: Callable[[str], bool]) -> bool:
    if not arg or arg.startswith("-"):
        return False
    base = os.path.basename(arg.rstrip("/\\"))
    if os.sep in arg or "/" in arg or "." in base.strip("."):
        return True
    return os.path.exists(arg) and not is_subcommand(arg)


def parse_gui_args(argv: Sequence[str], is_subcommand: Callable[[str], bool] | None = None) -> GuiLaunch | None:
    """A :class:`GuiLaunch` when ``argv`` asks for the window, ``None`` when
    it is for the headless CLI."""
    if is_subcommand is None:
        is_subcommand = lambda name: name in subcommand_names()  # noqa: E731
    device, files = None, []
    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--device" and i + 1 < len(args):
            device, i = args[i + 1], i + 2
            continue
        if arg.startswith("--device="):
            device, i = arg.split("=", 1)[1], i + 1
            continue
        if arg == "--":
            files.extend(args[i + 1:])
            break
        if arg.startswith("-"):
            return None     # --help and the like: the CLI answers
        if not files and not looks_like_path(arg, is_subcommand):
            return None     # a subcommand (or a mistyped one)
        files.append(arg)
        i += 1
    return GuiLaunch(device=device, files=files)
