"""``classviz``, ``invert`` and ``dream``: image generation from the command line.

Each runs the same engine generator as the Dreaming tab, with a progress bar
on a terminal, saves the result with :func:`engine.imaging.save_png` (the
parameters embedded) and, with ``--json``, prints numbers measured on the
saved PNG read back.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ..jobs import Control, run_to_end
from .common import (
    CliError,
    ProgressBar,
    add_judge_option,
    add_model_options,
    check_seed,
    chosen_layer,
    open_image,
    open_judge,
    open_model,
    report,
    resolve_class,
)
from .options import add_param_options, params_from_args


def _image_and_layer(p: argparse.ArgumentParser) -> None:
    p.add_argument("image")
    p.add_argument("--layer", default=None, help="layer name (see `layers`; default: the model's DeepDream layer, "
                                                   "when it names one)")


def register(subparsers: argparse._SubParsersAction) -> None:
    from ..generation import AccentParams, DreamParams, InversionParams

    p = subparsers.add_parser("classviz", help="generate an image the network classifies as CLASS")
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--target", help="class index or name, e.g. 76 or tarantula")
    goal.add_argument("--objective", help="a channel, a neuron or sums of them instead of a class: "
                                          "blocks.8:12, blocks.8:12@3,4, blocks.8:12 - 0.5*blocks.8:7")
    p.add_argument("--diverse", type=int, default=None, metavar="N",
                   help="with --objective: N visualizations pushed apart (Olah et al. 2017), saved side by side")
    p.add_argument("--diversity-weight", type=float, default=None, help="weight of the diversity term (default 50)")
    p.add_argument("--seed", type=int, default=0, help="random seed of the starting noise and the jitter (default 0)")
    p.add_argument("--accentuate", metavar="PHOTO", default=None,
                   help="feature accentuation (Hamblin et al. 2024): start from PHOTO and push the class or objective "
                        "while --closeness keeps the picture close to the photo")
    p.add_argument("--mask", metavar="PNG", default=None,
                   help="also save the importance mask (where the objective's gradient fell, accumulated; MACO's mask)")
    add_param_options(p, AccentParams, aliases={"parameterization": ("--param",)},
                      defaults={"parameterization": "the network's own (README: class visualization grid); "
                                                    "fourier when accentuating",
                                "size": "224", "steps": "512 fourier and maco, 200 pixels, 96 accentuating",
                                "lr": "the parameterisation's"})
    _common(p)
    p.set_defaults(func=run_classviz)

    p = subparsers.add_parser("invert", help="reconstruct an image from its features at LAYER")
    _image_and_layer(p)
    p.add_argument("--seed", type=int, default=0)
    add_param_options(p, InversionParams, defaults={"size": "the model's input size"})
    _common(p)
    p.set_defaults(func=run_invert)

    p = subparsers.add_parser("dream", help="DeepDream an image at LAYER (guided with --guide)")
    _image_and_layer(p)
    p.add_argument("--guide", default=None, help="guide image: dream towards its features")
    p.add_argument("--seed", type=int, default=0)
    add_param_options(p, DreamParams)
    _common(p)
    p.set_defaults(func=run_dream)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output PNG")
    add_model_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    add_judge_option(p)


def _out_path(path: str) -> Path:
    out = Path(path)
    if out.suffix.lower() != ".png":
        raise CliError(f"--out must name a .png file, got {path}")
    if out.is_dir():
        raise CliError(f"--out {path} is a folder")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise CliError(f"--out {path}: the folder {folder} does not exist")
    return out


def _run(job, label: str, control: Control | None = None):
    """Drive ``job`` with a progress bar; with its ``control``, recorded for the recipe."""
    from ..rerun import run_recorded

    bar = ProgressBar(label)
    try:
        last, result = run_recorded(job, control, bar) if control is not None else run_to_end(job, bar)
    finally:
        bar.close()
    return last, result


def _recipe(job: str, model, control: Control, last, seed: int, **given) -> dict:
    """The ``recipe`` entry of the saved PNG (:mod:`engine.recipe`)."""
    from ..rerun import record_run

    return {"recipe": record_run(job, model=model, control=control, seed=seed, steps_done=last.step if last else 0,
                                 **given).as_dict()}


def _save(out: Path, image: np.ndarray, params: dict) -> np.ndarray:
    from ..imaging import load_image, save_png

    try:
        save_png(out, image, params)
    except OSError as exc:
        raise CliError(f"--out {out}: cannot write ({exc.strerror or exc})") from None
    return load_image(out)


def run_classviz(args: argparse.Namespace) -> int:
    import torch

    from ..generation import ClassVizParams, class_visualization
    from ..imaging import resize

    check_seed(args.seed)
    if args.accentuate is not None:
        return _accentuate(args, args.parameterization or "fourier")
    kind = args.parameterization or _recommended(args.model)
    _refuse_accent_options(args)
    params = params_from_args(ClassVizParams, args, base=ClassVizParams.defaults(kind))
    out = _out_path(args.out)
    mask = _out_path(args.mask) if args.mask else None
    open_judge(args)
    model = open_model(args)
    if args.objective is not None:
        return _visualize_units(args, model, params, out, mask)
    index = resolve_class(model, args.target)
    control = Control(params)
    last, image = _run(class_visualization(model, index, control=control, seed=args.seed),
                       f"classviz {model.labels[index]}", control)
    _save_mask(mask, last)
    saved = _save(out, image, {"mode": "class visualization", "model": model.name, "target": index,
                                "label": model.labels[index], "seed": args.seed, **params.as_dict(),
                                **_recipe("classviz", model, control, last, args.seed, inputs={"target": index})})
    view = resize(saved, (model.input_size, model.input_size))
    with torch.no_grad():
        probs = model.probabilities(model.preprocess(view))[0]
    prob = float(probs[index])
    top = model.top(probs, 1)[0]
    report(args, {"target": {"index": index, "label": model.labels[index]}, "prob": prob,
                  "top": top.as_dict(), "out": str(out), "params": params.as_dict()},
           f"{out}: {model.labels[index]} with probability {prob:.4f} (top class: {top.label}, {top.prob:.4f})", saved)
    return 0


def _recommended(model: str | None) -> str:
    """The parameterisation class visualization starts with on ``--model`` (a bundled network's own)."""
    from ..generation.classviz import recommended_parameterization
    from ..models.registry import DEFAULT_MODEL, canonical_name

    return recommended_parameterization(canonical_name(model) if model else DEFAULT_MODEL)


def _visualize_units(args: argparse.Namespace, model, params, out: Path, mask: Path | None) -> int:
    """``classviz --objective``: maximise a channel, a neuron or a sum of them."""
    import torch

    from ..generation import class_visualization
    from ..generation.unit_objectives import parse_objective
    from ..imaging import resize

    try:
        objective = parse_objective(args.objective).check(model)
    except ValueError as exc:
        raise CliError(f"--objective: {exc}") from None
    if args.diverse is not None:
        from ..generation.diversity import DiversityParams, diverse_visualizations

        values = {"count": args.diverse, "size": params.size, "steps": params.steps}
        if args.diversity_weight is not None:
            values["weight"] = args.diversity_weight
        try:
            diversity = DiversityParams(**values)
        except ValueError as exc:
            raise CliError(f"--diverse / --diversity-weight: {exc}") from None
        control = Control(diversity)
        last, _ = _run(diverse_visualizations(model, objective, control=control, seed=args.seed),
                       f"classviz {objective.label} x{diversity.count}", control)
        image, parts = last.image, last.extra["images"]
    else:
        control = Control(params)
        last, image = _run(class_visualization(model, objective, control=control, seed=args.seed),
                           f"classviz {objective.label}", control)
        _save_mask(mask, last)
        parts = None
    recipe = _recipe("classviz" if parts is None else "diverse", model, control, last, args.seed,
                     inputs={"objective": args.objective})
    saved = _save(out, image, {"mode": "class visualization", "model": model.name, "objective": objective.label,
                                "seed": args.seed, **params.as_dict(), **recipe})
    with torch.no_grad():  # measured on the saved PNG (each image of a diverse strip on its own)
        pieces = [saved] if parts is None else [saved[:, k * (params.size + 4):k * (params.size + 4) + params.size]
                                                 for k in range(len(parts))]
        value = sum(float(objective(model, model.preprocess(resize(p, (model.input_size,) * 2)))) for p in pieces)
        value /= len(pieces)
    report(args, {"objective": objective.label, "value": value, "out": str(out), "params": params.as_dict()},
           f"{out}: {objective.label} = {value:.4g}", saved)
    return 0


def _save_mask(path: Path | None, last) -> None:
    """``--mask``: the final frame's importance mask as a grey PNG (white = where the gradient fell)."""
    mask = getattr(getattr(last, "info", None), "mask", None)
    if path is None or mask is None:
        return
    grey = np.round(mask * 255.0).astype(np.uint8)
    _save(path, np.repeat(grey[..., None], 3, axis=2), {"mode": "importance mask"})


_ACCENT_ONLY = ("closeness", "space")


def _refuse_accent_options(args: argparse.Namespace) -> None:
    given = [name for name in _ACCENT_ONLY if getattr(args, name, None) is not None]
    if given:
        raise CliError(f"--{given[0]} applies only with --accentuate PHOTO")


def _accentuate(args: argparse.Namespace, kind: str) -> int:
    """``classviz --accentuate PHOTO``: feature accentuation of the photo towards the class or objective."""
    import torch

    from ..generation import AccentParams, accentuate
    from ..generation.unit_objectives import parse_objective

    if args.diverse is not None:
        raise CliError("--diverse does not combine with --accentuate")
    params = params_from_args(AccentParams, args, base=AccentParams.defaults(kind))
    photo = open_image(args.accentuate)
    out = _out_path(args.out)
    mask = _out_path(args.mask) if args.mask else None
    open_judge(args)
    model = open_model(args)
    if args.objective is not None:
        try:
            target = parse_objective(args.objective).check(model)
        except ValueError as exc:
            raise CliError(f"--objective: {exc}") from None
    else:
        target = resolve_class(model, args.target)
    control = Control(params)
    label = model.labels[target] if isinstance(target, int) else target.label
    try:
        last, image = _run(accentuate(model, photo, target, control=control, seed=args.seed), f"accentuate {label}",
                           control)
    except ValueError as exc:  # space 'features' on a model that names no layers
        raise CliError(f"--space: {exc}") from None
    _save_mask(mask, last)
    inputs = {"target": target} if isinstance(target, int) else {"objective": args.objective}
    recipe = _recipe("accentuate", model, control, last, args.seed, inputs=inputs,
                     files={"source": (args.accentuate, photo)})
    saved = _save(out, image, {"mode": "feature accentuation", "model": model.name, "source": str(args.accentuate),
                                "objective": label, "seed": args.seed, **params.as_dict(), **recipe})
    original = last.extra["original"]

    def value(picture: np.ndarray) -> float:
        with torch.no_grad():
            x = model.preprocess(picture)
            return float(model.logits(x)[0, target]) if isinstance(target, int) else float(target(model, x))

    before, after = value(original), value(saved)
    rms = float(np.sqrt(np.mean((saved.astype(np.float64) - original.astype(np.float64)) ** 2)))
    with torch.no_grad():
        top = model.top(model.probabilities(model.preprocess(saved))[0], 1)[0]
    report(args, {"objective": label, "before": before, "after": after, "rms_distance": rms, "top": top.as_dict(),
                  "out": str(out), "params": params.as_dict()},
           f"{out}: {label} {before:.4g} -> {after:.4g}, RMS distance to the photo {rms:.1f} (0-255), "
           f"top class {top.label} ({top.prob:.4f})", saved)
    return 0


def run_invert(args: argparse.Namespace) -> int:
    from ..generation import InversionParams, feature_inversion, relative_feature_distance

    check_seed(args.seed)
    params_from_args(InversionParams, args)  # a refused option is reported before anything loads
    image = open_image(args.image)
    out = _out_path(args.out)
    open_judge(args)
    model = open_model(args)
    layer = chosen_layer(model, args.layer, "dream")
    params = params_from_args(InversionParams, args, size=model.input_size)
    control = Control(params)
    last, result = _run(feature_inversion(model, image, layer, control=control, seed=args.seed), f"invert {layer}",
                        control)
    original = last.extra["original"]
    recipe = _recipe("inversion", model, control, last, args.seed, inputs={"layer": layer},
                     files={"source": (args.image, image)})
    saved = _save(out, result, {"mode": "feature inversion", "model": model.name, "layer": layer,
                                 "source": str(args.image), "seed": args.seed, **params.as_dict(), **recipe})
    distance = relative_feature_distance(model, saved, original, layer)
    corr = float(np.corrcoef(original.astype(float).ravel(), saved.astype(float).ravel())[0, 1])
    report(args, {"layer": layer, "distance": distance, "correlation": corr, "out": str(out), "params": params.as_dict()},
           f"{out}: relative feature distance at {layer} {distance:.4f}, pixel correlation {corr:.3f}", saved)
    return 0


def run_dream(args: argparse.Namespace) -> int:
    from ..generation import DreamParams, deepdream, layer_objective

    check_seed(args.seed)
    params = params_from_args(DreamParams, args)
    image = open_image(args.image)
    guide = open_image(args.guide) if args.guide else None
    out = _out_path(args.out)
    open_judge(args)
    model = open_model(args)
    layer = chosen_layer(model, args.layer, "dream")
    tile = params.tile or 512
    before = layer_objective(model, image, layer, guide=guide, tile=tile)
    control = Control(params)
    last, result = _run(deepdream(model, image, layer, control=control, guide=guide, seed=args.seed),
                        f"{'guided ' if guide is not None else ''}dream {layer}", control)
    photos = {"source": (args.image, image)} | ({"guide": (args.guide, guide)} if guide is not None else {})
    recipe = _recipe("guided" if guide is not None else "deepdream", model, control, last, args.seed,
                     inputs={"layer": layer}, files=photos)
    saved = _save(out, result, {"mode": "guided deepdream" if guide is not None else "deepdream", "model": model.name,
                                 "layer": layer, "source": str(args.image), "guide": args.guide, "seed": args.seed,
                                 **params.as_dict(), **recipe})
    after = layer_objective(model, saved, layer, guide=guide, tile=tile)
    kind = "guide objective" if guide is not None else "layer objective"
    skipped = f" ({last.extra['skipped']})" if last is not None and last.extra.get("skipped") else ""
    report(args, {"layer": layer, "guided": guide is not None, "objective_before": before, "objective_after": after,
                  "out": str(out), "params": params.as_dict()},
           f"{out}: {kind} at {layer} {before:.4g} -> {after:.4g}{skipped}", saved)
    return 0
