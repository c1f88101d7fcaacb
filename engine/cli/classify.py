"""``classify``, ``models`` and ``layers``: what the classifier sees and what is available."""
from __future__ import annotations

import argparse

from .common import CliError, add_model_options, open_image, open_model, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("classify", help="print the top-K classes of an image")
    p.add_argument("image")
    add_model_options(p)
    p.add_argument("--top", type=int, default=5, help="number of classes (default 5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_classify)

    p = subparsers.add_parser("models", help="list the classifiers available on this machine")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_models)

    p = subparsers.add_parser("layers", help="list a model's named layers in network order")
    add_model_options(p)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=run_layers)


def run_classify(args: argparse.Namespace) -> int:
    if not 1 <= args.top <= 1000:
        raise CliError(f"--top must be between 1 and 1000, got {args.top}")
    image = open_image(args.image)
    model = open_model(args)
    predictions = model.classify(image, top=args.top)
    if args.json:
        print_json({"predictions": [p.as_dict() for p in predictions]})
    else:
        for p in predictions:
            print(f"{p.prob:7.2%}  {p.index:4d}  {p.label}")
    return 0


def run_models(args: argparse.Namespace) -> int:
    from ..models import list_models

    models = list_models()
    if args.json:
        print_json({"models": [{"name": m.name, "description": m.description, "path": m.path} for m in models]})
    else:
        for m in models:
            print(f"{m.name:20s} {m.description}")
    return 0


def run_layers(args: argparse.Namespace) -> int:
    model = open_model(args)
    defaults = {tool: model.default_layer(tool) for tool in ("cam", "dream", "layers")}
    defaults = {tool: {"layer": d.layer, "reason": d.reason} for tool, d in defaults.items() if d is not None}
    if args.json:
        print_json({"model": model.name, "layers": model.layer_names, "defaults": defaults})
    else:
        print("\n".join(model.layer_names))
        for tool, d in defaults.items():
            print(f"# {tool}: {d['layer']} ({d['reason']})")
    return 0
