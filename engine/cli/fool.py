"""``fool``: turn a photo into a fooling image for a target class
(Szegedy et al. 2014) and save it as an 8-bit PNG that is still classified
as the target when read back.

Works on the model's 224x224 evaluation view of the photo (centre crop,
``Classifier.prepare``); the saved PNG is that view, and ``predicted`` in
the JSON is the model's top class for the PNG read back from disk.
"""
from __future__ import annotations

import argparse
import os

from .common import CliError, ProgressBar, open_image, open_model, print_json, resolve_class
from .saliency import writable_path

__all__ = ["register", "run_fool"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "fool", help="gradient ascent on a target class until the network is fooled; save the 8-bit PNG",
        description="Fooling image (Szegedy et al. 2014): steps dX = lr * g / ||g||_2 on the target logit in "
                    "the normalised input space, on the model's 224x224 view of IMAGE, until the saved 8-bit "
                    "image is classified as the target or --max-iter steps are spent.",
    )
    p.add_argument("image")
    p.add_argument("--target", required=True, help="target class index or name")
    p.add_argument("--lr", type=float, default=1.0, help="step length in the normalised input space (default 1.0)")
    p.add_argument("--max-iter", type=int, default=100, help="most gradient steps (default 100)")
    p.add_argument("--model", default=None, help="model name (see `models`) or a torchvision weight file")
    p.add_argument("--out", required=True, help="fooling image PNG to write (parameters embedded)")
    p.add_argument("--difference", default=None, help="also write the magnified difference image PNG")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_fool)


def run_fool(args: argparse.Namespace) -> int:
    from ..gradients import FoolParams, fool
    from ..imaging import load_image, save_png
    from ..jobs import Control, run_to_end

    out = writable_path(args.out, "--out")
    diff_path = writable_path(args.difference, "--difference") if args.difference else None
    try:
        params = FoolParams(lr=args.lr, max_iter=args.max_iter)
    except ValueError as exc:
        raise CliError(f"{exc} (--lr / --max-iter)") from None
    image = open_image(args.image)
    model = open_model(args)
    target = resolve_class(model, args.target)
    bar = ProgressBar(f"fooling -> {model.labels[target]}")
    try:
        _, result = run_to_end(fool(model, image, target, control=Control(params)), bar)
    finally:
        bar.close()
    common = {
        "model": model.name, "source": os.path.basename(args.image), "target": {"index": target, "label": result.target_label},
        "lr": params.lr, "max_iter": params.max_iter, "iterations": result.iterations, "success": result.success,
        "l2": result.l2, "linf": result.linf, "view": f"centre crop {result.image.shape[1]}x{result.image.shape[0]}",
    }
    save_png(out, result.image, {"kind": "fooling", **common})
    if diff_path is not None:
        diff, factor = result.difference()
        save_png(diff_path, diff, {"kind": "fooling-difference", "magnification": factor, **common})
    predicted = model.classify(load_image(out), 1, prepared=True)[0]
    if args.json:
        print_json({"success": result.success and predicted.index == target, "iterations": result.iterations,
                    "target": {"index": target, "label": result.target_label}, "predicted": predicted.as_dict(),
                    "l2": result.l2, "linf": result.linf})
    else:
        before = result.original_prediction
        status = "fooled" if result.success else f"NOT fooled after {result.iterations} steps"
        print(f"{status}: {before.label} ({before.prob:.1%}) -> {predicted.label} ({predicted.prob:.1%}) "
              f"in {result.iterations} steps; perturbation L2 {result.l2:.1f}, Linf {result.linf:.0f} (0..255 units)")
        print(f"saved {out}")
    return 0
