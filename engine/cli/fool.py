"""``fool``: turn a photo into a fooling image for a target class
(Szegedy et al. 2014) and save it as an 8-bit PNG that is still classified
as the target when read back.

Works on the model's view of the photo (``Classifier.prepare``: centre crop
resized to the input size); the saved PNG is that view, and ``predicted`` in
the JSON is the model's top class for the PNG read back from disk the way
every reader reads it (a picture at the input size is taken as it is).
With ``--full-size`` the perturbation is carried onto the photo at its own
size (:mod:`engine.gradients.fooling_full_size`) and that is saved.
"""
from __future__ import annotations

import argparse

from .common import ProgressBar, add_judge_option, add_model_options, open_image, open_judge, open_model, report, resolve_class
from .options import add_param_options, params_from_args
from .saliency import writable_path

__all__ = ["register", "run_fool"]


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..gradients import FoolParams

    p = subparsers.add_parser(
        "fool", help="gradient ascent on a target class until the network is fooled; save the 8-bit PNG",
        description="Fooling image (Szegedy et al. 2014): steps dX = lr * g / ||g||_2 on the target logit in "
                    "the normalised input space, on the model's view of IMAGE (224x224 for Lite0), until the saved 8-bit "
                    "image is classified as the target or --max-iter steps are spent.",
    )
    p.add_argument("image")
    p.add_argument("--target", required=True, help="target class index or name")
    add_param_options(p, FoolParams)
    add_model_options(p)
    p.add_argument("--out", required=True, help="fooling image PNG to write (parameters embedded)")
    p.add_argument("--difference", default=None, help="also write the magnified difference image PNG")
    p.add_argument("--full-size", action="store_true",
                   help="save the photo at its own size with the perturbation carried onto it (more steps at full "
                        "size until it reads back as the target; --max-iter bounds them too)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_judge_option(p)
    p.set_defaults(func=run_fool)


def run_fool(args: argparse.Namespace) -> int:
    from ..gradients import FoolParams, fool, fool_full_size
    from ..imaging import load_image, save_png
    from ..jobs import Control
    from ..rerun import record_run, run_recorded

    out = writable_path(args.out, "--out")
    diff_path = writable_path(args.difference, "--difference") if args.difference else None
    params = params_from_args(FoolParams, args)
    image = open_image(args.image)
    open_judge(args)
    model = open_model(args)
    target = resolve_class(model, args.target)
    bar = ProgressBar(f"fooling -> {model.labels[target]}")
    control = Control(params)
    try:
        _, result = run_recorded(fool(model, image, target, control=control), control, bar)
    finally:
        bar.close()

    def recipe(output: str) -> dict:  # how the 224-px picture was made
        return {"recipe": fooled(output).as_dict()}

    def fooled(output: str):
        return record_run("fooling", model=model, control=control, seed=0, inputs={"target": target},
                          files={"source": (args.image, image)}, steps_done=result.iterations, output=output)

    meta = result.metadata(source=args.image, lr=params.lr, max_iter=params.max_iter)
    full = None
    if args.full_size:  # its recipe: the full-size steps, made from the fooling run it continues
        more = Control(params)
        _, full = run_recorded(fool_full_size(model, image, result, control=more), more)
        meta = full.metadata(meta) | {"recipe": record_run(
            "fullsize", model=model, control=more, seed=0, inputs={"target": target},
            files={"source": (args.image, image)}, steps_done=full.iterations, continues=fooled("image")).as_dict()}
    save_png(out, result.image if full is None else full.image, meta if full is not None else meta | recipe("image"))
    if diff_path is not None:
        save_png(diff_path, result.difference()[0],
                 result.metadata("fooling-difference", source=args.image, lr=params.lr, max_iter=params.max_iter)
                 | recipe("difference"))
    saved = load_image(out)
    predicted = model.classify(saved, 1)[0]
    before = result.original_prediction
    success = predicted.index == target and (result.success if full is None else full.success)
    status = "fooled" if success else f"NOT fooled after {result.iterations} steps"
    l2, linf = (result.l2, result.linf) if full is None else (full.l2, full.linf)
    answer = {"success": success, "iterations": result.iterations,
              "target": {"index": target, "label": result.target_label}, "predicted": predicted.as_dict(),
              "l2": l2, "linf": linf}
    if full is not None:
        answer["full_size"] = full.as_dict()
    steps = f"{result.iterations} steps" + ("" if full is None else f" + {full.iterations} at full size")
    report(args, answer,
           f"{status}: {before.label} ({before.prob:.1%}) -> {predicted.label} ({predicted.prob:.1%}) "
           f"in {steps}; perturbation L2 {l2:.1f}, Linf {linf:.0f} (0..255 units)\n"
           f"saved {out} ({saved.shape[1]}x{saved.shape[0]})", saved)
    return 0
