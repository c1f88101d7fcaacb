"""The GPU path: correctness of the engine on a device against the CPU, and the
speed benchmarks, in ONE Markdown table.  Not run by CI.

    python tests/bench/gpu_check.py [--device cuda|cuda:1|cpu] [--quick] [--threads K]

Correctness (reference: the same computation on the CPU, float32 as the app
runs it; with ``--device cpu`` these are self-checks of the script): model
logits, vanilla saliency, SmoothGrad (noise streams differ between devices,
so it must agree with the CPU as well as two CPU seeds agree with each
other), Integrated Gradients (+ completeness), Grad-CAM, a fooling run, a few
steps of each generation mode, every captioning layer's backward pass in
float64 and float32 against the CPU in float64 (+ the numerical gradient
check on the device), and a short captioning training run.

Speed (on the device): the device tuning the model got
(:func:`engine.device.device_tuning`: channels-last measured at load on CUDA,
BatchNorm folding, the attribution batch) and what it gains over the plain
network (NCHW, unfolded) with its error; forward+backward rate of
EfficientNet-Lite0 at 224 px, steps/s of each optimisation loop as a fraction
of the plain single-image rate, SmoothGrad (25) and Integrated Gradients (50)
at the automatic batch in plain forward+backward units (targets as on the
CPU: <= 20 and <= 40), the per-image cost at other batch sizes (to set the
per-device batch in ``engine/device.py`` from numbers), training throughput
of the explicit-backward LSTM/RNN vs ``torch.nn.LSTM``/``RNN``; and autocast,
a candidate speed-up the engine does NOT use, with its speed and its error.

The correctness checks and the command line are here; the speed rows, the
table and the test photos in ``gpu_speed.py``.

Needs only PyTorch, torchvision, numpy, Pillow and the weights package (no
Qt, pytest or scikit-image: the test photos are drawn here).  Exit code 1
when a correctness check fails.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from gpu_speed import Table, bench, candidate_speedups, corr, photo, rel_err, tuning_rows  # noqa: E402

from engine.captioning import CaptioningRNN, CaptioningSolver, check_layers  # noqa: E402
from engine.captioning import layers as L  # noqa: E402
from engine.generation import ClassVizParams, DreamParams, InversionParams, class_visualization, deepdream, feature_inversion  # noqa: E402
from engine.gradients import FoolParams, fool, grad_cam, integrated_gradients, smoothgrad, vanilla_saliency  # noqa: E402
from engine.jobs import Control, run_to_end  # noqa: E402
from engine.models import load_model  # noqa: E402


# ---------------------------------------------------------------------- correctness: classifier and gradients
def check_gradients(t: Table, ref, dev, quick: bool) -> None:
    photos = [photo(k) for k in range(2)]
    x_ref, x_dev = ref.preprocess(photos), dev.preprocess(photos)
    with torch.no_grad():
        lr, ld = ref.logits(x_ref), dev.logits(x_dev)
    t.add("model", "logits: max rel. error vs CPU", rel_err(ld, lr), "< 5e-3", rel_err(ld, lr) < 5e-3)
    same = bool((ld.topk(5).indices.cpu() == lr.topk(5).indices).all())
    t.add("model", "top-5 classes equal to CPU", str(same), "True", same)
    target = int(lr[0].argmax())
    v_ref, v_dev = vanilla_saliency(ref, x_ref[:1], target), vanilla_saliency(dev, x_dev[:1], target)
    t.add("saliency", "vanilla map: rel. L2 error vs CPU", _l2(v_dev, v_ref), "< 2e-2", _l2(v_dev, v_ref) < 2e-2)
    n = 8 if quick else 25
    s_ref = smoothgrad(ref, x_ref[:1], target, samples=n, seed=0)
    s_ref2 = smoothgrad(ref, x_ref[:1], target, samples=n, seed=1)
    s_dev = smoothgrad(dev, x_dev[:1], target, samples=n, seed=0)
    base = corr(s_ref2, s_ref)
    t.add("saliency", f"SmoothGrad N={n}: corr. with CPU (two CPU seeds: {base:.3f})", corr(s_dev, s_ref),
          ">= CPU seeds - 0.05", corr(s_dev, s_ref) >= base - 0.05)
    m = 16 if quick else 50
    ig_ref = integrated_gradients(ref, x_ref[:1], target, steps=m)
    ig_dev = integrated_gradients(dev, x_dev[:1], target, steps=m)
    t.add("saliency", f"Integrated Gradients m={m}: rel. L2 error vs CPU", _l2(ig_dev, ig_ref), "< 2e-2",
          _l2(ig_dev, ig_ref) < 2e-2)
    gaps = []
    for model, x, ig in ((ref, x_ref, ig_ref), (dev, x_dev, ig_dev)):
        lo, _ = model.input_range
        with torch.no_grad():
            delta = model.logits(x[:1])[0, target] - model.logits(lo.expand_as(x[:1]))[0, target]
        gaps.append(float(abs(ig.sum() - delta) / abs(delta)))
    t.add("saliency", f"IG completeness error on device (CPU {gaps[0]:.3g})", gaps[1], "<= 2 x CPU + 0.01",
          gaps[1] <= 2 * gaps[0] + 0.01)
    c_ref, c_dev = grad_cam(ref, x_ref[:1], target), grad_cam(dev, x_dev[:1], target)
    t.add("saliency", "Grad-CAM: rel. L2 error vs CPU", _l2(c_dev, c_ref), "< 2e-2", _l2(c_dev, c_ref) < 2e-2)

    second = int(lr[1].topk(6).indices[5])  # the 6th most likely class: a short but real run
    runs = []
    for model in (ref, dev):
        _, result = run_to_end(fool(model, photos[1], second, control=Control(FoolParams(lr=1.0, max_iter=40)),
                                    prepared=True))
        runs.append(result)
    ok = all(r.success for r in runs) and abs(runs[0].iterations - runs[1].iterations) <= max(2, runs[0].iterations // 5)
    t.add("fooling", f"to class {second}: fooled on CPU / device, iterations CPU / device",
          f"{runs[0].success}/{runs[1].success}, {runs[0].iterations}/{runs[1].iterations}", "both, within 20%", ok)


def _l2(a, b) -> float:
    a = torch.as_tensor(a).detach().double().cpu()
    b = torch.as_tensor(b).detach().double().cpu()
    return float((a - b).norm() / b.norm().clamp_min(1e-30))


# ---------------------------------------------------------------------- correctness: generation
def check_generation(t: Table, ref, dev, quick: bool) -> None:
    steps = 4 if quick else 10
    source, guide = photo(3), photo(4, 128)
    modes = {
        "class viz (fourier 64 px)": lambda m, c: class_visualization(m, 76, control=c, seed=0),
        "feature inversion (blocks.3)": lambda m, c: feature_inversion(m, source, "blocks.3", control=c, seed=0),
        "DeepDream (blocks.5)": lambda m, c: deepdream(m, source, "blocks.5", control=c, seed=0),
        "guided DeepDream (blocks.5)": lambda m, c: deepdream(m, source, "blocks.5", control=c, guide=guide, seed=0),
    }
    params = {"class viz (fourier 64 px)": ClassVizParams(size=64, steps=steps),
              "feature inversion (blocks.3)": InversionParams(size=224, steps=steps),
              "DeepDream (blocks.5)": DreamParams(steps=steps, octaves=1, tile=0),
              "guided DeepDream (blocks.5)": DreamParams(steps=steps, octaves=1, tile=0)}
    for name, make in modes.items():
        out = []
        for model in (ref, dev):
            last, image = run_to_end(make(model, Control(params[name])))
            out.append((image.astype(np.float64), next(iter(last.metrics.values()))))
        diff = float(np.abs(out[0][0] - out[1][0]).mean())
        objective = abs(out[1][1] - out[0][1]) / max(abs(out[0][1]), 1e-12)
        t.add("generation", f"{name}, {steps} steps: mean abs. pixel diff. vs CPU (objective rel. diff {objective:.2g})",
              diff, "< 3 of 255, obj. < 5%", diff < 3 and objective < 0.05)


# ---------------------------------------------------------------------- correctness: captioning
def layer_gradients(device: torch.device, dtype: torch.dtype) -> dict[str, list[torch.Tensor]]:
    """Forward + explicit backward of every captioning layer on the same
    inputs (made on the CPU in float64, then cast); gradients back on the CPU."""
    g = torch.Generator().manual_seed(0)
    N, T, D, H, V = 16, 12, 64, 48, 100

    def rnd(*shape, scale=1.0):
        return (torch.randn(*shape, generator=g, dtype=torch.float64) * scale).to(device=device, dtype=dtype)

    out = {}
    x1, h, c, x = rnd(N, D), rnd(N, H), rnd(N, H), rnd(N, T, D)
    Wx, Wh, b = rnd(D, H, scale=0.2), rnd(H, H, scale=0.2), rnd(H)
    Wx4, Wh4, b4 = rnd(D, 4 * H, scale=0.2), rnd(H, 4 * H, scale=0.2), rnd(4 * H)
    nh, cache = L.rnn_step_forward(x1, h, Wx, Wh, b)
    out["rnn_step"] = L.rnn_step_backward(rnd(*nh.shape), cache)
    hs, cache = L.rnn_forward(x, h, Wx, Wh, b)
    out["rnn"] = L.rnn_backward(rnd(*hs.shape), cache)
    nh, nc, cache = L.lstm_step_forward(x1, h, c, Wx4, Wh4, b4)
    out["lstm_step"] = L.lstm_step_backward(rnd(*nh.shape), rnd(*nc.shape), cache)
    hs, cache = L.lstm_forward(x, h, Wx4, Wh4, b4)
    out["lstm"] = L.lstm_backward(rnd(*hs.shape), cache)
    ids = torch.randint(0, V, (N, T), generator=g).to(device)
    W = rnd(V, D)
    emb, cache = L.word_embedding_forward(ids, W)
    out["word_embedding"] = [L.word_embedding_backward(rnd(*emb.shape), cache)]
    w, bb = rnd(H, V, scale=0.1), rnd(V)
    scores, cache = L.temporal_affine_forward(rnd(N, T, H), w, bb)
    out["temporal_affine"] = L.temporal_affine_backward(rnd(*scores.shape), cache)
    y = torch.randint(0, V, (N, T), generator=g).to(device)
    mask = (torch.rand(N, T, generator=g) > 0.3).to(device)
    loss, dx = L.temporal_softmax_loss(rnd(N, T, V), y, mask)
    out["temporal_softmax_loss"] = [torch.as_tensor(loss).reshape(1), dx]
    return {k: [v.detach().double().cpu() for v in grads] for k, grads in out.items()}


def check_captioning(t: Table, device: torch.device, quick: bool) -> None:
    reference = layer_gradients(torch.device("cpu"), torch.float64)
    for dtype, limit in ((torch.float64, 1e-10), (torch.float32, 1e-4)):
        got = layer_gradients(device, dtype)
        worst = {name: max(rel_err(a, b) for a, b in zip(got[name], reference[name])) for name in reference}
        name = max(worst, key=worst.get)
        t.add("captioning", f"layers' backward, {str(dtype)[6:]}: worst rel. error vs CPU float64 ({name})",
              worst[name], f"< {limit:g}", worst[name] < limit)
    results = check_layers(device=device)
    t.add("captioning", "numerical gradient check of every layer on the device (float64)",
          f"{sum(r.passed for r in results)}/{len(results)} pass", "all", all(r.passed for r in results))

    rng = np.random.default_rng(0)
    words = {"<NULL>": 0, "<START>": 1, "<END>": 2, **{f"w{i}": 3 + i for i in range(50)}}
    caps = rng.integers(3, 53, (400, 13)).astype(np.int32)
    caps[:, 0] = 1
    data = {"train_features": rng.normal(size=(100, 64)).astype(np.float32), "train_captions": caps,
            "train_image_idxs": rng.integers(0, 100, 400), "word_to_idx": words}
    losses = []
    iterations = 10 if quick else 40
    for dev in (torch.device("cpu"), device):
        model = CaptioningRNN(words, input_dim=64, wordvec_dim=32, hidden_dim=64, cell_type="lstm", device=dev, seed=0)
        solver = CaptioningSolver(model, data, optim_config={"learning_rate": 5e-3}, batch_size=40,
                                  num_epochs=iterations // 10, seed=0, val_bleu_samples=0)
        run_to_end(solver.run())
        losses.append(np.array(solver.loss_history))
    err = float(np.abs(losses[1] - losses[0]).max() / losses[0].max())
    t.add("captioning", f"LSTM training, {iterations} iterations: loss curve rel. diff vs CPU "
          f"(loss {losses[1][0]:.3g} -> {losses[1][-1]:.3g})", err, "< 1e-3, loss falls",
          err < 1e-3 and losses[1][-1] < losses[1][0])


# ---------------------------------------------------------------------- main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="device to check against the CPU (default cuda)")
    parser.add_argument("--quick", action="store_true", help="fewer steps and repetitions (a few minutes on a CPU)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    try:
        device = torch.device(args.device)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError("no CUDA device here; use --device cpu")
    except (RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    torch.manual_seed(0)
    random.seed(0)
    started = time.monotonic()
    ref = load_model(device="cpu")
    dev = ref if device.type == "cpu" else load_model(device=device)
    if device.type == "cuda":  # what the app runs with: PyTorch's defaults, TF32 convolutions included
        name = (f"{torch.cuda.get_device_name(device)}; TF32 convolutions {torch.backends.cudnn.allow_tf32}, "
                f"TF32 matmul {torch.backends.cuda.matmul.allow_tf32}")
    else:
        name = f"CPU, {torch.get_num_threads()} threads"
    t = Table()
    print(f"checking {dev.name} on {device} ({name}) against the CPU{' (quick)' if args.quick else ''}",
          file=sys.stderr)
    check_gradients(t, ref, dev, args.quick)
    check_generation(t, ref, dev, args.quick)
    check_captioning(t, device, args.quick)
    tuning_rows(t, dev, args.quick)
    bench(t, dev, args.quick)
    candidate_speedups(t, dev, args.quick)
    print(f"### GPU path check: {device} ({name}), torch {torch.__version__}"
          f"{', quick' if args.quick else ''}, {time.monotonic() - started:.0f} s\n")
    print(t.markdown())
    print(f"\n{t.failures} correctness check(s) failed." if t.failures else "\nAll correctness checks passed.")
    return 1 if t.failures else 0


if __name__ == "__main__":
    sys.exit(main())
