"""``rerun``: make a saved result again from the recipe in its PNG.

Reads the recipe (:mod:`engine.recipe`; a damaged, hand-edited or newer one
is refused naming the field), finds the photos it used (``--source`` /
``--guide`` for ones that moved; used only when their SHA-256 matches),
loads its model and checks the weights' hash, replays the job with the
recorded live changes and Stop (:mod:`engine.rerun`), writes the picture with
the same embedded text, and says whether the pixels are identical -- else the
largest pixel difference and which versions differ from the machine that
made it.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from .common import CliError, open_image, print_json, restart_clock


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("rerun", help="make a saved result again from its recipe (same pixels)")
    p.add_argument("result", help="a PNG saved by Neural Lens (the window or the CLI)")
    p.add_argument("--out", required=True, help="output PNG")
    p.add_argument("--source", action="append", default=[], metavar="PATH",
                   help="where the source photo is now (used only if its SHA-256 matches the recipe's)")
    p.add_argument("--guide", action="append", default=[], metavar="PATH",
                   help="where the guide photo is now (used only if its SHA-256 matches the recipe's)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--model-file", default=None, metavar="PATH",
                   help="where the recipe's own model file is now (used only if its SHA-256 matches the recipe's)")
    p.add_argument("--trust-code", action="store_true",
                   help="allow the recipe's model file to run code when it loads (a pickled model): only for files "
                        "you trust")
    p.set_defaults(func=run_rerun)


def _open_model(name: str, device: str | None, **options):
    from ..models import ModelLoadError, load_model

    try:
        return load_model(name, device=device, **options)
    except (ModelLoadError, ValueError) as exc:
        raise CliError(f"the recipe's model {name} cannot be loaded here: {exc}") from None
    finally:
        restart_clock()


def _model_to_load(recipe, args: argparse.Namespace) -> tuple[str, dict]:
    """The network's name, or a user's model file (at ``--model-file`` or its recorded
    path, only with the recorded SHA-256) and its options."""
    from ..recipe import file_sha256

    known = recipe.model_file
    if known is None:
        return recipe.model, {}
    path = args.model_file or known["path"]
    wanted = f"SHA-256 {known['sha256']}"
    if not os.path.isfile(path):
        raise CliError(f"the recipe's model file {known['path']} is not there any more; name where it is now with "
                       f"--model-file PATH (it must have {wanted})")
    if file_sha256(path) != known["sha256"]:
        raise CliError(f"the model file {path} is not the recipe's (it must have {wanted})")
    options = {"arch": known["arch"], "trust_code": args.trust_code}
    if "preprocessing" in known:   # chosen in the window
        from ..models.preprocessing import Preprocessing

        options["preprocessing"] = Preprocessing(**known["preprocessing"])
    return path, options


def _device(args: argparse.Namespace, recipe) -> tuple[str | None, str]:
    """The device asked for, else the recipe's where it exists here, else the best one."""
    if args.device:
        return args.device, ""
    from ..device import choose_device

    wanted = recipe.made_with["device"]
    try:
        choose_device(wanted)
    except ValueError:
        return None, f"{wanted} is not available here"
    return wanted, ""


def run_rerun(args: argparse.Namespace) -> int:
    import torch

    from ..imaging import read_png_params, save_png
    from ..recipe import RecipeError
    from ..recipe_read import read_recipe
    from ..rerun import check_inputs, check_model, find_photos, replay, version_differences
    from .generate import _out_path

    try:
        recipe = read_recipe(args.result)
        out = _out_path(args.out)
        photos = find_photos(recipe, [*args.source, *args.guide])
    except RecipeError as exc:
        raise CliError(str(exc)) from None
    device, note = _device(args, recipe)
    name, options = _model_to_load(recipe, args)
    model = _open_model(name, device, **options)
    threads = torch.get_num_threads()
    try:
        check_model(recipe, model)
        check_inputs(recipe, model)
        model.tune(channels_last=recipe.made_with["channels_last"], fold_batchnorm=recipe.made_with["fold_batchnorm"])
        torch.set_num_threads(max(1, recipe.made_with["torch_threads"]))  # float sums split the same way
        image = replay(recipe, model, photos)
    except RecipeError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:  # the job refused an input
        raise CliError(f"{args.result}: the recipe's job refused to start: {exc}") from None
    finally:
        torch.set_num_threads(threads)
    differs = version_differences(recipe, model) + ([note] if note else [])
    try:
        save_png(out, image, read_png_params(args.result))
    except OSError as exc:
        raise CliError(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    _report(args, out, open_image(args.result), image, differs, recipe)
    return 0


def _report(args, out: Path, before: np.ndarray, after: np.ndarray, differs: list[str], recipe) -> None:
    same_shape = before.shape == after.shape
    largest = int(np.abs(before.astype(np.int16) - after.astype(np.int16)).max()) if same_shape else None
    identical = same_shape and largest == 0
    payload = {"out": str(out), "identical": identical, "largest_difference": largest, "job": recipe.job,
               "model": recipe.model, "steps_done": recipe.steps_done, "versions_differ": differs}
    if args.json:
        print_json(payload)
        return
    if identical:
        text = f"{out}: identical pixels to {args.result}"
    elif same_shape:
        text = f"{out}: pixels differ from {args.result} by at most {largest} (0..255)"
    else:
        text = f"{out}: {after.shape[1]}x{after.shape[0]} pixels, not {before.shape[1]}x{before.shape[0]} as {args.result}"
    if differs:
        text += "\nmade with other versions: " + "; ".join(differs)
    print(text)
