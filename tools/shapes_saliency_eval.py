"""Do the saliency maps of the shape classifier fall on the shape?  A folder
with ground truth, scored, in one command:

    .venv/bin/python tools/shapes_saliency_eval.py [--scenes 100] [--out /tmp/shapes_eval] [--readme]

1. writes ``OUT/scenes/``: the 100 test scenes of ``tools/shapes_classifier.py``
   (seed 1, 64 px PNGs) and ``OUT/scenes/boxes.json``, a COCO-style file with
   each object's box (the tight box of the generator's ``object_mask``), which
   :mod:`engine.gradients.annotations` reads;
2. runs ``saliency-eval OUT/scenes --model tools/data/shapes_cnn/shapes_cnn.safetensors
   --boxes OUT/scenes/boxes.json --methods all --fill noisy-linear,blur,black,mean``
   (the CLI, in this process) into ``OUT/report/`` and times it;
3. writes ``OUT/summary.md`` (and with ``--readme`` the README section between
   the ``shapes-eval`` markers): per method the mean pointing game, relevance
   mass, MoRF/LeRF/LeRF−MoRF per fill-in with mean ranks, and Kendall's τ
   between the metrics (do they agree?).

Everything comes from the weights in ``tools/data/shapes_cnn/`` at the time of
the run: retrain them, run this again, and the figures follow.  A run resumes
(``saliency-eval`` skips the scenes already in ``OUT/report/scores.csv``);
``--fresh`` starts over.
"""
from __future__ import annotations

import argparse
import platform
import shutil
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.shape_scenes import write_scene_folder as write_scenes  # noqa: E402
from tools import shapes_classifier as shapes  # noqa: E402
from tools._readme_section import publish  # noqa: E402

WEIGHTS = shapes.FOLDER / "shapes_cnn.safetensors"
FILLS = ("noisy-linear", "blur", "black", "mean")
MARK = "shapes-eval"


def run_eval(scenes: Path, report: Path, points: int) -> float:
    """``saliency-eval`` on the scenes; its wall-clock seconds."""
    from engine.cli import main as cli

    args = ["--device", "cpu", "saliency-eval", str(scenes), "--model", str(WEIGHTS), "--boxes",
            str(scenes / "boxes.json"), "--methods", "all", "--fill", ",".join(FILLS), "--points", str(points),
            "--out", str(report)]
    print("neural-lens-cli " + " ".join(args), flush=True)
    start = time.perf_counter()
    code = cli(args)
    if code:
        raise SystemExit(f"saliency-eval failed ({code})")
    return time.perf_counter() - start


def _accuracy(scenes: Path) -> float:
    from engine.imaging import load_image
    from engine.models import load_model

    model = load_model(str(WEIGHTS), "cpu")
    paths = sorted(scenes.glob("scene_*.png"))
    x = model.preprocess(np.stack([load_image(p) for p in paths]))
    with torch.no_grad():
        pred = model.logits(x).argmax(1).tolist()
    truth = [shapes.SHAPES.index(p.stem.split("_", 2)[2]) for p in paths]
    return float(np.mean([a == b for a, b in zip(pred, truth)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenes", type=int, default=100)
    parser.add_argument("--points", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path("/tmp/shapes_eval"))
    parser.add_argument("--fresh", action="store_true", help="delete OUT first (no resuming)")
    parser.add_argument("--readme", action="store_true", help="put the tables into README.md")
    args = parser.parse_args(argv)
    from tools._shapes_eval_tables import summary_markdown

    torch.set_num_threads(1)
    if args.fresh and args.out.exists():
        shutil.rmtree(args.out)
    info = write_scenes(args.out / "scenes", args.scenes)
    info["resumed"] = (args.out / "report" / "scores.csv").is_file()
    seconds = run_eval(args.out / "scenes", args.out / "report", args.points)
    info |= {"seconds": seconds, "accuracy": _accuracy(args.out / "scenes"), "fills": FILLS, "points": args.points,
             "date": date.today().isoformat(), "machine": f"{platform.machine()}, torch {torch.__version__}, 1 thread"}
    publish(summary_markdown(args.out / "report" / "scores.csv", info), args.out / "summary.md", MARK, args.readme)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
