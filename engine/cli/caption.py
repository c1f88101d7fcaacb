"""``caption ...``: the captioning command group.

One ``_add_<name>(sub)`` function per subcommand registers its options and a
``run_<name>(args) -> int`` function does the work; :func:`register` lists
them.  Subcommands: ``gradcheck``, ``train``, ``sample``, ``evaluate``.
"""
from __future__ import annotations

import argparse

from .caption_common import _dataset_options, _device, _load_dataset, _positive_int
from .caption_decode import _add_evaluate, _add_sample
from .common import CliError, ProgressBar, check_seed, print_json
from .options import add_param_options, params_from_args

__all__ = ["register", "run_gradcheck", "run_train"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("caption", help="image captioning with an RNN, an LSTM or an LSTM with attention")
    sub = parser.add_subparsers(dest="caption_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: _missing_subcommand(parser))
    _add_gradcheck(sub)
    _add_train(sub)
    _add_sample(sub)
    _add_evaluate(sub)


def _missing_subcommand(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    raise CliError("caption needs a subcommand (see the list above)", code=2)


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
    from ..captioning.gradcheck import check_attention_layers, check_layers, check_model
    from ..captioning.model import CELL_TYPES

    check_seed(args.seed)
    device = _device(args)
    results = check_layers(seed=args.seed, device=device) + check_attention_layers(seed=args.seed, device=device)
    if not args.no_model:
        for cell in CELL_TYPES:
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


# ---------------------------------------------------------------------- train
def _add_train(sub: argparse._SubParsersAction) -> None:
    from ..captioning.config import TrainConfig

    p = sub.add_parser("train", help="train an RNN, LSTM or attention captioner and save it")
    add_param_options(p, TrainConfig, aliases={"learning_rate": ("--lr",), "hidden_size": ("--hidden",),
                                               "wordvec_size": ("--wordvec",), "update_rule": ("--update",)},
                      defaults={"word_dropout": "the dataset's recommendation", "grad_clip": "5 for attention, else 0"})
    p.add_argument("--grid", type=int, default=None,
                   help="attention: cells per side of the feature grid (default 4 for the scenes, 7 for photos)")
    p.add_argument("--dataset", default="shapes",
                   help="'shapes' (built-in, default), a coco_captioning folder or a captions JSON file")
    p.add_argument("--images", default=None, help="image folder of a captions JSON (default: the JSON's folder)")
    p.add_argument("--max-train", type=int, default=None, help="keep this many training captions")
    p.add_argument("--n-train", type=int, default=None, help="built-in dataset: training images (default 10000)")
    p.add_argument("--data-seed", type=int, default=0, help="built-in dataset: generator seed (default 0)")
    p.add_argument("--cnn", default="efficientnet_lite0", help="CNN for image features (default efficientnet_lite0)")
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

    from ..captioning.config import TrainConfig, build_training
    from ..captioning.model import CELLS
    from ..jobs import run_to_end

    for name in ("threads", "n_train", "max_train", "grid"):
        _positive_int(name.replace("_", "-"), getattr(args, name), 100_000_000 if "train" in name else 100_000)
    check_seed(args.seed)
    check_seed(args.data_seed, "data-seed")
    config = params_from_args(TrainConfig, args)
    out = Path(args.out)
    if out.is_dir() or not out.parent.exists() and str(out.parent) not in ("", "."):
        raise CliError(f"{out}: cannot write the checkpoint there (no such folder, or a folder)")
    if args.threads:
        torch.set_num_threads(args.threads)
    device = _device(args)
    spec = _attention_spec(args) if config.cell == "attention" else None
    data = _load_dataset(args.dataset, device, cnn_name=args.cnn, spec=spec, max_train=args.max_train,
                         options=_dataset_options(args), quiet=args.json)
    try:
        model, solver = build_training(config, data, device=device, seed=args.seed, val_bleu_samples=0)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    bar = ProgressBar(f"train {config.cell}")
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
    report = {"out": str(out), "cell": config.cell, "dataset": args.dataset, "interrupted": interrupted,
              "iterations": solver.iteration,
              "epochs": solver.epoch, "word_dropout": solver.word_dropout, "grad_clip": solver.grad_clip, "final_loss": _mean_tail(solver.loss_history), "train_seconds": seconds,  # noqa: E501
              "sequences_per_s": solver.iteration * config.batch_size / max(seconds, 1e-9),
              "feature_layer": data.feature_layer, "vocab_size": len(data.idx_to_word)}
    report.update(_split_scores(model, data))
    _save(out, model, solver, data, args, report)
    if args.json:
        print_json(report)
    else:
        _print_report(report, CELLS[config.cell].title)
    return 130 if interrupted else 0


def _save(out, model, solver, data, args: argparse.Namespace, report: dict) -> None:
    """The checkpoint, with the dataset it was trained on (to evaluate it again) and the report."""
    from pathlib import Path

    from ..captioning import CheckpointError, save_checkpoint

    metadata = {"feature_spec": data.feature_spec, "label": out.stem, "dataset": args.dataset,
                "dataset_source": str(Path(args.dataset).resolve()) if args.dataset != "shapes" else "shapes",
                "dataset_options": {**_dataset_options(args), "max_train": args.max_train, "cnn": args.cnn},
                "report": {k: v for k, v in report.items() if k != "out"}}
    try:
        save_checkpoint(out, model, solver, cnn_name=data.cnn, feature_layer=data.feature_layer, metadata=metadata)
    except CheckpointError as exc:
        raise CliError(str(exc)) from None


def _split_scores(model, data) -> dict:
    """BLEU (and, on the built-in scenes, colour+shape and relation accuracy) of every captioned split but train."""
    from ..captioning.data import evaluate_split

    report = {}
    for split in [s for s in ("val", "test", "novel") if data.has_split(s) and data.split(s).n_captions]:
        scores = evaluate_split(model, data, split)
        report[f"{split}_bleu"] = {k: scores[k] for k in ("bleu1", "bleu2", "bleu3", "bleu4")}
        if "attributes" in scores:
            report[f"{split}_attributes"] = scores["attributes"]
            report[f"{split}_relation_accuracy"] = scores["relation_accuracy"]
    return report


def _print_report(report: dict, cell: str) -> None:
    """``caption train``'s report as lines for a person."""
    print(f"trained {cell} for {report['epochs']} epochs ({report['iterations']} iterations) in "
          f"{report['train_seconds']:.1f} s, {report['sequences_per_s']:.0f} sequences/s; "
          f"final loss {report['final_loss']:.3f}")
    for split in ("val", "test", "novel"):
        if f"{split}_bleu" in report:
            b = report[f"{split}_bleu"]
            line = f"{split}: BLEU-1 {b['bleu1']:.3f}  BLEU-4 {b['bleu4']:.3f}"
            if f"{split}_attributes" in report:
                line += f"  main colour+shape named {report[f'{split}_attributes']['accuracy']:.1%}"
                if report.get(f"{split}_relation_accuracy") is not None:
                    line += f"  relation right {report[f'{split}_relation_accuracy']:.1%}"
            print(line)
    print(f"saved {report['out']}" + (f" (interrupted after {report['iterations']} iterations)"
                                      if report["interrupted"] else ""))


def _attention_spec(args: argparse.Namespace):
    """The grid features the attention cell trains on: the scenes' 4x4 grid,
    or a 7x7 grid of a late layer for a captions JSON's photos."""
    from pathlib import Path

    from ..captioning.data import ShapesConfig
    from ..captioning.data.coco import is_coco_folder
    from ..captioning.data.spatial import PHOTO_GRID, SCENES_GRID, spatial_feature_spec, spatial_photo_spec

    if args.grid is not None and not 2 <= args.grid <= 8:
        raise CliError(f"--grid must be between 2 and 8, got {args.grid}")
    try:
        if args.dataset == "shapes":
            shapes = _dataset_options(args).get("shapes") or {}
            return spatial_feature_spec(ShapesConfig(**shapes), args.cnn, args.grid or SCENES_GRID)
        if Path(args.dataset).is_dir() and is_coco_folder(args.dataset):
            raise CliError(f"{args.dataset}: the coco_captioning features are pooled (fc7, no grid): the attention "
                           "cell needs spatial features; train --cell lstm or rnn on them, or give a captions JSON "
                           "with its images")
        return spatial_photo_spec(args.cnn, args.grid or PHOTO_GRID)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _mean_tail(history: list[float], n: int = 20) -> float:
    tail = history[-n:]
    return float(sum(tail) / len(tail)) if tail else float("nan")
