"""All methods at once on one photo, and over a folder (streamed, resumable,
unreadable photos listed), on a tiny convolutional classifier; the
randomisation strip."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from engine.gradients import (
    METHODS,
    REFERENCE,
    SaliencyParams,
    cascade,
    cascade_tops,
    evaluate_methods,
    folder_evaluation,
    ranks,
    vanilla_saliency,
)
from engine.gradients.evaluation import reference_seed
from engine.gradients.folder_eval import read_scores
from engine.gradients.ranking import agreement, summarize
from engine.gradients.sanity import parameter_modules
from engine.imaging import save_png
from engine.jobs import Control, run_to_end
from tests.engine.gradients.gradients_tiny import conv_model, random_images

FAST = SaliencyParams(samples=3, steps=4, layer="act2")


def test_every_method_and_the_random_reference_get_a_row_with_every_metric(one_torch_thread):
    model = conv_model(seed=2)
    frames = []
    _, table = run_to_end(evaluate_methods(model, random_images(1, seed=1)[0], 1, fills=("black", "noisy-linear"),
                                           boxes=[(0, 0, 4, 8)], points=4, params=FAST, prepared=True),
                          frames.append)
    assert [f.step for f in frames] == list(range(1, len(METHODS) + 2))
    assert [r.method for r in table.rows] == [*METHODS, REFERENCE] and table.area == pytest.approx(0.5)
    for row in table.rows:
        m = row.metrics()
        assert set(m) == {c for c, _ in table.columns()}
        assert 0 <= m["morf:noisy-linear"] <= 1 and m["pointing"] in (0.0, 1.0) and 0 <= m["mass"] <= 1
        assert math.isnan(m["sanity"]) == (row.method == REFERENCE) and not m["sanity"] < 0
        assert m["sanity"] == abs(row.sanity) or row.method == REFERENCE
    vanilla = table.rows[0]
    torch.testing.assert_close(torch.from_numpy(vanilla.saliency), vanilla_saliency(model, model.preprocess(
        random_images(1, seed=1)), 1)[0])


def test_the_random_reference_map_is_seeded_by_the_photo_so_its_pointing_game_is_at_chance_over_photos():
    """One random map per photo (the same on the same photo): over 60 photos the random row's pointing
    game hits a box of half the picture about half the time (a map shared by every photo hits all or none)."""
    model = conv_model(seed=2)

    def reference(image):
        job = evaluate_methods(model, image, 0, methods=(), fills=("black",), boxes=[(0, 0, 4, 8)], points=2,
                               sanity=False, params=FAST, prepared=True)
        return run_to_end(job)[1].rows[-1]
    images = random_images(60, seed=11)
    rows = [reference(image) for image in images]
    assert np.array_equal(reference(images[0]).saliency, rows[0].saliency)
    assert not np.array_equal(rows[0].saliency, rows[1].saliency)
    hits = np.mean([r.hit for r in rows])
    assert abs(hits - 0.5) < 3 * math.sqrt(0.25 / len(rows)), hits


def test_a_cancelled_evaluation_returns_none():
    control = Control(FAST)
    job = evaluate_methods(conv_model(), random_images(1)[0], 0, points=3, params=FAST, prepared=True, control=control)
    next(job)
    control.cancel()
    assert run_to_end(job)[1] is None


def test_ranks_and_agreement():
    assert ranks([0.3, 0.1, float("nan"), 0.1], higher_is_better=True)[:2] == [1.0, 2.5]
    assert math.isnan(ranks([0.3, 0.1, float("nan")], True)[2])
    assert agreement([1, 2, 3, 4], True, [10, 20, 30, 40], True) == pytest.approx(1)
    assert agreement([1, 2, 3, 4], True, [10, 20, 30, 40], False) == pytest.approx(-1)
    rows = [{"photo": p, "method": m, "a": v, "b": -v} for p in "xy" for m, v in (("u", 1.0), ("v", 2.0), ("w", 3.0))]
    s = summarize(rows, ["u", "v", "w"], [("a", True), ("b", False)])
    assert s["photos"] == 2 and s["rank"]["w"]["a"] == 1 and s["mean"]["v"]["b"] == -2
    assert s["agree"]["a"]["b"] == pytest.approx(1)  # "b lower is better" orders the methods as "a higher"


def test_the_folder_report_streams_lists_bad_photos_and_resumes(tmp_path, one_torch_thread):
    model = conv_model(seed=4)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, image in enumerate(random_images(3, seed=9)):
        save_png(folder / f"p{i}.png", image)
    (folder / "broken.jpg").write_bytes(b"not a photo")
    out = tmp_path / "report"
    control = Control(FAST)
    kw = dict(methods=("vanilla", "gradcam"), fills=("blur",), points=3, boxes={"p1.png": [(0, 0, 4, 4)]})
    job = folder_evaluation(model, folder, out, control=control, **kw)
    first = next(job)
    assert first.info.done == 1 and first.info.total == 4
    control.cancel()                                    # stop after the first photo
    _, progress = run_to_end(job)
    assert {r["photo"] for r in read_scores(out / "scores.csv")} == {"p0.png"}
    assert (out / "report.html").is_file()
    frames = []
    _, progress = run_to_end(folder_evaluation(model, folder, out, **kw), frames.append)
    assert [f.info.photo for f in frames] == ["p1.png", "p2.png"]   # p0 was not scored again
    rows = read_scores(out / "scores.csv")
    assert len(rows) == 3 * 3 and {r["method"] for r in rows} == {"vanilla", "gradcam", REFERENCE}
    assert progress.problems and "broken.jpg" in progress.problems[0]
    assert np.isfinite([r["pointing"] for r in rows if r["photo"] == "p1.png"]).all()
    assert all(math.isnan(r["pointing"]) for r in rows if r["photo"] == "p0.png")
    page = (out / "report.html").read_text()
    assert "Do the metrics agree?" in page and page.count("data:image/png;base64") == 3 * 4
    assert "broken.jpg" in page and "broken.jpg" in (out / "problems.txt").read_text()


def test_a_stop_inside_a_photos_first_network_pass_still_writes_the_report(tmp_path, one_torch_thread):
    """Stop lands while the photo is classified (before its methods): the photos scored are kept and
    the report written, as for a Stop between methods."""
    from engine.jobs import Cancelled, interruptibly

    model = conv_model(seed=4)
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, image in enumerate(random_images(2, seed=9)):
        save_png(folder / f"p{i}.png", image)
    out, control = tmp_path / "report", Control(FAST)
    classify, calls = model.classify, []

    def stopped_on_the_second(*a, **k):
        calls.append(1)
        if len(calls) == 2:
            control.cancel()
            raise Cancelled()
        return classify(*a, **k)

    model.classify = stopped_on_the_second
    job = folder_evaluation(model, folder, out, control=control, methods=("vanilla",), fills=("black",), points=3,
                            sanity=False)
    frames, progress = [], None
    _, progress = run_to_end(interruptibly(lambda: job, control), frames.append)
    assert len(frames) == 1 and progress is not None and progress.done == 1
    assert (out / "report.html").is_file() and (out / "problems.txt").is_file()


def test_the_cascade_strip_keeps_each_randomised_map():
    model = conv_model(seed=5)
    x = model.preprocess(random_images(1, seed=6))
    tops = cascade_tops(len(parameter_modules(model.net)), 3)
    assert tops == [1, 2, 4] and cascade_tops(9, 5) == [1, 3, 5, 7, 9] and cascade_tops(3, 9) == [1, 2, 3]
    steps = list(cascade(model, x, lambda m, xx, t: vanilla_saliency(m, xx, t)[0], 1, tops))
    assert [s.top for s in steps] == tops and steps[0].deepest == "fc" and all(s.map.shape == (8, 8) for s in steps)
    assert all(-1 <= s.spearman < 0.99 for s in steps)


def test_the_rows_share_one_noise_tunnel_per_network_and_one_random_order_curve_per_fill(monkeypatch):
    """The scores are those of each method computed on its own (its own tunnel, its own random-order
    curve), with 2 tunnels (trained and randomised network) instead of 6 and one reference curve per fill."""
    from dataclasses import replace

    from engine.gradients import compute_saliency, evaluation, removal, sanity
    from engine.gradients.curves import random_map

    model = conv_model(seed=5)
    image = random_images(1, seed=4)[0]
    calls = {"tunnel": 0, "curve": 0}
    for module, name in ((evaluation, "noise_tunnel"), (removal, "deletion_curve")):
        real = getattr(module, name)
        key = "tunnel" if name == "noise_tunnel" else "curve"

        def counted(*a, _real=real, _key=key, **k):
            calls[_key] += 1
            return _real(*a, **k)
        monkeypatch.setattr(module, name, counted)
    fills = ("black", "noisy-linear")
    _, table = run_to_end(evaluate_methods(model, image, 2, fills=fills, points=4, params=FAST, prepared=True))
    assert calls == {"tunnel": 2, "curve": (len(METHODS) + 1) * 2 * len(fills) + len(fills)}
    x = model.preprocess(image[None])
    randomized = sanity.randomized_copy(model, len(parameter_modules(model.net)), seed=FAST.seed)[0]
    for row in table.rows:
        alone = (random_map(8, 8, seed=reference_seed(x, FAST.seed)) if row.method == REFERENCE
                 else compute_saliency(model, x, 2, replace(FAST, method=row.method))[0])
        torch.testing.assert_close(torch.from_numpy(row.saliency), alone)
        for fill in fills:
            own = removal.removal_curves(model, x, alone, 2, fill=fill, points=4, seed=FAST.seed)
            assert (row.curves[fill].morf.auc, row.curves[fill].lerf.auc) == (own.morf.auc, own.lerf.auc)
            assert row.curves[fill].random.auc == own.random.auc
        if row.method != REFERENCE:
            other = compute_saliency(randomized, x, 2, replace(FAST, method=row.method))[0]
            assert row.sanity == pytest.approx(sanity.spearman(alone, other), abs=1e-12)


class ConvFactory:
    """A picklable recipe for the tiny classifier (what a Dask worker loads)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def __call__(self):
        return conv_model(seed=self.seed)

    def __repr__(self) -> str:
        return f"ConvFactory({self.seed})"


def test_the_folder_report_on_a_two_worker_dask_cluster_scores_as_in_process(tmp_path, one_torch_thread):
    from distributed import LocalCluster

    folder = tmp_path / "photos"
    folder.mkdir()
    for i, image in enumerate(random_images(3, seed=2)):
        save_png(folder / f"p{i}.png", image)
    (folder / "broken.jpg").write_bytes(b"not a photo")
    kw = dict(methods=("vanilla", "smoothgrad"), fills=("black",), points=3, boxes={"p2.png": [(0, 0, 4, 4)]})
    run_to_end(folder_evaluation(conv_model(seed=4), folder, tmp_path / "local", **kw))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster:
        _, progress = run_to_end(folder_evaluation(conv_model(seed=4), folder, tmp_path / "dask", **kw,
                                                   cluster=cluster.scheduler_address, model_factory=ConvFactory(4)))
    assert progress.done == 3 and "broken.jpg" in progress.problems[0]

    def scores(name):
        rows = read_scores(tmp_path / name / "scores.csv")
        return sorted((r["photo"], r["method"], *(v for k, v in sorted(r.items()) if k not in ("photo", "method",
                                                                                            "label", "seconds")))
                      for r in rows)
    local, dask = scores("local"), scores("dask")
    assert len(local) == 3 * 3 and str(local) == str(dask)  # str: NaN == NaN
    assert (tmp_path / "dask" / "report.html").is_file() and len(list((tmp_path / "dask" / "maps").iterdir())) == 3 * 4
