"""Do fooling images transfer?  Szegedy et al. (2014)'s cross-model question,
measured on a dozen photo/target pairs: each photo is turned into a fooling
image for its target on one network (default EfficientNet-Lite0, the app's
default recipe: ``FoolParams()``, stopping as soon as the 8-bit image is the
target), and the other bundled networks judge the 8-bit image
(:func:`engine.models.judge.second_opinion`, what the Fooling tab shows).

    .venv/bin/python tests/bench/fooling_transfer.py [--model efficientnet_lite0] [--threads 1]

Prints a Markdown table per pair (the judges' top-1 and the target's
probability before and after) and the transfer rate per judge: how often the
judge's top-1 is the target, and how often it at least left the photo's
class.  Not run by ``make bench`` (about a minute on one CPU core).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from engine.gradients import FoolParams, fool  # noqa: E402
from engine.imaging import load_image  # noqa: E402
from engine.jobs import Control, run_to_end  # noqa: E402
from engine.models import load_model  # noqa: E402
from engine.models.judge import judge_choices, second_opinion  # noqa: E402

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
PAIRS = (
    ("chelsea.jpg", "tarantula"), ("chelsea.jpg", "lemon"), ("coffee.jpg", "tarantula"), ("coffee.jpg", "zebra"),
    ("astronaut.jpg", "goldfish"), ("astronaut.jpg", "pizza"), ("rocket.jpg", "daisy"), ("rocket.jpg", "jellyfish"),
    ("camera.jpg", "flamingo"), ("camera.jpg", "strawberry"), ("hubble_deep_field.jpg", "monarch"),
    ("hubble_deep_field.jpg", "volcano"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.model, device="cpu")
    judges = [load_model(name, device="cpu") for name in judge_choices(model.name)]
    rows, hits, moved, fooled = [], {j.name: 0 for j in judges}, {j.name: 0 for j in judges}, 0
    for photo_name, target_name in PAIRS:
        photo = load_image(SAMPLES / photo_name)
        target = model.class_index(target_name)
        _, result = run_to_end(fool(model, photo, target, control=Control(FoolParams(), emit_interval=None)))
        fooled += result.success
        cells = [f"{photo_name} -> {target_name}", f"{'yes' if result.success else 'no'} ({result.iterations}, "
                 f"Linf {result.linf:.0f})"]
        for judge in judges:
            before = second_opinion(judge, result.original, 1000)
            after = second_opinion(judge, result.image, 1000)
            prob_before = next(p.prob for p in before if p.index == target)
            prob_after = next(p.prob for p in after if p.index == target)
            hits[judge.name] += after[0].index == target
            moved[judge.name] += after[0].index != before[0].index
            cells.append(f"{after[0].label} ({after[0].prob:.2f}); target {prob_before:.4f} -> {prob_after:.4f}")
        rows.append(cells)
        print(" | ".join(cells), file=sys.stderr, flush=True)
    n = len(PAIRS)
    print(f"### Fooling transfer: fooling images made on {model.name}, judged by the other bundled networks\n")
    print("| photo -> target | fooled (steps, Linf) | " + " | ".join(f"{j.name}: top-1; p(target) photo -> fooled"
                                                          for j in judges) + " |")
    print("|---|---|" + "---|" * len(judges))
    for cells in rows:
        print("| " + " | ".join(cells) + " |")
    print(f"\n{model.name} fooled on {fooled}/{n} pairs (default FoolParams: lr 1, at most 100 steps).")
    for judge in judges:
        print(f"{judge.name}: the target is its top-1 on {hits[judge.name]}/{n} "
              f"(transfer rate {hits[judge.name] / n:.0%}); its top-1 changed from the photo's on {moved[judge.name]}/{n}.")


if __name__ == "__main__":
    main()
