"""A recipe as a ``neural-lens-cli`` command line (:func:`command_line`).

A run that went as its form said -- no live change, no Stop, not a Continue,
its photos in files -- is one generating command with every parameter
spelled out (``classviz``, ``invert``, ``dream``, ``fool``, ``saliency``
for an overlay), which makes the same picture on the same machine.  A
diverse strip, a fooling image at the photo's size and a saliency map
without its photo have no generating command of their own: ``rerun``.  Any other run has no such command: what
changed and when is only in its recipe, so the command is ``rerun`` of the
saved PNG (or, unsaved, :class:`NoCommand` says why and what to do).
"""
from __future__ import annotations

import os
import shlex

from .params import specs
from .recipe import WHOLE_NETWORK_SUFFIXES, Recipe

__all__ = ["command_line", "NoCommand", "PROGRAM"]

PROGRAM = "neural-lens-cli"
_COMMANDS = {"classviz": "classviz", "accentuate": "classviz", "inversion": "invert", "deepdream": "dream",
             "guided": "dream", "fooling": "fool", "saliency": "saliency"}


class NoCommand(ValueError):
    """No command makes this picture yet; the message says why and what to do."""


def command_line(recipe: Recipe, *, saved: str | None = None, out: str = "again.png") -> str:
    """The command that makes the recipe's picture as ``out``: the generating
    command when the run has one, else ``rerun`` of ``saved`` (the PNG it is in)."""
    why = _why_not_plain(recipe)
    if why is None:
        return shlex.join(_plain(recipe, out))
    if saved is None:
        raise NoCommand(f"{why}, which only its recipe records: save the picture, then copy the command "
                        f"(it will be `{PROGRAM} rerun` of the saved file)")
    return shlex.join([PROGRAM, "rerun", saved, "--out", out])


def _why_not_plain(recipe: Recipe) -> str | None:
    if recipe.job not in _COMMANDS or recipe.output == "map":
        return "no single command makes this kind of picture"
    if recipe.timeline.changes:
        return "its parameters changed while it ran"
    if recipe.timeline.stop_at is not None:
        return "it was stopped early"
    if recipe.continues is not None:
        return "it continued another picture"
    if any(ref.path is None for ref in recipe.files.values()):
        return "a photo it used came from no file"
    if recipe.model_file is not None and "preprocessing" in recipe.model_file:
        return "its model's preprocessing was chosen in the window (Model ▸ Preprocessing…)"
    if any(not spec.cli for spec in specs(recipe.params).values()):
        return "a parameter it used has no command-line option"
    return None


def _plain(recipe: Recipe, out: str) -> list[str]:
    argv = [PROGRAM, "--device", recipe.made_with.get("device", "cpu"), _COMMANDS[recipe.job]]
    if "source" in recipe.files:  # accentuation's photo is an option of classviz
        argv += (["--accentuate"] if recipe.job == "accentuate" else []) + [recipe.files["source"].path]
    inputs = recipe.inputs
    if "target" in inputs:
        argv += ["--target", str(inputs["target"])]
    if "objective" in inputs:
        argv += ["--objective", inputs["objective"]]
    if "layer" in inputs:
        argv += ["--layer", inputs["layer"]]
    if "guide" in recipe.files:
        argv += ["--guide", recipe.files["guide"].path]
    if recipe.model_file is not None:
        path = recipe.model_file["path"]
        argv += ["--model", path] + ([] if path.lower().endswith(WHOLE_NETWORK_SUFFIXES)
                                     else ["--arch", recipe.model_file["arch"]])
    else:
        argv += ["--model", recipe.model]
    if recipe.job not in ("fooling", "saliency"):  # saliency's seed is one of its parameters
        argv += ["--seed", str(recipe.seed)]
    for name, spec in specs(recipe.params).items():
        value = getattr(recipe.params, name)
        if value is not None:  # an optional parameter left out is its default
            argv += [spec.option, value if isinstance(value, str) else repr(value)]  # repr: a float read back exactly
    if recipe.job == "saliency":
        argv += ["--cmap", inputs["cmap"], "--opacity", repr(inputs["opacity"])]
    if recipe.output == "difference":
        return argv + ["--out", os.path.join(os.path.dirname(out), "fooled.png"), "--difference", out]
    return argv + ["--out", out]
