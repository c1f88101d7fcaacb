"""The 12-class grid of issue #15: our default class visualization next to
Lucent's ``render_vis`` on the same network, the same number of steps and
seed 0, judged by a second network (EfficientNet-Lite1).

    .venv/bin/python tests/bench/classviz_grid.py [--steps 512] [--out docs/classviz_grid.png]
        [--lucent-path /tmp/lucent_pkgs] [--cache /tmp/classviz_grid] [--classes goldfish,zebra]

Lucent (``pip install --no-deps --target DIR torch-lucent kornia==0.7.3 kornia-rs
decorator tqdm``; it imports IPython.display only to show pictures in a
notebook, a stub is enough) is optional: without it only our column is
rendered.  Lucent runs with its defaults -- ``param.image(224)`` (decorrelated
Fourier image), ``transform.standard_transforms``, Adam lr 0.05 -- and the
network's own normalisation appended, maximising the class logit.  Every
picture is cached in ``--cache`` (delete it after changing the recipe; our
pictures are keyed by the recipe's parameters).  Prints a Markdown table: per
class, the judge's top-1 and the target's probability for each method, and
the milliseconds per step.  Not run by ``make bench`` (ours about 45 ms per
step on one idle CPU core, some 5 minutes for its column; Lucent's column takes
longer; split the classes over two processes sharing ``--cache``).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from engine.generation import ClassVizParams, class_visualization  # noqa: E402
from engine.imaging import load_image, save_png  # noqa: E402
from engine.jobs import Control, run_to_end  # noqa: E402
from engine.models import load_model  # noqa: E402
from engine.models.judge import second_opinion  # noqa: E402

CLASSES = ("goldfish", "great white shark", "tarantula", "jellyfish", "flamingo", "monarch", "zebra", "strawberry",
           "lemon", "pizza", "volcano", "daisy")


def ours(model, target: int, params: ClassVizParams, seed: int = 0) -> np.ndarray:
    _, image = run_to_end(class_visualization(model, target, control=Control(params, emit_interval=None), seed=seed))
    return image


def lucent_render(model, target: int, steps: int, seed: int = 0, size: int = 224) -> np.ndarray:
    """Lucent's ``render_vis`` with its defaults on ``model``'s network (input normalised as the network expects)."""
    import kornia
    from lucent.optvis import param, render, transform

    for name in ("get_rotation_matrix2d", "warp_affine"):  # moved to kornia.geometry.transform after Lucent 0.1.8
        if not hasattr(kornia, name):
            setattr(kornia, name, getattr(kornia.geometry.transform, name))

    class Normalised(torch.nn.Module):
        def __init__(self, net, mean, std):
            super().__init__()
            self.net, self.mean, self.std = net, mean, std

        def forward(self, x):
            return self.net((255.0 * x - self.mean) / self.std)

    torch.manual_seed(seed)
    np.random.seed(seed)
    wrapped = Normalised(model.net, model.mean, model.std).eval()

    def objective(hook):
        return -hook("net__fc")[0, target]

    images = render.render_vis(wrapped, objective, lambda: param.image(size), transforms=list(transform.standard_transforms),
                               thresholds=(steps,), preprocess=False, progress=False, show_image=False,
                               fixed_image_size=None)
    return (np.clip(images[-1][0], 0, 1) * 255 + 0.5).astype(np.uint8)


def _recipe_key(params: ClassVizParams) -> str:
    return hashlib.sha1(json.dumps(params.as_dict(), sort_keys=True).encode()).hexdigest()[:10]


def _cached(path: Path, make) -> tuple[np.ndarray, float | None]:
    if path.exists():
        return load_image(path), None
    t0 = time.perf_counter()
    image = make()
    seconds = time.perf_counter() - t0
    save_png(path, image)
    return image, seconds


def grid(rows: list[tuple[str, list[np.ndarray]]], titles: list[str], cell: int = 224, per_line: int = 3) -> np.ndarray:
    """Classes in lines of ``per_line``, each class's pictures side by side under its name."""
    columns = len(titles)
    label_h, gap = 18, 8
    lines = (len(rows) + per_line - 1) // per_line
    width = per_line * columns * cell + (per_line - 1) * gap
    height = label_h + lines * (cell + label_h + gap)
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    for k in range(per_line):
        for j, title in enumerate(titles):
            draw.text((k * (columns * cell + gap) + j * cell + 4, 3), title, fill="black")
    for i, (name, images) in enumerate(rows):
        x0 = (i % per_line) * (columns * cell + gap)
        y0 = label_h + (i // per_line) * (cell + label_h + gap)
        draw.text((x0 + 4, y0 + 3), name, fill="black")
        for j, image in enumerate(images):
            canvas.paste(Image.fromarray(image).resize((cell, cell), Image.BICUBIC), (x0 + j * cell, y0 + label_h))
    return np.asarray(canvas)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=512)
    parser.add_argument("--param", default="fourier", help="our parameterisation: fourier (today's default) or maco")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="efficientnet_lite0")
    parser.add_argument("--judge", default="efficientnet_lite1")
    parser.add_argument("--classes", default=",".join(CLASSES))
    parser.add_argument("--out", default="docs/classviz_grid.jpg", help="the grid (.jpg: quality 90, or .png)")
    parser.add_argument("--cache", default="/tmp/classviz_grid")
    parser.add_argument("--lucent-path", default=None, help="folder holding the lucent package (put on sys.path)")
    parser.add_argument("--no-lucent", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], help="override a recipe parameter, NAME=VALUE")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.lucent_path:
        sys.path.insert(0, args.lucent_path)
    use_lucent = not args.no_lucent
    if use_lucent:
        try:
            import lucent.optvis  # noqa: F401
        except ImportError:
            print("lucent not importable: rendering our column only", file=sys.stderr)
            use_lucent = False
    model = load_model(args.model, device="cpu")
    judge = load_model(args.judge, device="cpu")
    changes = {}
    for item in args.set:
        name, value = item.split("=", 1)
        kind = type(getattr(ClassVizParams.defaults(), name))
        changes[name] = kind(value)
    params = ClassVizParams.defaults(args.param, steps=args.steps, **changes)
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    key = _recipe_key(params)
    rows, table, seconds = [], [], {"ours": [], "lucent": []}
    for name in [c.strip() for c in args.classes.split(",") if c.strip()]:
        target = model.class_index(name)
        image, took = _cached(cache / f"ours-{model.name}-{key}-{target}-s{args.seed}.png",
                              lambda: ours(model, target, params, args.seed))
        if took:
            seconds["ours"].append(took / args.steps)
        pictures, verdicts = [image], [second_opinion(judge, image, 5)]
        if use_lucent:
            other, took = _cached(cache / f"lucent-{model.name}-{target}-{args.steps}-s{args.seed}.png",
                                  lambda: lucent_render(model, target, args.steps, args.seed))
            if took:
                seconds["lucent"].append(took / args.steps)
            pictures.append(other)
            verdicts.append(second_opinion(judge, other, 5))
        rows.append((f"{model.labels[target]} ({target})", pictures))
        cells = []
        for top in verdicts:
            prob = next((p.prob for p in top if p.index == target), 0.0)
            cells.append(f"{'yes' if top[0].index == target else 'no'} ({top[0].label}, p(target) {prob:.2f})")
        table.append((model.labels[target], cells))
        print(f"{model.labels[target]}: " + " | ".join(cells), file=sys.stderr, flush=True)
    titles = ["ours"] + (["Lucent"] if use_lucent else [])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    picture = grid(rows, titles)
    if out.suffix.lower() in (".jpg", ".jpeg"):  # a tenth of the PNG's size, for the README
        Image.fromarray(picture).save(out, quality=90)
    else:
        save_png(out, picture, {"recipe": params.as_dict(), "model": model.name, "steps": args.steps, "seed": args.seed})
    print(f"### Class visualization, {model.name}, {args.steps} steps, seed {args.seed}: judged by {judge.name}\n")
    print("| class | " + " | ".join(titles) + " |")
    print("|---|" + "---|" * len(titles))
    for name, cells in table:
        print(f"| {name} | " + " | ".join(cells) + " |")
    hits = [sum(cells[j].startswith("yes") for _, cells in table) for j in range(len(titles))]
    print("\njudge top-1: " + ", ".join(f"{t} {h}/{len(table)}" for t, h in zip(titles, hits)))
    for method, values in seconds.items():
        if values:
            print(f"{method}: {1000 * float(np.median(values)):.0f} ms per step ({torch.get_num_threads()} threads)")
    print(f"\ngrid: {out}; recipe: {json.dumps(params.as_dict())}")


if __name__ == "__main__":
    main()
