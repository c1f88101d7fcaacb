"""Neural Lens next to captum and Lucent (torch-lucent): the same methods on
the same EfficientNet-Lite0 and photo, in one process, costs in bare
forward+backward passes.  Not run by CI.

    make bench-peers          (builds .venv-peers, then runs this file with it)
    .venv-peers/bin/python tests/bench/peers.py [--reps 3] [--steps 20] [--threads N]

The unit is one bare single-image forward+backward of the network at 224 px
in PyTorch's default layout (NCHW, BatchNorm unfolded: what captum and Lucent
get when handed the network), measured between the rows; each cost is a
median over ``--reps`` repetitions, the tools taking turns.

* captum (Kokhlikyan et al. 2020) gets the plain network, as its users would
  pass it, and, in a second column, Neural Lens's tuned one (channels-last,
  folded BatchNorm), to tell the tool's share from the network's.  Settings as
  ours: Saliency with ``abs=True``; NoiseTunnel(Saliency) SmoothGrad, 25
  samples, sigma = 15 % of the input range, its default batch (all samples at
  once); IntegratedGradients, 50 steps, black baseline, its default method
  and batch.
* Lucent ``render_vis``: the class logit of "tarantula", its default
  decorrelated Fourier image at 128 px (upsampled to 224 px for the network,
  as it does and as Neural Lens's default does), its standard transforms and
  Adam at 0.05; against Neural Lens's class visualization at its defaults
  (the same parameterisation and size).  Cost per optimisation step.
"""
from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.generation import ClassVizParams, class_visualization  # noqa: E402
from engine.gradients import integrated_gradients_map, smoothgrad, vanilla_saliency  # noqa: E402
from engine.imaging import load_image  # noqa: E402
from engine.jobs import Control, run_to_end  # noqa: E402
from engine.models import load_model  # noqa: E402

TARANTULA = 76


CLOCK = time.perf_counter


def timed(fn) -> float:
    start = CLOCK()
    fn()
    return CLOCK() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--steps", type=int, default=20, help="optimisation steps timed per class-visualization run")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                        help="wall-clock time, or this process's CPU time (with --threads 1: robust on a busy machine)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    import captum
    import lucent
    import skimage.data
    from captum.attr import IntegratedGradients, NoiseTunnel, Saliency
    from lucent.optvis import render, transform

    started = time.monotonic()
    model = load_model(device="cpu")
    plain = copy.deepcopy(model)
    plain.tune(channels_last=False, fold_batchnorm=False)
    photo = load_image(Path(skimage.data.__file__).parent / "coffee.png")
    x = model.preprocess(model.prepare(photo))
    target = int(model.logits(x).argmax())
    lo, hi = model.input_range
    sigma = float(0.15 * (hi - lo).mean())
    black = lo.expand_as(x).clone()

    def unit() -> float:
        leaf = x.detach().requires_grad_(True)
        return timed(lambda: torch.autograd.grad(plain.net(leaf)[0, target], leaf))

    def captum_rows(net):
        return {
            "vanilla gradient": lambda: Saliency(net).attribute(x, target=target, abs=True),
            "SmoothGrad, N=25": lambda: NoiseTunnel(Saliency(net)).attribute(
                x, nt_type="smoothgrad", nt_samples=25, stdevs=sigma, target=target, abs=True),
            "Integrated Gradients, m=50": lambda: IntegratedGradients(net).attribute(
                x, baselines=black, target=target, n_steps=50),
        }

    ours = {
        "vanilla gradient": lambda: vanilla_saliency(model, x, target),
        "SmoothGrad, N=25": lambda: smoothgrad(model, x, target, samples=25),
        "Integrated Gradients, m=50": lambda: integrated_gradients_map(model, x, target, steps=50),
    }
    peers = {"ours": ours, "captum": captum_rows(plain.net), "captum, tuned net": captum_rows(model.net)}
    steps = args.steps

    def our_classviz() -> float:
        params = ClassVizParams.defaults("fourier", steps=steps)
        return timed(lambda: run_to_end(class_visualization(model, TARANTULA, control=Control(params)))) / steps

    def lucent_classviz(net) -> float:
        normalize = [lambda t: (t * 255.0 - 127.0) / 128.0]
        return timed(lambda: render.render_vis(
            net, f"_fc:{TARANTULA}", transforms=transform.standard_transforms + normalize, thresholds=(steps,),
            preprocess=False, progress=False, show_image=False)) / steps

    generation = {"ours": our_classviz, "Lucent": lambda: lucent_classviz(copy.deepcopy(plain.net)),
                  "Lucent, tuned net": lambda: lucent_classviz(copy.deepcopy(model.net))}

    for _ in range(2):
        unit()
    units: list[float] = []
    cost: dict[tuple[str, str], list[float]] = {}
    for rep in range(args.reps):
        order = list(peers) if rep % 2 == 0 else list(reversed(peers))
        for method in ours:
            for tool in order:
                units.append(unit())
                cost.setdefault((tool, method), []).append(timed(peers[tool][method]))
        for tool in (list(generation) if rep % 2 == 0 else list(reversed(generation))):
            units.append(unit())
            cost.setdefault((tool, "class visualization step"), []).append(generation[tool]())
    units.append(unit())
    u = statistics.median(units)

    def passes(tool: str, method: str) -> str:
        return f"{statistics.median(cost[(tool, method)]) / u:.1f}"

    print("### Neural Lens next to captum and Lucent (cost in bare forward+backward passes)\n")
    print(f"EfficientNet-Lite0, coffee.png at 224 px, CPU, {torch.get_num_threads()} threads, {args.clock} clock, "
          f"torch {torch.__version__}, "
          f"captum {captum.__version__}, torch-lucent {getattr(lucent, '__version__', '0.1.8')}; unit: "
          f"{u * 1000:.1f} ms (median of {len(units)}), median of {args.reps} repetitions. Neural Lens: {model.tuning}.\n")
    print("| method | Neural Lens | captum | captum on Neural Lens's tuned net |")
    print("|---|---:|---:|---:|")
    for method in ours:
        print(f"| {method} | {passes('ours', method)} | {passes('captum', method)} | {passes('captum, tuned net', method)} |")
    print()
    print("| per step | Neural Lens | Lucent render_vis | Lucent on Neural Lens's tuned net |")
    print("|---|---:|---:|---:|")
    print(f"| class visualization, Fourier 128 px seen at 224 px | {passes('ours', 'class visualization step')} | "
          f"{passes('Lucent', 'class visualization step')} | {passes('Lucent, tuned net', 'class visualization step')} |")
    print(f"\n_peers.py: {time.monotonic() - started:.0f} s_")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
