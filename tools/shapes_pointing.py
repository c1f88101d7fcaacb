"""The pointing game of the practitioner's shape classifier
(``tools/shapes_classifier.py``) for every saliency method, as the README's
table: on 100 test scenes, is each map's maximum on the object?  Three
readings of "on the object": a pixel the object enters (any part of it), a
pixel more than half covered, within 1 px of a half-covered pixel.

    .venv/bin/python tools/shapes_pointing.py      # about a minute on one core
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.gradients import SaliencyParams, compute_saliency  # noqa: E402
from engine.gradients.methods import METHOD_TABLE  # noqa: E402
from engine.models import load_model  # noqa: E402
from tools import shapes_classifier as tool  # noqa: E402


def on_object_masks(coverage: np.ndarray) -> dict[str, np.ndarray]:
    """The three readings of "on the object" for (N,H,W) pixel coverages."""
    half = coverage > 0.5
    near = torch.nn.functional.max_pool2d(torch.from_numpy(half).float()[:, None], 3, 1, 1)[:, 0].numpy() > 0
    return {"touched": coverage > 0.05, "half covered": half, "within 1 px": near}


def hits(maps: np.ndarray, on_object: np.ndarray) -> int:
    """How many of the (N,H,W) ``maps`` have their maximum on a pixel of ``on_object``."""
    return sum(bool(mask.flat[int(np.argmax(m))]) for m, mask in zip(maps, on_object))


def main() -> int:
    torch.set_num_threads(1)
    model = load_model(str(tool.FOLDER / "shapes_cnn.safetensors"), "cpu")
    test = tool.scenes(100, 1)
    x = model.preprocess(np.stack([tool.render_scene(s, tool.SIZE) for s in test]))
    targets = [tool.SHAPES.index(s.main.shape) for s in test]
    masks = on_object_masks(np.stack([tool.object_coverage(s) for s in test]))
    with torch.no_grad():
        accuracy = float((model.logits(x).argmax(1) == torch.tensor(targets)).float().mean())
    print(f"accuracy {accuracy:.2f} on 100 test scenes; the object touches "
          f"{masks['touched'].mean():.1%} of the pixels, covers more than half of {masks['half covered'].mean():.1%}")
    print("| method | " + " | ".join(masks) + " |\n|---|" + "---|" * len(masks))
    for name, row in METHOD_TABLE.items():
        maps = compute_saliency(model, x, targets, SaliencyParams(method=name)).cpu().numpy()
        print(f"| {row.short} | " + " | ".join(str(hits(maps, m)) for m in masks.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
