"""Benchmark of what the built-in captioning recipe learns (not run by CI).

Trains the default LSTM on the built-in scenes (``ShapesConfig()``, the
default features, 12 epochs, Adam 5e-3, decay 0.9) for several seeds, with
the recipe's colour-word dropout and, as the baseline measured in the same
run, without it.  Prints, per seed, how often greedy captions name the main
object's colour and shape on ``test`` (unseen scenes) and on ``novel``
(colour-shape pairs never seen in training), and test BLEU-4.

    python tests/bench/bench_caption_generalisation.py [--seeds 0 1] [--epochs 12] [--threads 1]

About 2 minutes of feature extraction (cached in the user cache folder
afterwards) plus 2 minutes per training run on one CPU core.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.captioning import CaptioningRNN, CaptioningSolver  # noqa: E402
from engine.captioning.data import evaluate_split, load_shapes  # noqa: E402
from engine.captioning.data.shapes import WORD_DROPOUT  # noqa: E402
from engine.jobs import run_to_end  # noqa: E402
from engine.models import load_model  # noqa: E402


def train_and_score(data, seed: int, epochs: int, word_dropout: float) -> dict[str, float]:
    model = CaptioningRNN(data["word_to_idx"], input_dim=int(data["train_features"].shape[1]), wordvec_dim=64,
                          hidden_dim=128, cell_type="lstm", seed=seed)
    solver = CaptioningSolver(model, data, optim_config={"learning_rate": 5e-3}, lr_decay=0.9, batch_size=100,
                              num_epochs=epochs, seed=seed, val_bleu_samples=0, word_dropout=word_dropout)
    start = time.monotonic()
    run_to_end(solver.run())
    seconds = time.monotonic() - start
    test, novel = evaluate_split(model, data, "test"), evaluate_split(model, data, "novel")
    return {"test": 100 * test["attributes"]["accuracy"], "novel": 100 * novel["attributes"]["accuracy"],
            "bleu4": test["bleu4"], "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.monotonic()
    data = load_shapes(lambda: load_model("efficientnet_lite0", device=torch.device("cpu")))
    print(f"_built-in scenes: {data['train_features'].shape[0]} training images, features "
          f"{data['feature_layer']} ({data['train_features'].shape[1]} values), loaded in "
          f"{time.monotonic() - t0:.0f} s_\n")
    print("| seed | word dropout | test colour+shape % | novel colour+shape % | test BLEU-4 | train s |")
    print("|---|---|---|---|---|---|")
    results: dict[float, list[dict[str, float]]] = {0.0: [], WORD_DROPOUT: []}
    for seed in args.seeds:
        for p in (0.0, WORD_DROPOUT):
            r = train_and_score(data, seed, args.epochs, p)
            results[p].append(r)
            print(f"| {seed} | {p:g} | {r['test']:.1f} | {r['novel']:.1f} | {r['bleu4']:.3f} | {r['seconds']:.0f} |",
                  flush=True)
    print()
    base, recipe = (statistics.mean(r["novel"] for r in results[p]) for p in (0.0, WORD_DROPOUT))
    print(f"novel, mean over seeds: {recipe:.1f}% with colour-word dropout {WORD_DROPOUT:g}, {base:.1f}% without "
          f"(ratio {recipe / max(base, 1e-9):.3f}); lowest seed with it: "
          f"{min(r['novel'] for r in results[WORD_DROPOUT]):.1f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
