"""``channels``: the most active channels of a layer for a photo (the Layers
tab's ranking, headless)."""
from __future__ import annotations

import argparse

from .common import CliError, add_model_options, open_image, open_model, print_json


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("channels", help="the most active channels of a layer for an image")
    p.add_argument("image")
    p.add_argument("--layer", required=True, help="layer name (see `layers`)")
    p.add_argument("--top", type=int, default=10, help="number of channels (default 10)")
    p.add_argument("--by", choices=("mean", "max"), default="mean", help="rank by mean or max activation (default mean)")
    add_model_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_channels)


def run_channels(args: argparse.Namespace) -> int:
    from ..channels import activations, channel_ranking

    if args.top < 1:
        raise CliError(f"--top must be at least 1, got {args.top}")
    image = open_image(args.image)
    model = open_model(args)
    try:
        model.layer(args.layer)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    acts = activations(model, image, args.layer)
    order = channel_ranking(acts, args.by)[: args.top]
    rows = [{"channel": int(c), "mean": float(acts.mean[c]), "max": float(acts.max[c])} for c in order]
    if args.json:
        print_json({"layer": args.layer, "channels": rows})
    else:
        print(f"{args.layer}: {acts.channels} channels, {acts.maps.shape[2]}x{acts.maps.shape[1]} positions")
        for r in rows:
            print(f"  channel {r['channel']:5d}  mean {r['mean']:9.4f}  max {r['max']:9.4f}")
    return 0
