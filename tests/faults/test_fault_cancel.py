"""Cancelling every kind of job mid-run (no Qt): the job runs on a thread
with the real model, ``control.cancel()`` is called from another thread
after it has started, and the generator must end promptly (well within a
second or two: one step, not the rest of the run), cleanly (no exception)
and report that it was stopped."""
from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from badfiles import photo_array

from engine.jobs import Control, run_to_end

#: Longest wait from cancel() to the generator's end.  A step of these
#: workloads takes ~0.05-0.3 s on one busy core; the bound leaves room for a
#: loaded CI machine while still catching a job that runs on to its end.
PROMPT_S = 2.0


def run_and_cancel(make_job, control, *, after_frames=1, after_seconds=None, timeout=60.0):
    """Run ``make_job()`` on a thread, cancel after ``after_frames`` frames (or
    ``after_seconds``); returns ``(frames, return value, seconds from cancel to end)``."""
    frames, outcome = [], {}
    started = threading.Event()

    def on_frame(frame):
        frames.append(frame)
        if len(frames) >= after_frames:
            started.set()

    def consume():
        try:
            outcome["value"] = run_to_end(make_job(), on_frame)[1]
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            outcome["error"] = exc
        finally:
            started.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    if after_seconds is not None:
        time.sleep(after_seconds)
    else:
        assert started.wait(timeout), "the job never produced a frame"
    assert thread.is_alive(), "the job ended before it could be cancelled (make it longer)"
    t0 = time.monotonic()
    control.cancel()
    thread.join(timeout)
    latency = time.monotonic() - t0
    assert not thread.is_alive(), "the job ignored the cancellation"
    assert "error" not in outcome, repr(outcome.get("error"))
    assert latency < PROMPT_S, f"stopped {latency:.2f} s after cancel()"
    return frames, outcome.get("value"), latency


@pytest.fixture(scope="module")
def photo():
    return photo_array(224, 224, seed=3)


def test_cancel_fooling(lite0, photo):
    from engine.gradients import FoolParams, fool

    control = Control(FoolParams(lr=1e-4, max_iter=100_000), emit_every=1)
    frames, result, _ = run_and_cancel(lambda: fool(lite0, photo, 1, control=control, prepared=True), control,
                                       after_frames=2)
    assert result.cancelled and not result.success and result.iterations < 100
    assert frames[-1].final and result.image.shape == (224, 224, 3)


@pytest.mark.parametrize("method, option", [("smoothgrad", {"samples": 1000}),
                                            ("integrated-gradients", {"steps": 2000})])
def test_cancel_smoothgrad_and_integrated_gradients(lite0, photo, method, option):
    from engine.gradients import SaliencyParams, saliency_job

    control = Control(SaliencyParams(method=method, batch_size=1, **option))
    frames, result, _ = run_and_cancel(lambda: saliency_job(lite0, photo, 1, control=control, prepared=True), control,
                                       after_seconds=0.5)
    assert result is None and frames == []  # no map: it was not finished


def test_cancel_saliency_during_its_curves(lite0, photo):
    from engine.gradients import SaliencyParams, saliency_job

    control = Control(SaliencyParams(method="vanilla", batch_size=1))
    frames, result, _ = run_and_cancel(
        lambda: saliency_job(lite0, photo, 1, control=control, prepared=True, points=200), control)
    assert result is None and len(frames) == 1 and frames[0].info.saliency is not None


def test_cancel_class_visualization(lite0):
    from engine.generation import ClassVizParams, class_visualization

    control = Control(ClassVizParams(size=64, steps=100_000), emit_every=1)
    frames, image, _ = run_and_cancel(lambda: class_visualization(lite0, 76, control=control), control, after_frames=2)
    assert frames[-1].final and frames[-1].extra["cancelled"] and frames[-1].step < 1000
    assert image.shape == (64, 64, 3)


def test_cancel_feature_inversion(lite0, photo):
    from engine.generation import InversionParams, feature_inversion

    control = Control(InversionParams(size=64, steps=100_000), emit_every=1)
    frames, image, _ = run_and_cancel(lambda: feature_inversion(lite0, photo, "blocks.2", control=control), control,
                                      after_frames=2)
    assert frames[-1].final and frames[-1].extra["cancelled"] and image.shape == (64, 64, 3)


@pytest.mark.parametrize("guided", [False, True])
def test_cancel_deepdream(lite0, photo, guided):
    from engine.generation import DreamParams, deepdream

    guide = photo_array(96, 96, seed=9) if guided else None
    control = Control(DreamParams(steps=10_000, octaves=3, tile=0), emit_every=1)
    frames, image, _ = run_and_cancel(lambda: deepdream(lite0, photo, "blocks.4", control=control, guide=guide),
                                      control, after_frames=2)
    assert frames[-1].final and frames[-1].extra["cancelled"] and frames[-1].extra["guided"] is guided
    assert image.shape == photo.shape  # a stop in a small octave still gives a full-size image


def test_cancel_captioning_training():
    from engine.captioning import CaptioningRNN, CaptioningSolver, TrainParams

    rng = np.random.default_rng(0)
    words = {"<NULL>": 0, "<START>": 1, "<END>": 2, **{f"w{i}": 3 + i for i in range(40)}}
    data = {"train_features": rng.normal(size=(200, 64)).astype(np.float32),
            "train_captions": rng.integers(1, 43, (2000, 17)).astype(np.int32),
            "train_image_idxs": rng.integers(0, 200, 2000), "word_to_idx": words}
    model = CaptioningRNN(words, input_dim=64, wordvec_dim=32, hidden_dim=64, cell_type="lstm", seed=0)
    solver = CaptioningSolver(model, data, optim_config={"learning_rate": 1e-3}, batch_size=50, num_epochs=10_000,
                              seed=0, val_bleu_samples=0)
    control = Control(TrainParams(learning_rate=1e-3), emit_every=1)
    frames, _, _ = run_and_cancel(lambda: solver.run(control), control, after_frames=3)
    assert 3 <= solver.iteration < 1000 and solver.iteration < solver.total_iterations
    iteration = solver.iteration
    # resuming continues from there
    control = Control(TrainParams(learning_rate=1e-3), emit_every=1)
    run_and_cancel(lambda: solver.run(control), control, after_frames=1)
    assert solver.iteration > iteration


def test_cancel_feature_extraction(lite0):
    from engine.captioning.data import FeatureSpec, extract_features

    images = [photo_array(64, 64, seed=k) for k in range(400)]
    spec = FeatureSpec(layers=("blocks.5",), image_size=64, crop_fraction=1.0)
    control = Control(emit_every=1)
    frames, result, _ = run_and_cancel(lambda: extract_features(lite0, images, spec, control, batch_size=4), control)
    assert result is None and frames[-1].step < 400


def test_cancel_building_a_captions_dataset(lite0, tmp_path, monkeypatch):
    """The import job of a captions JSON (feature extraction of its photos) stops
    too, writes no cache, and a later run starts afresh."""
    import json

    from PIL import Image

    from engine.captioning.data import dataset_job

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    items = []
    for k in range(200):
        Image.fromarray(photo_array(48, 48, seed=k)).save(tmp_path / f"p{k}.png")
        items.append({"image": f"p{k}.png", "captions": ["a photo"]})
    (tmp_path / "c.json").write_text(json.dumps(items))
    control = Control(emit_every=1)
    frames, data, _ = run_and_cancel(lambda: dataset_job(tmp_path / "c.json", lite0, control, batch_size=2), control)
    assert data is None and frames[-1].step < 200
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.npz"))
