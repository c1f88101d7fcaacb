"""The 12-class grid of issues #15 and #28: our class visualization with
today's default parameterisation (the Fourier image) and with MACO, next to
Lucent's ``render_vis``, on each network, the same number of steps and seed
0, judged by a second network (EfficientNet-Lite1; Lite0 for Lite1).

    .venv/bin/python tests/bench/classviz_grid.py [--steps 512] [--columns fourier,maco,lucent]
        [--models efficientnet_lite0,efficientnet_lite1,efficientnet_lite2] [--out docs/classviz_grid_{model}.jpg]
        [--lucent-path /tmp/lucent_pkgs] [--cache /tmp/classviz_grid] [--classes goldfish,zebra]

One grid per network (``{model}`` in ``--out``: lite0, lite1, lite2); a
column whose pictures are neither cached nor can be made (Lucent not
importable) is left out for that network.

Lucent (``pip install --no-deps --target DIR torch-lucent kornia==0.7.3 kornia-rs
decorator tqdm``; it imports IPython.display only to show pictures in a
notebook, a stub is enough) is optional: without it only our column is
rendered.  Lucent runs with its defaults -- ``param.image(224)`` (decorrelated
Fourier image), ``transform.standard_transforms``, Adam lr 0.05 -- and the
network's own normalisation appended, maximising the class logit.  Every
picture is cached in ``--cache`` (delete it after changing the recipe or
the code: our pictures are keyed by the recipe's parameters only -- MACO's
also depend on the natural magnitude, :mod:`engine.generation.natural_spectrum`).  Prints a Markdown table: per
class, the judge's top-1 and the target's probability for each method, and
the milliseconds per step.  Not run by ``make bench`` (ours about 45 ms per
step on one idle CPU core, some 5 minutes for its column; on the shared 2-core
machine at a load of 7, one process, one thread, nice 10: about 1.5 min per
picture for ours on Lite2, 1-2.5 min for Lucent's; split the classes over
processes sharing ``--cache`` where cores are free).  ``--cell``/``--quality``:
the README grids use ``--cell 176 --quality 75`` (under 400 KB each).
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
from engine.generation.classviz import recommended_parameterization  # noqa: E402
from engine.imaging import load_image, save_png  # noqa: E402
from engine.jobs import Control, run_to_end  # noqa: E402
from engine.models import load_model  # noqa: E402
from engine.models.judge import second_opinion  # noqa: E402

TITLES = {"fourier": "Fourier", "maco": "MACO", "pixels": "pixels", "lucent": "Lucent"}
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


def _judge_name(model: str, judge: str | None) -> str:
    return judge or ("efficientnet_lite0" if model == "efficientnet_lite1" else "efficientnet_lite1")


def _picture(kind: str, model, target: int, args, cache: Path, params: dict, seconds: dict, can_lucent: bool):
    """The cached or newly made picture of one column (``None``: Lucent, neither cached nor importable)."""
    if kind == "lucent":
        path = cache / f"lucent-{model.name}-{target}-{args.steps}-s{args.seed}.png"
        if not (path.exists() or can_lucent):
            return None
        image, took = _cached(path, lambda: lucent_render(model, target, args.steps, args.seed))
    else:
        path = cache / f"ours-{model.name}-{_recipe_key(params[kind])}-{target}-s{args.seed}.png"
        image, took = _cached(path, lambda: ours(model, target, params[kind], args.seed))
    if took:
        seconds.setdefault(kind, []).append(took / args.steps)
    return image


def _verdict(judge, image: np.ndarray, target: int) -> str:
    top = second_opinion(judge, image, 5)
    prob = next((p.prob for p in top if p.index == target), 0.0)
    return f"{'yes' if top[0].index == target else 'no'} ({top[0].label}, p(target) {prob:.2f})"


def one_network(name: str, args, columns: list[str], params: dict, can_lucent: bool) -> None:
    """Render (or read from the cache) the grid of one network, save it, print its table."""
    model = load_model(name, device="cpu")
    judge = load_model(_judge_name(name, args.judge), device="cpu")
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, list[float]] = {}
    cells: dict[str, list] = {kind: [] for kind in columns}
    names = [c.strip() for c in args.classes.split(",") if c.strip()]
    targets = [model.class_index(c) for c in names]
    for target in targets:
        for kind in columns:
            cells[kind].append(_picture(kind, model, target, args, cache, params, seconds, can_lucent))
        print(f"{model.labels[target]}: done", file=sys.stderr, flush=True)
    shown = [kind for kind in columns if all(image is not None for image in cells[kind])]
    default = recommended_parameterization(model.name)
    titles = [TITLES.get(kind, kind) + (" (default)" if kind == default else "") for kind in shown]
    rows = [(f"{model.labels[t]} ({t})", [cells[kind][i] for kind in shown]) for i, t in enumerate(targets)]
    out = Path(args.out.format(model=name.replace("efficientnet_", "")))
    out.parent.mkdir(parents=True, exist_ok=True)
    picture = grid(rows, titles, cell=args.cell)
    if out.suffix.lower() in (".jpg", ".jpeg"):  # a tenth of the PNG's size, for the README
        Image.fromarray(picture).save(out, quality=args.quality)
    else:
        save_png(out, picture, {"recipes": {k: params[k].as_dict() for k in shown if k in params},
                                "model": model.name, "steps": args.steps, "seed": args.seed})
    print(f"### Class visualization, {model.name}, {args.steps} steps, seed {args.seed}: judged by {judge.name}\n")
    print("| class | " + " | ".join(titles) + " |")
    print("|---|" + "---|" * len(titles))
    verdicts = {kind: [_verdict(judge, image, t) for image, t in zip(cells[kind], targets)] for kind in shown}
    for i, t in enumerate(targets):
        print(f"| {model.labels[t]} | " + " | ".join(verdicts[kind][i] for kind in shown) + " |")
    print("\njudge top-1: " + ", ".join(f"{title} {sum(v.startswith('yes') for v in verdicts[k])}/{len(targets)}"
                                         for title, k in zip(titles, shown)))
    for kind, values in seconds.items():
        print(f"{kind}: {1000 * float(np.median(values)):.0f} ms per step ({torch.get_num_threads()} threads)")
    print(f"\ngrid: {out}\n", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=512)
    parser.add_argument("--columns", default=None, help="comma-separated: fourier, maco, pixels, lucent "
                                                        "(default fourier,maco,lucent)")
    parser.add_argument("--param", default=None, help="one column of ours only (fourier or maco), no Lucent")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", "--model", dest="models",
                        default="efficientnet_lite0,efficientnet_lite1,efficientnet_lite2")
    parser.add_argument("--judge", default=None, help="default: Lite1 (Lite0 for Lite1)")
    parser.add_argument("--classes", default=",".join(CLASSES))
    parser.add_argument("--out", default="docs/classviz_grid_{model}.jpg",
                        help="the grid per network, {model} = lite0/lite1/lite2 (.jpg: --quality, or .png)")
    parser.add_argument("--cell", type=int, default=224, help="side of each picture in the grid, px")
    parser.add_argument("--quality", type=int, default=90, help="JPEG quality of a .jpg grid")
    parser.add_argument("--cache", default="/tmp/classviz_grid")
    parser.add_argument("--lucent-path", default=None, help="folder holding the lucent package (put on sys.path)")
    parser.add_argument("--no-lucent", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--set", action="append", default=[], help="override a recipe parameter, NAME=VALUE")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.lucent_path:
        sys.path.insert(0, args.lucent_path)
    columns = [args.param] if args.param else (args.columns or "fourier,maco,lucent").split(",")
    if args.no_lucent and "lucent" in columns:
        columns.remove("lucent")
    can_lucent = "lucent" in columns
    if can_lucent:
        try:
            import lucent.optvis  # noqa: F401
        except ImportError:
            print("lucent not importable: its column only where its pictures are cached", file=sys.stderr)
            can_lucent = False
    changes = {}
    for item in args.set:
        name, value = item.split("=", 1)
        changes[name] = type(getattr(ClassVizParams.defaults(), name))(value)
    params = {kind: ClassVizParams.defaults(kind, steps=args.steps, **changes) for kind in columns if kind != "lucent"}
    for name in args.models.split(","):
        one_network(name.strip(), args, columns, params, can_lucent)
    print("recipes: " + json.dumps({k: p.as_dict() for k, p in params.items()}))


if __name__ == "__main__":
    main()
