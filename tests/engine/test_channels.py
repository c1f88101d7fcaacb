"""What every channel sees: activation maps, rankings, the mosaic, top
patches, channel saliency, and unit objectives (channels, neurons, sums)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from engine.channels import (
    activations,
    all_activations,
    channel_ranking,
    channel_saliency,
    mosaic,
    mosaic_channel_at,
    top_patches_job,
)
from engine.generation import ClassVizParams, class_visualization
from engine.generation.unit_objectives import Unit, parse_objective
from engine.jobs import Control, run_to_end


def test_objective_text_is_parsed_or_refused_with_a_reason():
    o = parse_objective("blocks.8:12 - 0.5*blocks.8:7@3,4 + head:1")
    assert o.units == (Unit("blocks.8", 12), Unit("blocks.8", 7, -0.5, (3, 4)), Unit("head", 1))
    assert o.label == "blocks.8:12 - 0.5*blocks.8:7@3,4 + head:1" and o.layers == ["blocks.8", "head"]
    for bad, says in (("", "empty"), ("blocks.8", "cannot read"), ("blocks.8:12 +", "ends with a sign")):
        with pytest.raises(ValueError, match=says):
            parse_objective(bad)


def test_unit_objective_is_the_channel_mean_and_the_neuron(lite0, photo):
    x = lite0.preprocess(lite0.prepare(photo("chelsea.png")))
    with torch.no_grad():
        a = lite0.features(x, "blocks.8")[0]
        assert float(parse_objective("blocks.8:12")(lite0, x)) == pytest.approx(float(a[12].mean()), rel=1e-5)
        assert float(parse_objective("blocks.8:12@3,4")(lite0, x)) == pytest.approx(float(a[12, 4, 3]), rel=1e-5)
        diff = float(parse_objective("blocks.8:12 - 2*blocks.8:7")(lite0, x))
        assert diff == pytest.approx(float(a[12].mean() - 2 * a[7].mean()), rel=1e-4, abs=1e-4)
    with pytest.raises(ValueError, match="no layer"):
        parse_objective("nope:1").check(lite0)


def test_the_activation_grid_is_the_truncated_forward(lite0, photo):
    image = photo("coffee.png")
    every = all_activations(lite0, image)
    assert list(every) == lite0.layer_names
    one = activations(lite0, image, "blocks.5")
    with torch.no_grad():
        direct = lite0.features(lite0.preprocess(lite0.prepare(image)), "blocks.5")[0].numpy()
    assert np.allclose(one.maps, direct, atol=1e-5) and np.allclose(every["blocks.5"].maps, direct, atol=1e-4)
    order = channel_ranking(one)
    assert sorted(order.tolist()) == list(range(one.channels))
    assert np.all(np.diff(one.mean[order]) <= 0)
    picture = mosaic(one, order, cell=16, gap=2)
    assert picture.dtype == np.uint8 and picture.ndim == 3
    assert mosaic_channel_at(2 + 5, 2 + 5, order, cell=16) == order[0]
    assert mosaic_channel_at(2 + 18 + 5, 2 + 5, order, cell=16) == order[1]
    assert mosaic_channel_at(1, 1, order, cell=16) is None  # the gap


def test_top_patches_and_saliency_of_a_channel(lite0, photo):
    images = [photo(n) for n in ("chelsea.png", "coffee.png", "rocket.jpg")]
    acts = activations(lite0, images[0], "blocks.5")
    channel = int(channel_ranking(acts)[0])
    _, patches = run_to_end(top_patches_job(lite0, images, "blocks.5", channel, k=4))
    assert len(patches) == 4 and all(p.image.ndim == 3 and p.image.shape[0] > 8 for p in patches)
    assert [p.activation for p in patches] == sorted((p.activation for p in patches), reverse=True)
    assert patches[0].activation == pytest.approx(max(activations(lite0, im, "blocks.5").max[channel] for im in images),
                                                  rel=1e-4)
    sal = channel_saliency(lite0, images[0], "blocks.5", channel)
    assert sal.shape == (224, 224) and sal.min() >= 0 and sal.max() > 0


def test_a_channel_visualization_excites_its_channel_far_above_photos(lite0, photo):
    layer, channel = "blocks.5", 3
    on_photos = max(float(activations(lite0, photo(n), layer).mean[channel]) for n in ("chelsea.png", "coffee.png"))
    control = Control(ClassVizParams(size=96, steps=60, lr=0.05), emit_interval=None, emit_every=1000)
    _, image = run_to_end(class_visualization(lite0, parse_objective(f"{layer}:{channel}"), control=control))
    reached = float(activations(lite0, image, layer).mean[channel])
    assert reached > 3 * max(on_photos, 0.1), (reached, on_photos)


def test_diversity_pushes_the_images_of_one_objective_apart(lite0):
    from engine.generation.diversity import DiversityParams, diverse_visualizations, gram_similarity

    objective = parse_objective("blocks.3:5")
    similarity = {}
    for weight in (0.0, 200.0):
        control = Control(DiversityParams(count=2, size=48, steps=12, weight=weight), emit_interval=None,
                          emit_every=1000)
        last, images = run_to_end(diverse_visualizations(lite0, objective, control=control))
        assert len(images) == 2 and last.final and last.image.shape[1] > 2 * 48
        x = torch.cat([lite0.preprocess(im) for im in images])
        with torch.no_grad():
            similarity[weight] = float(gram_similarity(lite0.features(x, "blocks.3")))
    assert similarity[200.0] < similarity[0.0] - 0.1, similarity


def test_the_layers_tab_analysis_is_one_pass_with_both_orders(lite0, photo):
    from engine.channels import analyze_job, mosaic_channel_at

    image = photo("chelsea.png")
    (frame,) = list(analyze_job(lite0, image, cell=8, gap=1))
    a = frame.info
    assert frame.final and a.model == lite0.name and list(a.acts) == lite0.layer_names
    assert np.array_equal(a.view, lite0.prepare(image))
    for by in ("mean", "max"):
        picture, order = a.views["blocks.5", by]
        assert np.array_equal(order, channel_ranking(a.acts["blocks.5"], by))
        assert mosaic_channel_at(1 + 4, 1 + 4, order, cell=8, gap=1) == order[0]
        assert np.array_equal(picture, mosaic(a.acts["blocks.5"], order, 8, 1))


def test_channel_overlay_lights_where_the_channel_fires():
    from engine.channels import LayerActivations, channel_overlay

    view = np.full((64, 64, 3), 128, np.uint8)
    maps = np.zeros((2, 4, 4), np.float32)
    maps[1, 0, 3] = 5.0          # top-right position only
    maps[1, 3, 0] = -5.0         # negative: not shown
    out = channel_overlay(view, LayerActivations("l", maps), 1)
    assert out.shape == view.shape and out.dtype == np.uint8
    fired, silent = out[:16, 48:].mean(), out[48:, :16].mean()   # the colour map is bright where it fires
    assert fired > 2 * silent and silent == out[:16, :16].mean()  # the negative corner looks like zero


def test_patch_grid_and_photos_in(tmp_path):
    from engine.channels import patch_grid, photos_in

    crops = [np.full((10, 7, 3), 100 + k, np.uint8) for k in range(4)]
    grid = patch_grid(crops, cell=8, gap=2)
    assert grid.shape == (2 * 10 + 2, 3 * 10 + 2, 3)          # 3 columns, 2 rows, 2-pixel gaps
    assert np.all(grid[2:10, 2:10] == 100) and np.all(grid[2:10, 22:30] == 102) and np.all(grid[12:20, 2:10] == 103)
    assert np.all(grid[12:20, 12:20] == 40) and np.all(grid[:2] == 40)   # the empty cell and the gaps: dark
    for name in ("b.JPG", "a.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    assert photos_in(tmp_path) == [str(tmp_path / "a.png"), str(tmp_path / "b.JPG")]
    with pytest.raises(OSError):
        photos_in(tmp_path / "missing")
