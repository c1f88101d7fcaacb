"""The dataset index (issue #25): one pass over a folder, per channel the top-k photos with the peak,
per photo every channel's maximum; resumable, incremental, the same on a Dask cluster, memory flat."""
from __future__ import annotations

import os
import sqlite3
import tracemalloc

import numpy as np
import pytest
import torch
from torch import nn

from engine.imaging import load_image, save_png
from engine.index import IndexFileError, IndexStore, index_job, top_photos
from engine.jobs import Control, run_to_end
from engine.models import Classifier

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, stride=2, padding=1)
        self.c2 = nn.Conv2d(8, 256, 3, stride=2, padding=1)
        self.fc = nn.Linear(256, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.c2(torch.relu(self.c1(x)))).mean(dim=(2, 3)))


class Tiny:
    """A picklable recipe for a tiny classifier (32 px input; layers c1: 8 channels 16x16, c2: 256 channels 8x8)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def __call__(self) -> Classifier:
        return _tiny(self.seed)

    def __repr__(self) -> str:
        return f"Tiny({self.seed})"


def _tiny(seed: int) -> Classifier:
    torch.manual_seed(seed)
    net = _Net()
    return Classifier(name=f"tiny{seed}", net=net, labels=[str(i) for i in range(5)], mean=[127.0] * 3, std=[64.0] * 3,
                      layers={"c1": net.c1, "c2": net.c2}, device="cpu", input_size=32)


@pytest.fixture(scope="module")
def tiny():
    return Tiny(0)()


def make_photos(folder, n: int, start: int = 0, bad: bool = True):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + n):
        rng = np.random.default_rng(i)
        side = int(rng.integers(24, 48))
        image = (rng.random((side, side + 5, 3)) ** (1 + i % 3) * 255).astype(np.uint8)
        sub = folder / ("sub" if i % 4 == 0 else "")
        sub.mkdir(exist_ok=True)
        save_png(sub / f"p{i:04d}.png", image)
    if bad:
        (folder / "broken.jpg").write_bytes(b"\xff\xd8 this is not a JPEG")
    return folder


def brute_force(model, folder, layer):
    """Every photo's per-channel maxima and peaks, one photo at a time, by relative path."""
    out = {}
    for path in sorted(folder.rglob("*.png")):
        with torch.no_grad():
            f = model.features(model.preprocess(model.prepare(load_image(path))), layer)[0]
        flat = f.flatten(1)
        out[path.relative_to(folder).as_posix()] = (flat.max(dim=1).values.numpy(), flat.argmax(dim=1).numpy(), f.shape[2])
    return out


def table(path, name):
    with sqlite3.connect(path) as db:
        return sorted(db.execute(f"SELECT * FROM {name}"))


def test_the_index_holds_each_channels_top_photos_and_every_photos_maxima(tiny, tmp_path):
    folder = make_photos(tmp_path / "photos", 23)
    out = tmp_path / "x.nlindex"
    last, _ = run_to_end(index_job(tiny, str(folder), out, k=5, batch=4, shard_size=7))
    s = last.info
    assert last.final and s.photos == 23 and s.indexed == 24 and not s.stopped
    assert [p for p, _why in s.unreadable] == ["broken.jpg"] and s.unreadable[0][1]
    truth = brute_force(tiny, folder, "c2")
    for channel in (0, 7, 255):
        got = top_photos(out, "c2", channel, k=5)
        assert got["layer"] == "c2" and got["channel"] == channel and got["map"] == [8, 8]
        expected = sorted(truth, key=lambda p: -truth[p][0][channel])[:5]
        values = [p["value"] for p in got["photos"]]
        assert values == sorted(values, reverse=True)
        assert np.allclose(values, [truth[p][0][channel] for p in expected], atol=1e-5)
        for photo in got["photos"]:
            rel = photo["path"][len(str(folder)) + 1:]
            peak = truth[rel][1][channel]
            assert photo["value"] == pytest.approx(float(truth[rel][0][channel]), abs=1e-5)
            assert (photo["y"], photo["x"]) == divmod(int(peak), 8)
    store = IndexStore(out, readonly=True)
    assert np.allclose(store.maxima_of("sub/p0004.png", "c2"), truth["sub/p0004.png"][0], atol=1e-5)
    assert store.meta["model"] == "tiny0" and list(store.layers) == ["c1", "c2"] and store.meta["top_k"] == 5
    assert store.meta["model_file"] is None and len(store.meta["model_sha256"]) == 64
    assert store.meta["preprocessing"]["input_size"] == 32 and store.meta["folder"] == str(folder.resolve())
    store.close()


def test_an_index_from_another_model_or_folder_is_refused(tiny, tmp_path):
    folder = make_photos(tmp_path / "photos", 3, bad=False)
    out = tmp_path / "x.nlindex"
    run_to_end(index_job(tiny, str(folder), out, k=2))
    with pytest.raises(IndexFileError, match="made with the model tiny0"):
        run_to_end(index_job(Tiny(1)(), str(folder), out, k=2))
    with pytest.raises(IndexFileError, match="not 3"):
        run_to_end(index_job(tiny, str(folder), out, k=3))
    with pytest.raises(IndexFileError, match="not a Neural Lens index"):
        (tmp_path / "junk.nlindex").write_bytes(b"junk" * 100)
        IndexStore(tmp_path / "junk.nlindex")


def test_a_stopped_index_resumes_and_a_rerun_does_only_what_changed(tiny, tmp_path):
    folder = make_photos(tmp_path / "photos", 20)
    once, resumed = tmp_path / "once.nlindex", tmp_path / "resumed.nlindex"
    run_to_end(index_job(tiny, str(folder), once, k=4, batch=4, shard_size=6))
    control = Control(emit_interval=None, emit_every=1)
    job = index_job(tiny, str(folder), resumed, k=4, batch=4, shard_size=6, control=control)
    first = next(job)
    assert first.step == 6 and not first.final
    control.cancel()
    last, _ = run_to_end(job)
    assert last.info.stopped and last.info.photos < 20
    again, _ = run_to_end(index_job(tiny, str(folder), resumed, k=4, batch=4, shard_size=6))
    assert again.info.indexed == 21 - 6 and again.info.kept == 6 and not again.info.stopped
    for name in ("top", "maxima", "photos"):
        assert table(once, name) == table(resumed, name)
    # nothing new: nothing done
    idle, _ = run_to_end(index_job(tiny, str(folder), resumed, k=4))
    assert idle.info.indexed == 0 and idle.info.kept == 21
    # one photo changed, one removed, one added; a touched but unchanged photo is not indexed again
    save_png(folder / "p0001.png", np.random.default_rng(99).integers(0, 256, (40, 30, 3), dtype=np.uint8))
    (folder / "p0003.png").unlink()
    make_photos(folder, 1, start=50, bad=False)
    os.utime(folder / "p0005.png", ns=(1, 1))
    rerun, _ = run_to_end(index_job(tiny, str(folder), resumed, k=4, batch=4, shard_size=6))
    assert (rerun.info.indexed, rerun.info.changed, rerun.info.removed, rerun.info.photos) == (2, 1, 1, 20)
    fresh = tmp_path / "fresh.nlindex"
    run_to_end(index_job(tiny, str(folder), fresh, k=4, batch=4, shard_size=6))
    for channel in (3, 100):
        a, b = top_photos(resumed, "c2", channel, 4)["photos"], top_photos(fresh, "c2", channel, 4)["photos"]
        assert [p["path"] for p in a] == [p["path"] for p in b]
        assert np.allclose([p["value"] for p in a], [p["value"] for p in b], atol=1e-5)
    assert "p0003.png" not in {p for p, _v in IndexStore(resumed).photos().items()}


def test_a_two_worker_dask_cluster_makes_the_same_index(tiny, tmp_path):
    from distributed import LocalCluster

    folder = make_photos(tmp_path / "photos", 30)
    local, distributed = tmp_path / "local.nlindex", tmp_path / "dask.nlindex"
    run_to_end(index_job(tiny, str(folder), local, k=6, batch=4, shard_size=5))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        last, _ = run_to_end(index_job(tiny, str(folder), distributed, k=6, batch=4, shard_size=5,
                                       cluster=cluster.scheduler_address, model_factory=Tiny(0)))
    assert last.info.photos == 30 and len(last.info.unreadable) == 1
    for name in ("top", "maxima", "photos"):
        assert table(local, name) == table(distributed, name), name


def test_memory_stays_flat_in_the_number_of_photos(tiny, tmp_path):
    peaks = {}
    for n in (40, 160):
        folder = make_photos(tmp_path / f"p{n}", n, bad=False)
        tracemalloc.start()
        run_to_end(index_job(tiny, str(folder), tmp_path / f"{n}.nlindex", k=4, batch=8, shard_size=16))
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    # holding every photo's maxima (256 channels x 12 bytes) would add 120 x 3 KB = 360 KB
    assert peaks[160] - peaks[40] < 150_000, peaks


def test_an_index_killed_mid_run_stays_readable_and_carries_on(tiny, tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    folder = make_photos(tmp_path / "photos", 400, bad=False)
    out = tmp_path / "killed.nlindex"
    here = Path(__file__).resolve()
    code = (f"import sys; sys.path[:0] = [{str(here.parents[2])!r}, {str(here.parent)!r}]\n"
            "import torch; torch.set_num_threads(1)\n"
            "from test_index import Tiny\nfrom engine.index import index_job\nfrom engine.jobs import run_to_end\n"
            f"run_to_end(index_job(Tiny(0)(), {str(folder)!r}, {str(out)!r}, k=4, batch=2, shard_size=3))\n")
    child = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None:
            if out.exists():
                db = sqlite3.connect(out)
                count = db.execute("SELECT COUNT(*) FROM photos").fetchone()[0]
                db.close()
                if count >= 6:
                    break
            time.sleep(0.05)
        assert child.poll() is None, "the child ended before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    finally:
        child.kill()
    store = IndexStore(out, readonly=True)
    done = store.count()
    assert 6 <= done < 400 and done % 3 == 0    # whole shards only
    store.close()
    last, _ = run_to_end(index_job(tiny, str(folder), out, k=4, batch=2, shard_size=3))
    assert last.info.kept == done and last.info.indexed == 400 - done and last.info.photos == 400
    fresh = tmp_path / "fresh.nlindex"
    run_to_end(index_job(tiny, str(folder), fresh, k=4, batch=2, shard_size=3))
    assert table(out, "top") == table(fresh, "top") and table(out, "maxima") == table(fresh, "maxima")


def test_the_photos_most_like_a_photo_by_their_channels(tiny, tmp_path):
    from engine.channels import activations
    from engine.index import similar_photos

    folder = make_photos(tmp_path / "photos", 15, bad=False)
    out = tmp_path / "x.nlindex"
    run_to_end(index_job(tiny, str(folder), out, k=3))
    truth = brute_force(tiny, folder, "c2")
    query = activations(tiny, load_image(folder / "p0005.png"), "c2").max
    found = similar_photos(out, query, "c2", k=4)
    cos = {p: float(v[0] @ query / np.linalg.norm(v[0]) / np.linalg.norm(query)) for p, v in truth.items()}
    expected = sorted(cos, key=lambda p: -cos[p])[:4]
    assert [p["path"][len(str(folder)) + 1:] for p in found["photos"]] == expected and expected[0] == "p0005.png"
    assert [p["similarity"] for p in found["photos"]] == pytest.approx([cos[p] for p in expected], abs=1e-5)
    with pytest.raises(IndexFileError, match="not 8"):
        similar_photos(out, query[:8], "c2")


def test_a_channels_top_photos_from_the_index_as_patches_or_whole(tiny, tmp_path):
    from engine.index.patches import index_patches_job

    folder = make_photos(tmp_path / "photos", 10)
    out = tmp_path / "x.nlindex"
    run_to_end(index_job(tiny, str(folder), out, k=4))
    top = top_photos(out, "c2", 9, 4)["photos"]
    for whole in (False, True):
        (frame,) = list(index_patches_job(out, tiny, "c2", 9, k=3, whole=whole))
        found = frame.info
        assert found.paths == [p["path"] for p in top[:3]] and found.photos == 10 and found.missing == []
        assert [p.activation for p in found.patches] == pytest.approx([p["value"] for p in top[:3]])
        assert [p.position for p in found.patches] == [(p["x"], p["y"]) for p in top[:3]]
        shapes = {p.image.shape for p in found.patches}
        if whole:   # the model's view, the peak's receptive field framed in white
            assert shapes == {(32, 32, 3)} and all((p.image == 255).all(axis=2).sum() >= 8 for p in found.patches)
        else:   # the receptive field of the peak in the photo's view
            from engine.channels import crop_at, receptive_field

            stride, half = receptive_field(tiny, "c2")
            for p, path in zip(found.patches, found.paths):
                view = tiny.prepare(load_image(path))
                assert np.array_equal(p.image, crop_at(view, p.position[1], p.position[0], stride, half))
    os.remove(top[0]["path"])      # gone since indexing: the next one takes its place
    (frame,) = list(index_patches_job(out, tiny, "c2", 9, k=3))
    assert frame.info.missing == [top[0]["path"]] and frame.info.paths == [p["path"] for p in top[1:4]]
