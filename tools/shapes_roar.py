"""ROAR (remove and retrain, Hooker et al. 2019) on the shape classifier, in one command:

    .venv/bin/python tools/shapes_roar.py [--train 1500 --test 500 --epochs 5] [--readme]

Everything but the table is :func:`engine.gradients.shapes_roar.shapes_roar_job`
(the window's *Saliency ▸ ROAR on the Shape Classifier…* runs it too):

1. the shipped classifier (``tools/data/shapes_cnn/``) explains each training
   scene (seed 0) and test scene (seed 1) for its true shape with every
   method (the noise-tunnel methods share one draw of 16 noisy copies, IG 32
   steps); three more rankings: ``random`` (ROAR's reference), ``mask`` (the
   scene generator's object mask: the object's pixels first, in a random
   order, then the rest) and ``oracle`` (the object, then the 2-pixel ring
   around it, its anti-aliased edge, then the rest);
2. :func:`engine.gradients.roar.roar`: per ranking and fraction (10/30/50 %),
   the top pixels of every scene are set to the training set's channel mean
   and a fresh ``test_resnet`` is trained with ``tools/shapes_classifier.py``'s
   recipe on the modified training scenes (``--train`` scenes, ``--epochs``
   epochs, ``--noise`` 0: without the shipped model's noise augmentation,
   which needs more epochs), then tested on the modified test scenes;
3. prints the accuracy table and writes ``OUT/roar.md`` (with ``--readme``
   also README.md's section between the ``roar`` markers).
"""
from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.gradients import METHOD_TABLE, METHODS  # noqa: E402
from engine.gradients.roar import UNMODIFIED  # noqa: E402
from engine.gradients.shapes_roar import RANKING_TITLES, RoarParams, oracle_maps, shapes_roar_job  # noqa: E402,F401 (oracle_maps: a tool's name)
from engine.jobs import run_to_end  # noqa: E402
from tools import shapes_classifier as shapes  # noqa: E402
from tools._readme_section import replace_section  # noqa: E402

WEIGHTS = shapes.FOLDER / "shapes_cnn.safetensors"
NAMES = {m: METHOD_TABLE[m].short for m in METHODS} | RANKING_TITLES


def table(scores, fractions, info: dict) -> str:
    base = next(s.accuracy for s in scores if s.ranking == UNMODIFIED)
    acc = {(s.ranking, s.fraction): s.accuracy for s in scores}
    head = " | ".join(f"{t:.0%} removed" for t in fractions)
    lines = [f"Measured {info['date']} by `tools/shapes_roar.py` ({info['machine']}): {info['train']} training and "
             f"{info['test']} test scenes, {info['epochs']} epochs per retraining (training noise {info['noise']}; "
             f"{len(scores)} retrainings, "
             f"{info['seconds'] / 60:.0f} minutes in all, {info['map_seconds']:.0f} s of them for the maps); "
             f"nothing removed: test accuracy {base:.3f}. Test accuracy after retraining (lower = the ranking "
             f"found more of what the class needs; ± {info['se']:.3f} is one standard error at 0.5):",
             "", f"| ranking | {head} |", "|---|" + "---:|" * len(fractions)]
    for name in dict.fromkeys(s.ranking for s in scores if s.ranking != UNMODIFIED):
        lines.append(f"| {NAMES.get(name, name)} | " + " | ".join(f"{acc[(name, t)]:.3f}" for t in fractions) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=int, default=1500)
    parser.add_argument("--test", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--noise", type=float, default=0.0,
                        help="training noise of the retrainings (the shipped model's 0.3 needs more epochs: "
                             "1500 scenes x 5 epochs reach 0.47 test accuracy with it, 0.87 without)")
    parser.add_argument("--fractions", default="0.1,0.3,0.5")
    parser.add_argument("--methods", default="all", help="comma-separated saliency methods, all, or none")
    parser.add_argument("--out", type=Path, default=Path("/tmp/shapes_roar"))
    parser.add_argument("--readme", action="store_true", help="put the table into README.md")
    args = parser.parse_args(argv)
    from engine.models import load_model

    torch.set_num_threads(1)
    start = time.perf_counter()
    methods = {"all": list(METHODS), "none": []}.get(args.methods, args.methods.split(","))
    fractions = [float(t) for t in args.fractions.split(",")]
    model = load_model(str(WEIGHTS), "cpu")
    params = RoarParams(train=args.train, test=args.test, epochs=args.epochs, noise=args.noise)
    times = {"maps": 0.0}

    def show(frame):
        if frame.info.stage == "maps":
            times["maps"] = time.perf_counter() - start
            print(f"  maps {frame.step}/{frame.total}", flush=True)
            return
        s = frame.info.scores[-1]
        print(f"{frame.step}/{frame.total} {s.ranking} {s.fraction:.0%}: accuracy {s.accuracy:.3f} "
              f"({s.seconds:.0f} s)", flush=True)

    _, scores = run_to_end(shapes_roar_job(model, params, methods=methods, fractions=fractions), show)
    map_seconds = times["maps"]
    info = {"date": date.today().isoformat(), "machine": f"{platform.machine()}, torch {torch.__version__}, 1 thread",
            "train": args.train, "test": args.test, "epochs": args.epochs, "noise": args.noise,
            "map_seconds": map_seconds,
            "seconds": time.perf_counter() - start, "se": 0.5 / args.test ** 0.5}
    text = table(scores, fractions, info)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "roar.md").write_text(text)
    print(text)
    if args.readme:
        replace_section(ROOT / "README.md", "roar", text)
        print("README.md updated")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
