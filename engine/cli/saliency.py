"""``saliency``: a class saliency map of a photo, written as a heat-map
overlay PNG (and optionally the raw map as .npy), with its deletion and
insertion AUC.  The PNG carries its recipe (:mod:`engine.recipe`), so
``rerun`` makes the same overlay.

The map is computed by the same job as the Saliency tab
(:func:`engine.gradients.saliency_job`) on the model's view of the photo
(``Classifier.prepare``), so the overlay and the .npy map are that size.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from .common import CliError, add_model_options, finite, open_image, open_model, print_json, resolve_class
from .options import add_param_options, params_from_args

__all__ = ["register", "run_saliency", "writable_path"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..gradients import COLORMAPS, SaliencyParams

    p = subparsers.add_parser(
        "saliency", help="class saliency map of an image (overlay PNG, raw map, deletion/insertion AUC)",
        description="Compute a saliency map on the model's view of IMAGE (224x224 for Lite0) and write it as a "
                    "heat-map overlay. Gradients are taken w.r.t. the normalised input of the class logit.",
    )
    p.add_argument("image")
    p.add_argument("--target", default=None, help="class index or name (default: the predicted class)")
    add_param_options(p, SaliencyParams)
    p.add_argument("--points", type=int, default=21, help="points on the deletion/insertion curves (default 21)")
    p.add_argument("--cmap", choices=COLORMAPS, default="inferno", help="colour map (default inferno)")
    p.add_argument("--opacity", type=float, default=0.5, help="overlay opacity 0..1 (default 0.5)")
    add_model_options(p)
    p.add_argument("--out", required=True, help="overlay PNG to write")
    p.add_argument("--npy", default=None, help="also write the raw HxW float32 map as .npy")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_saliency)


def writable_path(path: str, option: str) -> Path:
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise CliError(f"{option} {path}: is a folder, not a file name")
    if not folder.is_dir():
        raise CliError(f"{option} {path}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise CliError(f"{option} {path}: folder {folder} is not writable")
    return target


def run_saliency(args: argparse.Namespace) -> int:
    from ..gradients import SaliencyParams, overlay, saliency_job
    from ..imaging import save_npy, save_png
    from ..jobs import Control
    from ..rerun import record_run, run_recorded

    out = writable_path(args.out, "--out")
    npy = writable_path(args.npy, "--npy") if args.npy else None
    finite("opacity", args.opacity, low=0, high=1)
    if not 2 <= args.points <= 1000:
        raise CliError(f"--points must be between 2 and 1000, got {args.points}")
    params = params_from_args(SaliencyParams, args)
    image = open_image(args.image)
    model = open_model(args)
    if args.layer is not None and args.layer not in model.layer_names:
        raise CliError(f"model {model.name!r} has no layer {args.layer!r}; see `layers` for the list")
    target = resolve_class(model, args.target) if args.target is not None else None
    control = Control(params)
    _, result = run_recorded(saliency_job(model, image, target, control=control, points=args.points), control)
    recipe = record_run("saliency", model=model, control=control, seed=0, output="overlay",
                        inputs={"target": result.target, "cmap": args.cmap, "opacity": args.opacity},
                        files={"source": (args.image, image)}, steps_done=1)
    save_png(out, overlay(result.view, result.saliency, opacity=args.opacity, cmap=args.cmap),
             result.metadata(source=args.image, cmap=args.cmap, opacity=args.opacity) | {"recipe": recipe.as_dict()})
    target, label, deletion, insertion, sal = result.target, result.label, result.deletion, result.insertion, result.saliency
    if npy is not None:
        save_npy(npy, sal)
    if args.json:
        print_json({"target": {"index": target, "label": label}, "method": params.method,
                    "deletion_auc": deletion.auc, "insertion_auc": insertion.auc})
    else:
        print(f"{params.method} saliency for class {target} ({label}) written to {out}")
        print(f"deletion AUC {deletion.auc:.4f} (lower is better), insertion AUC {insertion.auc:.4f} (higher is better)")
    return 0
