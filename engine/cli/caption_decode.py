"""``caption sample`` and ``caption evaluate``: decode with a trained
checkpoint (the Caption page's :class:`~engine.captioning.jobs.DecodeOptions`)
on image files or on a dataset split, and score a split (BLEU, and on the
built-in scenes the colour+shape score).  Registered by :mod:`.caption`."""
from __future__ import annotations

import argparse
import dataclasses

from ..params import specs
from .caption_common import _device, _load_dataset, _positive_int
from .common import CliError, check_seed, open_image, print_json, restart_clock


# ---------------------------------------------------------------------- sample / evaluate
def _open_checkpoint(path: str, device):
    from ..captioning import CheckpointError, load_checkpoint

    try:
        ckpt = load_checkpoint(path)
        return ckpt, ckpt.build_model(device=device)
    except CheckpointError as exc:
        raise CliError(str(exc)) from None
    finally:
        restart_clock()


def _spec_of(ckpt):
    from ..captioning import CheckpointError

    try:
        return ckpt.feature_spec()
    except CheckpointError as exc:
        raise CliError(str(exc)) from None


def _checkpoint_data(ckpt, model, device, dataset: str | None, quiet: bool):
    """The dataset a checkpoint was trained on (or ``dataset``), checked against its vocabulary."""
    meta = ckpt.metadata or {}
    source = dataset or meta.get("dataset_source")
    if not source:
        raise CliError(f"{ckpt.path}: the checkpoint does not say which dataset it was trained on; give --dataset")
    raw_opts = meta.get("dataset_options") or {}
    if not isinstance(raw_opts, dict):
        raise CliError(f"{ckpt.path}: the dataset options in the checkpoint are malformed; give --dataset")
    opts = dict(raw_opts) if not dataset or dataset == meta.get("dataset_source") else {}
    max_train = opts.pop("max_train", None)
    cnn_name = opts.pop("cnn", None) or "efficientnet_lite0"
    data = _load_dataset(source, device, cnn_name=cnn_name, spec=_spec_of(ckpt), max_train=max_train,
                         options=opts, quiet=quiet)
    if data.word_to_idx != model.word_to_idx:
        hint = " (or by an older version of the built-in scenes: train it again)" if source == "shapes" else ""
        raise CliError(f"{source}: its vocabulary differs from the model's (was the model trained on it?){hint}")
    if data.feature_dim != model.input_dim:
        raise CliError(f"{source}: its features have {data.feature_dim} values, "
                       f"the model expects {model.input_dim}")
    return data


def _decoder(args: argparse.Namespace):
    """``decode(model, features, max_length=, top_k=)`` with the engine's
    :class:`DecodeOptions` made from --beam / --temperature (the Caption page's
    options, the same ranges)."""
    from ..captioning.jobs import DecodeOptions, decode

    check_seed(args.seed)
    if args.beam is not None and args.temperature is not None:
        raise CliError("give --beam or --temperature, not both")
    values = {"method": "beam" if args.beam is not None else "sample" if args.temperature is not None else "greedy",
              "seed": args.seed}
    for option, name, value in (("--beam", "beam_width", args.beam), ("--temperature", "temperature", args.temperature)):
        if value is not None:
            try:
                values[name] = specs(DecodeOptions)[name].check(value)
            except ValueError as exc:
                raise CliError(f"{option}: {exc}") from None
    options = DecodeOptions(**values)

    def run(model, features, *, max_length: int, top_k: int = 0):
        return decode(model, features, dataclasses.replace(options, max_length=max_length, top_k=top_k))

    return run


def _add_decoding(p: argparse.ArgumentParser) -> None:
    p.add_argument("--beam", type=int, default=None, help="beam search with this width (default: greedy)")
    p.add_argument("--temperature", type=float, default=None, help="sample words at this temperature")
    p.add_argument("--max-length", type=int, default=None,
                   help="longest caption in words (default: the dataset's caption length, 30 for image files)")
    p.add_argument("--dataset", default=None, help="dataset for --split (default: the one the model was trained on)")
    p.add_argument("--seed", type=int, default=0, help="seed for --n image choice and sampling (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")


def _add_sample(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="caption image files, or images of a dataset split")
    p.add_argument("model", help="checkpoint written by `caption train`")
    p.add_argument("images", nargs="*", help="image files to caption")
    p.add_argument("--split", default=None, help="caption images of this split instead (train, val, test, novel)")
    p.add_argument("--n", type=int, default=5, help="number of split images (default 5)")
    _add_decoding(p)
    p.set_defaults(func=run_sample)


def run_sample(args: argparse.Namespace) -> int:
    import numpy as np

    from ..captioning.data import compute_features, split_references, take_rows
    from ..models import ModelLoadError, load_model

    if bool(args.images) == bool(args.split):
        raise CliError("give image files or --split, not both" if args.images else "give image files or --split SPLIT")
    _positive_int("n", args.n, 100_000)
    _positive_int("max-length", args.max_length, 200)
    decode = _decoder(args)
    device = _device(args)
    ckpt, model = _open_checkpoint(args.model, device)
    rows = []
    if args.images:
        spec = _spec_of(ckpt)
        if spec is None:
            raise CliError(f"{args.model}: trained on precomputed {ckpt.config.get('cnn_name') or ''} "
                           f"{ckpt.config.get('feature_layer') or ''} features; it cannot caption new images")
        images = [open_image(p) for p in args.images]
        try:
            cnn = load_model(spec.cnn, device=device)
            restart_clock()
            feats = compute_features(cnn, np.stack([spec.view(im) for im in images]), spec)
        except (ModelLoadError, ValueError) as exc:
            raise CliError(str(exc)) from None
        result = decode(model, feats, max_length=args.max_length or 30, top_k=0)
        for path, caption in zip(args.images, result.captions):
            rows.append({"image": path, "caption": caption})
    else:
        data = _checkpoint_data(ckpt, model, device, args.dataset, args.json)
        if not data.has_split(args.split):
            raise CliError(f"the dataset has no {args.split!r} split; it has {', '.join(data.split_names)}")
        part = data.split(args.split)
        images, refs = split_references(data, args.split)
        if len(images) == 0:
            raise CliError(f"the {args.split!r} split has no captioned images")
        pick = np.sort(np.random.default_rng(args.seed).choice(len(images), min(args.n, len(images)), replace=False))
        feats = take_rows(part.features, images[pick])
        urls = part.urls
        length = args.max_length or max(1, part.caption_length - 1)
        captions = decode(model, feats, max_length=length, top_k=0).captions
        for k, caption in zip(pick, captions):
            i = int(images[k])
            rows.append({"split": args.split, "index": i, "image": str(urls[i]) if urls is not None else None,
                         "caption": caption, "references": refs[k]})
    if args.json:
        print_json({"model": args.model, "captions": rows})
    else:
        for r in rows:
            print(f"{r['image'] or r['index']}: {r['caption']}")
    return 0


def _add_evaluate(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="BLEU-1..4 of a model on a dataset split (JSON)")
    p.add_argument("model", help="checkpoint written by `caption train`")
    p.add_argument("--split", default="val", help="split to score (default val)")
    p.add_argument("--max-images", type=int, default=None, help="score at most this many images")
    _add_decoding(p)
    p.set_defaults(func=run_evaluate)


def run_evaluate(args: argparse.Namespace) -> int:
    """Print ``{"split", "n_images", "bleu1".."bleu4"[, "attributes"]}`` as JSON."""
    from ..captioning.data import evaluate_split

    _positive_int("max-images", args.max_images, 10**8)
    _positive_int("max-length", args.max_length, 200)
    decode = _decoder(args)
    device = _device(args)
    ckpt, model = _open_checkpoint(args.model, device)
    data = _checkpoint_data(ckpt, model, device, args.dataset, quiet=True)
    if not data.has_split(args.split):
        raise CliError(f"the dataset has no {args.split!r} split; it has {', '.join(data.split_names)}")
    try:
        result = evaluate_split(model, data, args.split, decode=decode, max_images=args.max_images,
                                max_length=args.max_length)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print_json({"model": args.model, **result})
    return 0
