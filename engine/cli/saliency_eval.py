"""``saliency-eval``: every saliency method scored on every photo of a
folder (removal curves under several fill-ins, pointing game and relevance
mass with an annotation file, the randomisation sanity score, time), with a
progress bar; writes ``OUT/scores.csv``, map thumbnails and a
self-contained ``OUT/report.html``.  Run it again on the same ``--out`` to
resume a stopped run (Ctrl+C stops at the next method, keeps the photos
already scored and still writes the report).  ``--cluster`` scores the
photos on the workers of a Dask scheduler."""
from __future__ import annotations

import argparse
import signal

from .common import CliError, ProgressBar, open_model, print_json

__all__ = ["register", "run_saliency_eval"]


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "saliency-eval", help="score every saliency method on a folder of photos (CSV + HTML report)",
        description="Score vanilla, SmoothGrad, SmoothGrad², VarGrad, Integrated Gradients and Grad-CAM (and a "
                    "random map as the reference) on every photo of FOLDER: MoRF/LeRF removal AUCs per fill-in "
                    "(ROAD), pointing game and relevance mass (with --boxes), rank correlation with the map of a "
                    "randomised model, time. Resumable.")
    p.add_argument("folder")
    p.add_argument("--out", required=True, help="report folder (created; an earlier run there is resumed)")
    p.add_argument("--methods", default="all", help="comma-separated method names, or all (default)")
    p.add_argument("--fill", default="noisy-linear,blur,black",
                   help="comma-separated fill-ins of removed pixels: noisy-linear, blur, mean, black")
    p.add_argument("--points", type=int, default=11, help="points on each removal curve (default 11)")
    p.add_argument("--boxes", default=None, help="COCO JSON file or folder of Pascal VOC XML files with object boxes")
    p.add_argument("--no-sanity", action="store_true", help="skip the randomised-model rank correlation")
    p.add_argument("--cluster", default=None, metavar="ADDRESS",
                   help="a Dask distributed scheduler (tcp://host:8786): the photos are scored on its workers "
                        "(they must see the photos at the same path)")
    p.add_argument("--model", default=None, help="model name (see `models`) or a torchvision weight file")
    p.add_argument("--json", action="store_true", help="print one JSON object (the summary)")
    p.set_defaults(func=run_saliency_eval)


def _choices(text: str, allowed, option: str) -> list[str]:
    chosen = list(allowed) if text == "all" else [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in chosen if t not in allowed]
    if bad or not chosen:
        raise CliError(f"{option}: unknown {', '.join(bad) or '(none given)'}; choose from {', '.join(allowed)}")
    return chosen


def run_saliency_eval(args: argparse.Namespace) -> int:
    from ..gradients import METHODS
    from ..gradients.evaluation import EVAL_PARAMS, REFERENCE, metric_columns
    from ..gradients.fill_in import FILL_INS
    from ..gradients.folder_check import POINTS_RANGE, check_folder_run, check_same_model
    from ..gradients.folder_eval import CSV_NAME, folder_evaluation, read_scores
    from ..gradients.ranking import summarize
    from ..gradients.report_html import REPORT_NAME, metric_title
    from ..index import ModelSpec
    from ..jobs import Control, run_to_end

    methods = _choices(args.methods, METHODS, "--methods")
    fills = _choices(args.fill, FILL_INS, "--fill")
    low, high = POINTS_RANGE
    if not low <= args.points <= high:
        raise CliError(f"--points must be between {low} and {high}, got {args.points}")
    try:   # photos there, boxes readable and for them, an earlier report in --out made the same way
        boxes = check_folder_run(args.folder, args.out, methods=methods, fills=fills, points=args.points,
                                 boxes=args.boxes).boxes
    except ValueError as exc:
        raise CliError(str(exc)) from None
    model = open_model(args)
    try:
        check_same_model(args.out, model.name)   # scores of another model are not gone on with
    except ValueError as exc:
        raise CliError(str(exc)) from None
    bar = ProgressBar("photos")
    control = Control(EVAL_PARAMS)
    previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())   # Ctrl+C: stop cleanly, keep the report
    try:
        _, progress = run_to_end(folder_evaluation(model, args.folder, args.out, methods=methods, fills=fills,
                                                   points=args.points, sanity=not args.no_sanity, boxes=boxes,
                                                   control=control, cluster=args.cluster,
                                                   model_factory=ModelSpec(args.model, args.device)), bar)
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()
    if control.cancelled:
        print(f"stopped: run the same command again to go on from {progress.done} of {progress.total} photos")
    rows = read_scores(f"{args.out}/{CSV_NAME}")
    columns = metric_columns(fills)
    summary = summarize(rows, [*methods, REFERENCE], columns)
    if args.json:
        print_json({"photos": summary["photos"], "problems": list(progress.problems), "mean": summary["mean"],
                    "rank": summary["rank"], "agree": summary["agree"], "report": f"{args.out}/{REPORT_NAME}"})
        return 0
    print(f"{summary['photos']} photos scored; report: {args.out}/{REPORT_NAME}")
    for problem in progress.problems:
        print(f"skipped: {problem}")
    print("method".ljust(14) + "".join(metric_title(c)[:22].rjust(24) for c, _ in columns))
    for m in [*methods, REFERENCE]:
        print(m[:14].ljust(14) + "".join(f"{summary['mean'][m][c]:24.3f}" for c, _ in columns))
    return 0
