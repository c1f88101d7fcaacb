"""``channels index FOLDER`` and ``channels top INDEX`` (the dataset index, :mod:`engine.index`)."""
from __future__ import annotations

import argparse
import os

from .common import CliError, ProgressBar, add_model_options, open_model, print_json


def register_index(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("index", help="index a folder of photos: every channel's top photos, every photo's maxima",
                            description="One forward pass per photo (sub-folders included) for every chosen layer; "
                                        "run again to add new or changed photos and drop removed ones.")
    p.add_argument("folder")
    p.add_argument("--out", required=True, help="the index file (.nlindex, SQLite); added to when it exists")
    p.add_argument("--layers", default=None, help="comma-separated layer names (default: every layer; see `layers`)")
    p.add_argument("--top", type=int, default=16, help="photos kept per channel (default 16)")
    p.add_argument("--batch", type=int, default=16, help="photos per forward pass (default 16)")
    p.add_argument("--shard", type=int, default=128, help="photos per shard: the unit of work and of saving (default 128)")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="a Dask distributed scheduler (tcp://host:8786): shards run on its workers")
    add_model_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_index)


def register_top(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("top", help="the photos of an index that excite a channel most")
    p.add_argument("index")
    p.add_argument("--layer", required=True)
    p.add_argument("--channel", type=int, required=True)
    p.add_argument("--k", type=int, default=16, help="number of photos (default 16, at most the index's top)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_top)


def register_similar(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("similar", help="the indexed photos whose channels respond most like a photo's")
    p.add_argument("index")
    p.add_argument("image")
    p.add_argument("--layer", required=True)
    p.add_argument("--k", type=int, default=8, help="number of photos (default 8)")
    add_model_options(p)   # the model the index was made with
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_similar)


def _positive(name: str, value: int) -> int:
    if value < 1:
        raise CliError(f"--{name} must be at least 1, got {value}")
    return value


def run_index(args: argparse.Namespace) -> int:
    from ..index import IndexFileError, ModelSpec, index_job
    from ..jobs import run_to_end

    for name in ("top", "batch", "shard"):
        _positive(name, getattr(args, name))
    if not os.path.isdir(args.folder):
        raise CliError(f"{args.folder}: not a folder")
    model = open_model(args)
    layers = [s.strip() for s in args.layers.split(",") if s.strip()] if args.layers else None
    bar = ProgressBar("indexing")
    job = index_job(model, args.folder, args.out, layers=layers, k=args.top, batch=args.batch, shard_size=args.shard,
                    cluster=args.cluster, model_factory=ModelSpec(args.model, args.device, arch=args.arch, labels=args.labels,
                                                        sidecar=args.sidecar, trust_code=args.trust_code))
    try:
        last, _ = run_to_end(job, bar)
    except (IndexFileError, ValueError, OSError) as exc:
        raise CliError(str(exc)) from None
    finally:
        bar.close()
    s = last.info
    payload = {"index": s.path, "photos": s.photos, "indexed": s.indexed, "kept": s.kept, "removed": s.removed,
               "changed": s.changed, "unreadable": [{"path": p, "reason": r} for p, r in s.unreadable],
               "stopped": s.stopped, "photos_per_s": round(s.indexed / max(s.seconds, 1e-9), 2)}
    if args.json:
        print_json(payload)
    else:
        print(f"{s.path}: {s.photos} photos ({s.indexed} indexed now, {s.kept} unchanged, {s.removed} removed) "
              f"in {s.seconds:.1f} s")
        for p, r in s.unreadable:
            print(f"  unreadable: {p}: {r}")
    return 0


def run_top(args: argparse.Namespace) -> int:
    from ..index import IndexFileError, top_photos

    _positive("k", args.k)
    try:
        found = top_photos(args.index, args.layer, args.channel, args.k)
    except IndexFileError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json({k: found[k] for k in ("layer", "channel", "photos")})
    else:
        print(f"{found['layer']}:{found['channel']} ({found['map'][0]}x{found['map'][1]} positions)")
        for p in found["photos"]:
            print(f"  {p['value']:9.4f}  y {p['y']:3d} x {p['x']:3d}  {p['path']}")
    return 0


def run_similar(args: argparse.Namespace) -> int:
    from ..channels import activations
    from ..index import IndexFileError, IndexStore, similar_photos
    from ..index.patches import same_model
    from .common import open_image

    _positive("k", args.k)
    image = open_image(args.image)
    model = open_model(args)
    try:
        store = IndexStore(args.index, readonly=True)
    except IndexFileError as exc:
        raise CliError(str(exc)) from None
    try:
        if not same_model(store, model):
            raise CliError(f"{args.index}: made with the model {store.meta['model']}, not {model.name}")
        store.layer(args.layer)
        found = similar_photos(store, activations(model, image, args.layer).max, args.layer, args.k)
    except IndexFileError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    if args.json:
        print_json(found)
    else:
        for p in found["photos"]:
            print(f"  {p['similarity']:.4f}  {p['path']}")
    return 0
