"""``caption ...``: the captioning command group.

One ``_add_<name>(sub)`` function per subcommand registers its options and a
``run_<name>(args) -> int`` function does the work; :func:`register` lists
them.  Subcommands: ``gradcheck``, ``train``, ``sample``, ``evaluate``.
"""
from __future__ import annotations

import argparse
import dataclasses

from ..params import specs
from .common import CliError, ProgressBar, check_seed, finite, open_image, print_json
from .options import add_param_options, params_from_args

__all__ = ["register", "run_gradcheck", "run_train", "run_sample", "run_evaluate"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("caption", help="image captioning with an RNN or LSTM")
    sub = parser.add_subparsers(dest="caption_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: _missing_subcommand(parser))
    _add_gradcheck(sub)
    _add_train(sub)
    _add_sample(sub)
    _add_evaluate(sub)


def _missing_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    raise CliError("caption needs a subcommand (see the list above)", code=2)


def _device(args: argparse.Namespace):
    from ..device import choose_device

    try:
        return choose_device(getattr(args, "device", None) or "cpu")
    except ValueError as exc:
        raise CliError(str(exc)) from None


# ---------------------------------------------------------------------- gradcheck
def _add_gradcheck(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gradcheck", help="check every layer's backward pass against numerical gradients")
    p.add_argument("--no-model", action="store_true", help="check the layers only, not the whole model")
    p.add_argument("--seed", type=int, default=0, help="seed of the random test inputs (default 0)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_gradcheck)


def run_gradcheck(args: argparse.Namespace) -> int:
    """Print name, relative error, tolerance and pass/fail of every checked
    gradient (float64); exit 1 when any is above its tolerance."""
    from ..captioning.gradcheck import check_layers, check_model

    check_seed(args.seed)
    device = _device(args)
    results = check_layers(seed=args.seed, device=device)
    if not args.no_model:
        for cell in ("rnn", "lstm"):
            results += check_model(cell, seed=args.seed, device=device)
    ok = all(r.passed for r in results)
    if args.json:
        print_json({"passed": ok, "device": str(device), "results": [r.as_dict() for r in results]})
    else:
        width = max(len(r.name) for r in results)
        for r in results:
            print(f"{r.name:{width}s}  rel.err {r.rel_error:9.2e}  tol {r.tolerance:7.0e}  {'ok' if r.passed else 'FAIL'}")
        failed = sum(not r.passed for r in results)
        print(f"{len(results) - failed}/{len(results)} gradients within tolerance")
    return 0 if ok else 1


# ---------------------------------------------------------------------- datasets (train / sample / evaluate)
def _positive_int(name: str, value: int | None, high: int = 10**9) -> int | None:
    if value is not None and not 1 <= value <= high:
        raise CliError(f"--{name} must be between 1 and {high}, got {value}")
    return value


def _load_dataset(source: str, device, *, cnn_name: str = "efficientnet_lite0", spec=None,
                  max_train: int | None = None, options: dict | None = None, quiet: bool = False) -> dict:
    """Run the dataset job with a progress bar; errors become one-line CliErrors."""
    from ..captioning.data import DatasetError, ShapesConfig, dataset_job
    from ..jobs import run_to_end
    from ..models import ModelLoadError, load_model

    options = dict(options or {})
    shapes = options.pop("shapes", None)

    def cnn():
        try:
            return load_model(spec.cnn if spec is not None else cnn_name, device=device)
        except (ModelLoadError, ValueError) as exc:
            raise CliError(str(exc)) from None

    bar = ProgressBar("dataset") if not quiet else None
    try:
        job = dataset_job(source, cnn, cnn_name=cnn_name, spec=spec, max_train=max_train,
                          shapes=ShapesConfig(**shapes) if shapes else None, **options)
        _, data = run_to_end(job, bar)
    except (DatasetError, ValueError, OSError) as exc:
        raise CliError(str(exc)) from None
    finally:
        if bar is not None:
            bar.close()
    return data


def _dataset_options(args: argparse.Namespace) -> dict:
    opts: dict = {}
    if args.dataset == "shapes" and args.n_train is not None:
        n = args.n_train
        opts["shapes"] = {"n_train": n, "n_val": max(10, n // 10), "n_test": max(10, n // 10),
                          "n_novel": max(10, n // 10), "seed": args.data_seed}
    elif args.dataset == "shapes" and args.data_seed:
        opts["shapes"] = {"seed": args.data_seed}
    if getattr(args, "images", None):
        from pathlib import Path

        opts["images_dir"] = str(Path(args.images).resolve())
    return opts


# ---------------------------------------------------------------------- train
def _add_train(sub: argparse._SubParsersAction) -> None:
    from ..captioning.solver import TrainParams

    p = sub.add_parser("train", help="train an RNN or LSTM captioner and save it")
    p.add_argument("--cell", choices=("rnn", "lstm"), required=True, help="recurrent cell")
    p.add_argument("--dataset", default="shapes",
                   help="'shapes' (built-in, default), a coco_captioning folder or a captions JSON file")
    p.add_argument("--images", default=None, help="image folder of a captions JSON (default: the JSON's folder)")
    p.add_argument("--max-train", type=int, default=None, help="keep this many training captions")
    p.add_argument("--n-train", type=int, default=None, help="built-in dataset: training images (default 10000)")
    p.add_argument("--data-seed", type=int, default=0, help="built-in dataset: generator seed (default 0)")
    p.add_argument("--cnn", default="efficientnet_lite0", help="CNN for image features (default efficientnet_lite0)")
    p.add_argument("--epochs", type=int, default=12, help="epochs (default 12)")
    p.add_argument("--batch-size", type=int, default=100, help="captions per minibatch (default 100)")
    add_param_options(p, TrainParams, aliases={"learning_rate": ("--lr",)})
    p.add_argument("--update", choices=("adam", "sgd"), default="adam", help="update rule (default adam)")
    p.add_argument("--word-dropout", type=float, default=None,
                   help="replace input words by <UNK> with this probability while training (default: the "
                        "dataset's recommendation: 0.5 on the colour words of the built-in scenes, else 0)")
    p.add_argument("--hidden", type=int, default=128, help="hidden size (default 128)")
    p.add_argument("--wordvec", type=int, default=64, help="word vector size (default 64)")
    p.add_argument("--seed", type=int, default=0, help="initialisation and minibatch seed (default 0)")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (1 is fastest on a busy machine)")
    p.add_argument("--out", required=True, help="checkpoint file to write")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    """Train on a dataset, save the checkpoint, report loss, BLEU and speed."""
    import time
    from pathlib import Path

    import torch

    from ..captioning import CaptioningRNN, CaptioningSolver, CheckpointError, save_checkpoint
    from ..captioning.data import evaluate_split, split_names
    from ..captioning.solver import TrainParams
    from ..jobs import run_to_end

    for name in ("epochs", "batch_size", "hidden", "wordvec", "threads", "n_train", "max_train"):
        _positive_int(name.replace("_", "-"), getattr(args, name), 100_000_000 if "train" in name else 100_000)
    check_seed(args.seed)
    check_seed(args.data_seed, "data-seed")
    rates = params_from_args(TrainParams, args)
    if args.word_dropout is not None:
        finite("word-dropout", args.word_dropout, low=0, high=0.95)
    out = Path(args.out)
    if out.is_dir() or not out.parent.exists() and str(out.parent) not in ("", "."):
        raise CliError(f"{out}: cannot write the checkpoint there (no such folder, or a folder)")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = _device(args)
    data = _load_dataset(args.dataset, device, cnn_name=args.cnn, max_train=args.max_train,
                         options=_dataset_options(args), quiet=args.json)
    dim = int(data["train_features"].shape[1])
    try:
        model = CaptioningRNN(data["word_to_idx"], input_dim=dim, wordvec_dim=args.wordvec, hidden_dim=args.hidden,
                              cell_type=args.cell, device=device, seed=args.seed)
        solver = CaptioningSolver(model, data, update_rule=args.update, optim_config={"learning_rate": rates.learning_rate},
                                  lr_decay=rates.lr_decay, batch_size=args.batch_size, num_epochs=args.epochs,
                                  seed=args.seed, val_bleu_samples=0, word_dropout=args.word_dropout)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    bar = ProgressBar(f"train {args.cell}")
    start = time.monotonic()
    interrupted = False
    try:
        run_to_end(solver.run(), bar)
    except FloatingPointError as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:  # keep the work done so far: save it (resumable), then exit 130
        interrupted = True
    finally:
        bar.close()
    seconds = time.monotonic() - start
    if solver.iteration == 0:
        raise CliError("interrupted before the first iteration; nothing saved", code=130)
    splits = split_names(data)
    report = {"out": str(out), "cell": args.cell, "dataset": args.dataset, "interrupted": interrupted,
              "iterations": solver.iteration,
              "epochs": solver.epoch, "word_dropout": solver.word_dropout, "final_loss": _mean_tail(solver.loss_history), "train_seconds": seconds,  # noqa: E501
              "sequences_per_s": solver.iteration * args.batch_size / max(seconds, 1e-9),
              "feature_layer": data.get("feature_layer"), "vocab_size": len(data["idx_to_word"])}
    for split in [s for s in ("val", "test", "novel") if s in splits and len(data[f"{s}_captions"])]:
        scores = evaluate_split(model, data, split)
        report[f"{split}_bleu"] = {k: scores[k] for k in ("bleu1", "bleu2", "bleu3", "bleu4")}
        if "attributes" in scores:
            report[f"{split}_attributes"] = scores["attributes"]
    metadata = {"feature_spec": data.get("feature_spec"), "label": out.stem, "dataset": args.dataset,
                "dataset_source": str(Path(args.dataset).resolve()) if args.dataset != "shapes" else "shapes",
                "dataset_options": {**_dataset_options(args), "max_train": args.max_train, "cnn": args.cnn},
                "report": {k: v for k, v in report.items() if k != "out"}}
    try:
        save_checkpoint(out, model, solver, cnn_name=data.get("cnn"), feature_layer=data.get("feature_layer"),
                        metadata=metadata)
    except CheckpointError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(report)
    else:
        print(f"trained {args.cell.upper()} for {solver.epoch} epochs ({solver.iteration} iterations) in "
              f"{seconds:.1f} s, {report['sequences_per_s']:.0f} sequences/s; final loss {report['final_loss']:.3f}")
        for split in ("val", "test", "novel"):
            if f"{split}_bleu" in report:
                b = report[f"{split}_bleu"]
                line = f"{split}: BLEU-1 {b['bleu1']:.3f}  BLEU-4 {b['bleu4']:.3f}"
                if f"{split}_attributes" in report:
                    line += f"  main colour+shape named {report[f'{split}_attributes']['accuracy']:.1%}"
                print(line)
        print(f"saved {out}" + (f" (interrupted after {solver.iteration} iterations)" if interrupted else ""))
    return 130 if interrupted else 0


def _mean_tail(history: list[float], n: int = 20) -> float:
    tail = history[-n:]
    return float(sum(tail) / len(tail)) if tail else float("nan")


# ---------------------------------------------------------------------- sample / evaluate
def _open_checkpoint(path: str, device):
    from ..captioning import CheckpointError, load_checkpoint

    try:
        ckpt = load_checkpoint(path)
        return ckpt, ckpt.build_model(device=device)
    except CheckpointError as exc:
        raise CliError(str(exc)) from None


def _spec_of(ckpt):
    from ..captioning.data import FeatureSpec

    raw = (ckpt.metadata or {}).get("feature_spec")
    if not raw:
        return None
    try:
        return FeatureSpec.from_dict(dict(raw))
    except (TypeError, ValueError) as exc:
        raise CliError(f"{ckpt.path}: bad feature spec in the checkpoint ({exc})") from None


def _checkpoint_data(ckpt, model, device, dataset: str | None, quiet: bool) -> dict:
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
    if dict(data["word_to_idx"]) != model.word_to_idx:
        hint = " (or by an older version of the built-in scenes: train it again)" if source == "shapes" else ""
        raise CliError(f"{source}: its vocabulary differs from the model's (was the model trained on it?){hint}")
    if int(data["train_features"].shape[1]) != model.input_dim:
        raise CliError(f"{source}: its features have {data['train_features'].shape[1]} values, "
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

    from ..captioning.data import compute_features, split_names, split_references, take_rows
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
            feats = compute_features(cnn, np.stack([spec.view(im) for im in images]), spec)
        except (ModelLoadError, ValueError) as exc:
            raise CliError(str(exc)) from None
        result = decode(model, feats, max_length=args.max_length or 30, top_k=0)
        for path, caption in zip(args.images, result.captions):
            rows.append({"image": path, "caption": caption})
    else:
        data = _checkpoint_data(ckpt, model, device, args.dataset, args.json)
        if args.split not in split_names(data):
            raise CliError(f"the dataset has no {args.split!r} split; it has {', '.join(split_names(data))}")
        images, refs = split_references(data, args.split)
        if len(images) == 0:
            raise CliError(f"the {args.split!r} split has no captioned images")
        pick = np.sort(np.random.default_rng(args.seed).choice(len(images), min(args.n, len(images)), replace=False))
        feats = take_rows(data[f"{args.split}_features"], images[pick])
        urls = data.get(f"{args.split}_urls")
        length = args.max_length or max(1, int(data[f"{args.split}_captions"].shape[1]) - 1)
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
    from ..captioning.data import evaluate_split, split_names

    _positive_int("max-images", args.max_images, 10**8)
    _positive_int("max-length", args.max_length, 200)
    decode = _decoder(args)
    device = _device(args)
    ckpt, model = _open_checkpoint(args.model, device)
    data = _checkpoint_data(ckpt, model, device, args.dataset, quiet=True)
    if args.split not in split_names(data):
        raise CliError(f"the dataset has no {args.split!r} split; it has {', '.join(split_names(data))}")
    try:
        result = evaluate_split(model, data, args.split, decode=decode, max_images=args.max_images,
                                max_length=args.max_length)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print_json({"model": args.model, **result})
    return 0
