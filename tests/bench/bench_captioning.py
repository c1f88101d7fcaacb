"""Benchmark of the captioning engine (not run by CI).

Training throughput (sequences per second of forward + backward + Adam update)
of the explicit-gradient RNN / LSTM of ``engine.captioning`` next to the same
network built from ``torch.nn.RNN`` / ``torch.nn.LSTM`` with autograd and
``torch.optim.Adam``, at the same sizes; and sampling latency per caption,
greedy vs beam search.  Measurements of both sides are interleaved in one run,
the median is reported, and the table prints ratios.

    python tests/bench/bench_captioning.py [--device cpu|cuda] [--threads K] [--quick]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.captioning.decoding import beam_search, greedy_decode  # noqa: E402
from engine.captioning.model import CaptioningRNN  # noqa: E402
from engine.captioning.optim import adam  # noqa: E402


class TorchCaptioner(torch.nn.Module):
    """The same architecture with torch.nn layers (autograd)."""

    def __init__(self, cell, D, W, H, V):
        super().__init__()
        self.proj = torch.nn.Linear(D, H)
        self.embed = torch.nn.Embedding(V, W)
        self.cell = cell
        self.rnn = (torch.nn.LSTM if cell == "lstm" else torch.nn.RNN)(W, H, batch_first=True)
        self.vocab = torch.nn.Linear(H, V)

    def loss(self, features, captions):
        h0 = self.proj(features).unsqueeze(0)
        state = (h0, torch.zeros_like(h0)) if self.cell == "lstm" else h0
        h, _ = self.rnn(self.embed(captions[:, :-1]), state)
        scores = self.vocab(h)
        target = captions[:, 1:]
        ce = torch.nn.functional.cross_entropy(scores.reshape(-1, scores.shape[-1]), target.reshape(-1),
                                               reduction="none")
        return (ce * (target.reshape(-1) != 0)).sum() / features.shape[0]


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(fn, device):
    sync(device)
    t = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - t


def train_bench(cell, sizes, device, reps):
    N, T, D, W, H, V = sizes
    word_to_idx = {w: i for i, w in enumerate(["<NULL>", "<START>", "<END>", "<UNK>"] + [f"w{i}" for i in range(V - 4)])}
    g = torch.Generator().manual_seed(0)
    features = torch.randn(N, D, generator=g).to(device)
    captions = torch.randint(4, V, (N, T + 1), generator=g).to(device)
    captions[:, 0] = 1

    ours = CaptioningRNN(word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell, device=device, seed=0)
    configs = {k: {"learning_rate": 1e-3} for k in ours.params}

    def ours_step():
        _, grads = ours.loss(features, captions)
        for k, w in ours.params.items():
            ours.params[k], configs[k] = adam(w, grads[k], configs[k])

    ref = TorchCaptioner(cell, D, W, H, V).to(device)
    opt = torch.optim.Adam(ref.parameters(), lr=1e-3)

    def ref_step():
        opt.zero_grad(set_to_none=True)
        ref.loss(features, captions).backward()
        opt.step()

    for _ in range(2):
        ours_step(), ref_step()
    t_ours, t_ref = [], []
    for _ in range(reps):
        t_ours.append(timed(ours_step, device))
        t_ref.append(timed(ref_step, device))
    return N / statistics.median(t_ours), N / statistics.median(t_ref)


def sample_bench(cell, sizes, device, n_images, beam):
    N, T, D, W, H, V = sizes
    word_to_idx = {w: i for i, w in enumerate(["<NULL>", "<START>", "<END>", "<UNK>"] + [f"w{i}" for i in range(V - 4)])}
    model = CaptioningRNN(word_to_idx, input_dim=D, wordvec_dim=W, hidden_dim=H, cell_type=cell, device=device, seed=0)
    p = dict(model.params)
    p["b_vocab"] = p["b_vocab"].clone()
    p["b_vocab"][2] = -1e3                  # never <END>: every caption runs the full length T
    model.load_params(p)
    features = torch.randn(n_images, D, generator=torch.Generator().manual_seed(1)).to(device)
    greedy_decode(model, features[:1], max_length=T)
    t_greedy = timed(lambda: [greedy_decode(model, features[i:i + 1], max_length=T, top_k=5)
                              for i in range(n_images)], device) / n_images
    t_beam = timed(lambda: [beam_search(model, features[i:i + 1], beam_width=beam, max_length=T, top_k=5)
                            for i in range(n_images)], device) / n_images
    t_batch = timed(lambda: greedy_decode(model, features, max_length=T, top_k=0), device) / n_images
    return t_greedy, t_beam, t_batch


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's choice)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    sizes = (20, 8, 64, 64, 128, 200) if args.quick else (100, 16, 256, 256, 512, 1000)
    N, T, D, W, H, V = sizes
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"N={N} T={T} D={D} W={W} H={H} V={V}, float32, median of {args.reps}")
    print()
    print(f"{'training (fwd+bwd+Adam)':28s} {'ours seq/s':>12s} {'torch.nn seq/s':>15s} {'ours/torch':>11s}")
    for cell in ("rnn", "lstm"):
        ours, ref = train_bench(cell, sizes, device, args.reps)
        name = "torch.nn.LSTM" if cell == "lstm" else "torch.nn.RNN"
        print(f"{cell.upper() + ' vs ' + name:28s} {ours:12.1f} {ref:15.1f} {ours / ref:11.2f}")
    print()
    print(f"{'sampling, per caption':28s} {'greedy ms':>12s} {'beam-5 ms':>15s} {'beam/greedy':>11s} {'batched greedy ms':>18s}")
    for cell in ("rnn", "lstm"):
        g, b, batched = sample_bench(cell, sizes, device, n_images=5 if args.quick else 20, beam=5)
        print(f"{cell.upper():28s} {g * 1e3:12.2f} {b * 1e3:15.2f} {b / g:11.2f} {batched * 1e3:18.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
