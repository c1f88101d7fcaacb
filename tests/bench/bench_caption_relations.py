"""Benchmark of the relation words (#18; not run by CI): the vanilla RNN, the
LSTM (both on the default pooled features) and the LSTM with attention (on
the 4x4 grid features) trained on the built-in scenes with the same recipe
(hidden 128, word vectors 64, Adam 5e-3, decay 0.9, batch 100, 12 epochs,
colour-word dropout 0.5, as ``caption train``) and the same seeds.  Prints a
Markdown table: how often greedy captions of two-object scenes state the
right relation (``test``: unseen scenes, ``novel``: main objects with
held-out colour-shape pairs), the main object's colour+shape score, test
BLEU-4 and the training time.

    python tests/bench/bench_caption_relations.py [--cells rnn lstm attention] [--seeds 0 1] [--threads 1]

Feature extraction (once, then cached): about 3 minutes per feature kind on
one CPU core.  Training: about 2 minutes per RNN/LSTM run, more for attention.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.captioning import CaptioningRNN, CaptioningSolver  # noqa: E402
from engine.captioning.data import evaluate_split, load_shapes  # noqa: E402
from engine.captioning.data.shapes import ShapesConfig, default_feature_spec  # noqa: E402
from engine.captioning.data.spatial import data_regions, spatial_feature_spec  # noqa: E402
from engine.jobs import run_to_end  # noqa: E402
from engine.models import load_model  # noqa: E402


def train_and_score(data, cell: str, seed: int, epochs: int) -> dict[str, float]:
    model = CaptioningRNN(data["word_to_idx"], input_dim=int(data["train_features"].shape[1]), wordvec_dim=64,
                          hidden_dim=128, cell_type=cell, seed=seed,
                          regions=data_regions(data) if cell == "attention" else 1)
    solver = CaptioningSolver(model, data, optim_config={"learning_rate": 5e-3}, lr_decay=0.9, batch_size=100,
                              num_epochs=epochs, seed=seed, val_bleu_samples=0)
    start = time.monotonic()
    run_to_end(solver.run())
    seconds = time.monotonic() - start
    test, novel = evaluate_split(model, data, "test"), evaluate_split(model, data, "novel")
    return {"test_rel": 100 * test["relation_accuracy"], "novel_rel": 100 * novel["relation_accuracy"],
            "test_cs": 100 * test["attributes"]["accuracy"], "novel_cs": 100 * novel["attributes"]["accuracy"],
            "bleu4": test["bleu4"], "seconds": seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=["rnn", "lstm", "attention"],
                        choices=("rnn", "lstm", "attention"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = ShapesConfig()

    def cnn():
        return load_model("efficientnet_lite0", device=torch.device("cpu"))

    datasets = {}
    if {"rnn", "lstm"} & set(args.cells):
        datasets["pooled"] = load_shapes(cnn, config, default_feature_spec(config))
    if "attention" in args.cells:
        datasets["grid"] = load_shapes(cnn, config, spatial_feature_spec(config))
    print("| cell | seed | test relation % | novel relation % | test colour+shape % | novel colour+shape % "
          "| test BLEU-4 | train s |")
    print("|---|---|---|---|---|---|---|---|")
    for seed in args.seeds:
        for cell in args.cells:
            r = train_and_score(datasets["grid" if cell == "attention" else "pooled"], cell, seed, args.epochs)
            print(f"| {cell} | {seed} | {r['test_rel']:.1f} | {r['novel_rel']:.1f} | {r['test_cs']:.1f} | "
                  f"{r['novel_cs']:.1f} | {r['bleu4']:.3f} | {r['seconds']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
