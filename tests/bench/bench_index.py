"""The dataset index (issue #25): throughput against the bare batched forward passes, 1 and 2 Dask
workers, peak memory for 1k and 10k photos, and the time of a channel query.

Photos are generated in a temporary folder (smooth random colour fields with a few shapes, JPEG, 320x240)
and deleted afterwards; nothing is committed.

Run: nice .venv/bin/python tests/bench/bench_index.py [--photos 1000] [--memory 1000,10000] [--layers all]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _util import best_of, table
from PIL import Image, ImageDraw


def generate(folder: Path, n: int, start: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, n):
        rng = np.random.default_rng(i)
        field = rng.random((6, 8, 3)) * 255
        im = Image.fromarray(field.astype(np.uint8)).resize((320, 240), Image.BICUBIC)
        draw = ImageDraw.Draw(im)
        for _ in range(3):
            x, y = rng.integers(0, 300, 2)
            draw.ellipse([x, y, x + rng.integers(10, 80), y + rng.integers(10, 80)], fill=tuple(rng.integers(0, 256, 3)))
        im.save(folder / f"p{i:06d}.jpg", quality=90)


def bare_forward(model, folder: Path, layers: list[str], batch: int, count: int = 128) -> float:
    """Photos per second of the batched forward passes alone (photos decoded beforehand)."""
    import torch

    from engine.imaging import load_image

    views = [model.prepare(load_image(p)) for p in sorted(folder.iterdir())[:count]]
    count = len(views)

    def run():
        with torch.inference_mode():
            for i in range(0, count, batch):
                model.features_at(model.preprocess(views[i:i + batch]), layers)

    return count / best_of(run, repeat=3)


def index_rate(model, folder: Path, layers: list[str], batch: int, cluster=None) -> tuple[float, float]:
    """(photos per second of a whole index run, seconds) into a fresh file."""
    from engine.index import ModelSpec, index_job
    from engine.jobs import run_to_end

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        last, _ = run_to_end(index_job(model, str(folder), Path(tmp) / "i.nlindex", layers=layers, k=16, batch=batch,
                                       cluster=cluster, model_factory=ModelSpec(None, "cpu")))
        seconds = time.perf_counter() - t0
    return last.info.indexed / seconds, seconds


def query_ms(model, folder: Path, layers: list[str]) -> float:
    from engine.index import IndexStore, index_job, top_photos
    from engine.jobs import run_to_end

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "q.nlindex"
        run_to_end(index_job(model, str(folder), out, layers=layers, k=16))
        store = IndexStore(out, readonly=True)
        rng = np.random.default_rng(0)
        picks = [(layers[int(rng.integers(len(layers)))], None) for _ in range(50)]
        picks = [(name, int(rng.integers(store.layers[name].channels))) for name, _ in picks]
        t0 = time.perf_counter()
        for name, channel in picks:
            top_photos(store, name, channel, 16)
        store.close()
        return 1000 * (time.perf_counter() - t0) / len(picks)


def child_peak_rss(n: int, tmp: Path) -> dict:
    """Index ``n`` generated photos with a tiny network in a fresh process; its peak RSS."""
    folder = tmp / f"rss{n}"
    generate(folder, n)
    code = f"""
import resource, sys, torch, json
sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
from torch import nn
from engine.models import Classifier
from engine.index import index_job
from engine.jobs import run_to_end
torch.manual_seed(0)
net = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 256, 3, 2, 1), nn.ReLU(),
                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(256, 10))
model = Classifier(name="tiny", net=net, labels=list("0123456789"), mean=[127.0] * 3, std=[64.0] * 3,
                   layers={{"c1": net[0], "c2": net[2]}}, device="cpu", input_size=64)
from engine.jobs import Control
def rss():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20
model.features(torch.zeros(1, 3, 64, 64), "c2")
before, peak = rss(), [0.0]
last, _ = run_to_end(index_job(model, {str(folder)!r}, {str(tmp / f"rss{n}.nlindex")!r}, k=16,
                               control=Control(emit_interval=None, emit_every=1)),
                     lambda frame: peak.__setitem__(0, max(peak[0], rss())))
print(json.dumps({{"photos": last.info.photos, "before": before, "peak": max(peak[0], rss()),
                  "seconds": last.info.seconds, "file_mib": {str(tmp / f"rss{n}.nlindex")!r}}}))
"""
    out = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    out["file_mib"] = os.path.getsize(out["file_mib"]) / 2**20
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--photos", type=int, default=1000)
    p.add_argument("--memory", default="1000,10000", help="photo counts for the peak-memory runs ('' to skip)")
    p.add_argument("--layers", default="all")
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--workers", default="1,2", help="Dask LocalCluster sizes ('' to skip)")
    args = p.parse_args()
    from engine.models import load_model

    model = load_model(device="cpu")
    layers = model.layer_names if args.layers == "all" else args.layers.split(",")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        folder = tmp / "photos"
        t0 = time.perf_counter()
        generate(folder, args.photos)
        print(f"generated {args.photos} photos in {time.perf_counter() - t0:.1f} s", flush=True)
        bare = bare_forward(model, folder, layers, args.batch)
        rows.append(["bare batched forward (decoded beforehand)", round(bare, 1), "1.00"])
        rate, _ = index_rate(model, folder, layers, args.batch)
        rows.append(["index, in-process", round(rate, 1), f"{bare / rate:.2f}"])
        print(rows, flush=True)
        for n in [int(w) for w in args.workers.split(",") if w]:
            from distributed import LocalCluster

            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                rate, _ = index_rate(model, folder, layers, args.batch, cluster=cluster.scheduler_address)
            rows.append([f"index, Dask LocalCluster, {n} worker process(es)", round(rate, 1), f"{bare / rate:.2f}"])
            print(rows[-1], flush=True)
        ms = query_ms(model, folder, layers[-3:])
        print(table(f"Indexing {args.photos} photos with {model.name}, {len(layers)} layers, batch {args.batch} "
                    f"({os.cpu_count()} CPUs, torch threads {__import__('torch').get_num_threads()})",
                    ["run", "photos/s", "time / bare forward"], rows))
        print(f"channel query (top 16 photos, {len(layers[-3:])}-layer index of {args.photos} photos): {ms:.3f} ms")
        mem = [child_peak_rss(int(n), tmp) for n in args.memory.split(",") if n]
        if mem:
            print(table("Peak memory of an index run (tiny network, 256 channels, 64 px)",
                        ["photos", "RSS before MiB", "largest RSS during the run MiB", "growth MiB", "index file MiB",
                         "seconds"],
                        [[m["photos"], f"{m['before']:.1f}", f"{m['peak']:.1f}", f"{m['peak'] - m['before']:.1f}",
                          f"{m['file_mib']:.1f}",
                          round(m["seconds"], 1)] for m in mem]))


if __name__ == "__main__":
    main()
