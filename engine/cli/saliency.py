"""``saliency``: a class saliency map of a photo, written as a heat-map
overlay PNG (and optionally the raw map as .npy), with its deletion and
insertion AUC.

The map is computed on the model's evaluation view of the photo (centre
crop resized to 224x224, ``Classifier.prepare``), so the overlay and the
.npy map are 224x224.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from .common import CliError, finite, open_image, open_model, print_json, resolve_class

__all__ = ["register", "run_saliency", "save_npy", "writable_path"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..gradients import BASELINES, COLORMAPS, METHODS, REDUCTIONS

    p = subparsers.add_parser(
        "saliency", help="class saliency map of an image (overlay PNG, raw map, deletion/insertion AUC)",
        description="Compute a saliency map on the model's 224x224 view of IMAGE and write it as a "
                    "heat-map overlay. Gradients are taken w.r.t. the normalised input of the class logit.",
    )
    p.add_argument("image")
    p.add_argument("--target", default=None, help="class index or name (default: the predicted class)")
    p.add_argument("--method", choices=METHODS, default="vanilla", help="attribution method (default vanilla)")
    p.add_argument("--layer", default=None, help="Grad-CAM layer (see `layers`; default: the last one)")
    p.add_argument("--reduction", choices=REDUCTIONS, default="max", help="channel reduction of |gradient| (default max)")
    p.add_argument("--samples", type=int, default=25, help="SmoothGrad samples (default 25)")
    p.add_argument("--noise", type=float, default=0.15, help="SmoothGrad noise, fraction of the input range (default 0.15)")
    p.add_argument("--steps", type=int, default=50, help="Integrated Gradients steps (default 50)")
    p.add_argument("--baseline", choices=BASELINES, default="black", help="Integrated Gradients baseline (default black)")
    p.add_argument("--batch-size", type=int, default=16, help="images per forward/backward pass (default 16)")
    p.add_argument("--points", type=int, default=21, help="points on the deletion/insertion curves (default 21)")
    p.add_argument("--cmap", choices=COLORMAPS, default="inferno", help="colour map (default inferno)")
    p.add_argument("--opacity", type=float, default=0.5, help="overlay opacity 0..1 (default 0.5)")
    p.add_argument("--model", default=None, help="model name (see `models`) or a torchvision weight file")
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


def save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as .npy atomically (temporary file, then rename)."""
    path = Path(path)
    with atomic_write(path) as handle:
        np.save(handle, array, allow_pickle=False)
    return path


def run_saliency(args: argparse.Namespace) -> int:
    from ..gradients import SaliencyParams, compute_saliency, deletion_curve, insertion_curve, overlay
    from ..imaging import save_png

    out = writable_path(args.out, "--out")
    npy = writable_path(args.npy, "--npy") if args.npy else None
    finite("opacity", args.opacity, low=0, high=1)
    if not 2 <= args.points <= 1000:
        raise CliError(f"--points must be between 2 and 1000, got {args.points}")
    try:
        params = SaliencyParams(method=args.method, reduction=args.reduction, samples=args.samples, noise=args.noise,
                                steps=args.steps, baseline=args.baseline, layer=args.layer, batch_size=args.batch_size)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    image = open_image(args.image)
    model = open_model(args)
    if args.layer is not None and args.layer not in model.layer_names:
        raise CliError(f"model {model.name!r} has no layer {args.layer!r}; see `layers` for the list")
    view = model.prepare(image)
    x = model.preprocess(view)
    target = resolve_class(model, args.target) if args.target is not None else model.classify(view, 1, prepared=True)[0].index
    saliency = compute_saliency(model, x, target, params)[0]
    deletion = deletion_curve(model, x, saliency, target, points=args.points, batch_size=args.batch_size)
    insertion = insertion_curve(model, x, saliency, target, points=args.points, batch_size=args.batch_size)
    sal = saliency.detach().cpu().numpy().astype(np.float32)
    label = model.labels[target]
    save_png(out, overlay(view, sal, opacity=args.opacity, cmap=args.cmap), {
        "kind": "saliency", "model": model.name, "source": os.path.basename(args.image),
        "target": {"index": target, "label": label}, **params.describe(),
        "cmap": args.cmap, "opacity": args.opacity, "view": f"centre crop {view.shape[1]}x{view.shape[0]}",
        "deletion_auc": deletion.auc, "insertion_auc": insertion.auc,
    })
    if npy is not None:
        save_npy(npy, sal)
    if args.json:
        print_json({"target": {"index": target, "label": label}, "method": args.method,
                    "deletion_auc": deletion.auc, "insertion_auc": insertion.auc})
    else:
        print(f"{args.method} saliency for class {target} ({label}) written to {out}")
        print(f"deletion AUC {deletion.auc:.4f} (lower is better), insertion AUC {insertion.auc:.4f} (higher is better)")
    return 0
