"""``channels``: the most active channels of a layer for a photo (the Layers
tab's ranking, headless), and the dataset index: ``channels index FOLDER``
(every channel's top photos over a folder, see :mod:`engine.index`) and
``channels top INDEX`` (a channel's top photos from it), ``channels similar
INDEX IMAGE`` (the indexed photos whose channels respond like the image's)."""
from __future__ import annotations

import argparse

from .common import CliError, add_model_options, chosen_layer, open_image, open_model, print_json

COMMANDS = ("rank", "index", "top", "similar")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("channels", help="the channels of a layer: for an image (rank), or over a folder (index, top)",
                              description="channels IMAGE [--layer L] (same as channels rank IMAGE [--layer L]; "
                                          "without --layer a model file's own Layers default, named on stderr), "
                                          "channels index FOLDER, channels top INDEX")
    commands = p.add_subparsers(dest="channels_command", metavar="{rank,index,top,similar}")
    p.__class__ = _rank_by_default(type(p))  # after add_subparsers: its commands keep the usual parser class
    _register_rank(commands)
    from .channel_index import register_index, register_similar, register_top

    register_index(commands)
    register_top(commands)
    register_similar(commands)


def _rank_by_default(parser_class: type) -> type:
    """A parser that reads ``channels IMAGE ...`` as ``channels rank IMAGE ...`` (the command before the index
    existed)."""

    class ChannelsParser(parser_class):
        def parse_known_args(self, args=None, namespace=None):
            if args and args[0] not in COMMANDS and args[0] not in ("-h", "--help"):
                args = ["rank", *args]
            return super().parse_known_args(args, namespace)

    return ChannelsParser


def _register_rank(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("rank", help="the most active channels of a layer for an image")
    p.add_argument("image")
    p.add_argument("--layer", default=None,
                   help="layer name (see `layers`; default: the model's own Layers layer, e.g. the middle of a "
                        "model file's network, said on stderr; the bundled networks need it)")
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
    layer = chosen_layer(model, args.layer, "layers")
    acts = activations(model, image, layer)
    order = channel_ranking(acts, args.by)[: args.top]
    rows = [{"channel": int(c), "mean": float(acts.mean[c]), "max": float(acts.max[c])} for c in order]
    if args.json:
        print_json({"layer": layer, "channels": rows})
    else:
        print(f"{layer}: {acts.channels} channels, {acts.maps.shape[2]}x{acts.maps.shape[1]} positions")
        for r in rows:
            print(f"  channel {r['channel']:5d}  mean {r['mean']:9.4f}  max {r['max']:9.4f}")
    return 0
