"""Killing the process while it saves: a child process saves in a loop and is
SIGKILLed at random moments; the file on disk must always be a complete,
readable, self-consistent earlier version (saves are atomic: temporary file
+ fsync + rename), for result PNGs, raw saliency maps and captioning
checkpoints."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]

PNG_CHILD = """
import sys, numpy as np
from engine.imaging import save_png
rng = np.random.default_rng(0)
images = [rng.integers(0, 256, (384, 384, 3), dtype=np.uint8) for _ in range(3)]
i = 0
while True:
    img = images[i % 3]
    save_png(sys.argv[1], img, {"i": i, "checksum": int(img.astype(np.int64).sum())})
    i += 1
    if i == 2:
        print("ready", flush=True)
"""

NPY_CHILD = """
import sys, numpy as np
from engine.imaging import save_npy
i = 0
while True:
    save_npy(sys.argv[1], np.full((512, 512), float(i), np.float32))
    i += 1
    if i == 2:
        print("ready", flush=True)
"""

CKPT_CHILD = """
import sys, torch
torch.set_num_threads(1)
from engine.captioning import CaptioningRNN, save_checkpoint
words = {"<NULL>": 0, "<START>": 1, "<END>": 2, **{f"w{k}": 3 + k for k in range(200)}}
model = CaptioningRNN(words, input_dim=256, wordvec_dim=64, hidden_dim=128, cell_type="lstm", seed=0)
i = 0
while True:
    model.params["b"].fill_(float(i))
    save_checkpoint(sys.argv[1], model, metadata={"i": i})
    i += 1
    if i == 2:
        print("ready", flush=True)
"""


def kill_while_saving(child: str, target: Path, delays) -> int:
    """Start ``child`` (saving to ``target`` in a loop), SIGKILL it after each
    delay (a fresh child each time); returns the number of kills."""
    for delay in delays:
        proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(child), str(target)], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            line = proc.stdout.readline()
            assert line.strip() == "ready", proc.stderr.read()
            time.sleep(delay)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(30)
        assert proc.returncode == -signal.SIGKILL
        yield


def test_png_result_survives_sigkill_mid_save(tmp_path):
    from engine.imaging import load_image, read_png_params

    target = tmp_path / "result.png"
    rng = random.Random(0)
    seen = set()
    for _ in kill_while_saving(PNG_CHILD, target, [rng.uniform(0.0, 0.25) for _ in range(4)]):
        image = load_image(target)  # complete and decodable
        params = read_png_params(target)
        assert int(image.astype(np.int64).sum()) == params["checksum"]  # pixels and parameters of one save
        seen.add(params["i"])
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "result.png"]
    assert all(name.startswith(".result.png.") and name.endswith(".tmp") for name in leftovers)
    assert len(seen) >= 2  # the kills landed at different points of the loop


def test_raw_saliency_map_survives_sigkill_mid_save(tmp_path):
    target = tmp_path / "map.npy"
    rng = random.Random(1)
    for _ in kill_while_saving(NPY_CHILD, target, [rng.uniform(0.0, 0.15) for _ in range(4)]):
        arr = np.load(target, allow_pickle=False)
        assert arr.shape == (512, 512) and arr.dtype == np.float32
        assert arr.min() == arr.max() >= 1  # one whole save, not a mix of two


@pytest.mark.timeout(120)
def test_captioning_checkpoint_survives_sigkill_mid_save(tmp_path):
    from engine.captioning import load_checkpoint

    target = tmp_path / "model.pt"
    for _ in kill_while_saving(CKPT_CHILD, target, [0.1]):
        ckpt = load_checkpoint(target)
        i = ckpt.metadata["i"]
        assert bool((ckpt.params["b"] == float(i)).all())  # the weights of the save the metadata names
        assert ckpt.build_model().hidden_dim == 128
