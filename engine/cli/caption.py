"""``caption ...``: the captioning command group.

One ``_add_<name>(sub)`` function per subcommand registers its options and a
``run_<name>(args) -> int`` function does the work; :func:`register` lists
them.  Subcommands: ``gradcheck`` (more are added next to it).
"""
from __future__ import annotations

import argparse

from .common import CliError, print_json

__all__ = ["register", "run_gradcheck"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("caption", help="image captioning with an RNN or LSTM")
    sub = parser.add_subparsers(dest="caption_command", metavar="SUBCOMMAND")
    parser.set_defaults(func=lambda args: _missing_subcommand(parser))
    _add_gradcheck(sub)


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
