"""Generated scenes: geometry, rendering and captions."""
from __future__ import annotations

import numpy as np
import pytest

from engine.captioning.data.scenes import COLORS, SHAPES, main_attributes, random_scene, render_scene, scene_captions
from engine.captioning.data.vocab import tokenize

ALL = [(c, s) for c in COLORS for s in SHAPES]


def scenes(seed, n, two=0.5):
    rng = np.random.default_rng(seed)
    return [random_scene(rng, ALL, ALL, two) for _ in range(n)]


def test_scenes_and_images_are_deterministic_from_the_seed():
    a, b, c = scenes(3, 5), scenes(3, 5), scenes(4, 5)
    assert a == b and a != c
    assert np.array_equal(render_scene(a[0], 64), render_scene(b[0], 64))
    assert not np.array_equal(render_scene(a[0], 64), render_scene(c[0], 64))


def test_two_object_geometry_matches_the_relation():
    for s in scenes(1, 200, two=1.0):
        m, o = s.main, s.other
        assert m.radius > o.radius
        for obj in (m, o):
            assert obj.radius <= obj.cx <= 1 - obj.radius and obj.radius <= obj.cy <= 1 - obj.radius
        dx, dy = o.cx - m.cx, o.cy - m.cy                      # y grows downwards
        assert np.hypot(dx, dy) > m.radius + o.radius          # no overlap
        expected = {"left": dx > abs(dy), "right": -dx > abs(dy), "above": dy > abs(dx), "below": -dy > abs(dx)}
        assert expected[s.relation], (s.relation, dx, dy)


def test_rendering_draws_the_main_object_in_its_color():
    rings = 0
    for s in scenes(2, 60):
        img = render_scene(s, 96)
        assert img.shape == (96, 96, 3) and img.dtype == np.uint8
        m = s.main
        y, x = int(m.cy * 96), int(m.cx * 96)
        if m.shape == "ring":   # a hole in the middle (the background shows), colour on the band
            center = img[y - 1:y + 2, x - 1:x + 2].reshape(-1, 3).mean(0)
            assert np.abs(center - np.array(s.background)).max() < 20
            x = int((m.cx + 0.92 * 0.8 * m.radius) * 96)
            rings += 1
        near = 0 if m.shape == "ring" else 1   # the band of a small ring is about 3 px wide
        patch = img[y - near:y + near + 1, x - near:x + near + 1].reshape(-1, 3).mean(0)
        assert np.abs(patch - np.array(m.rgb)).max() < 20, (m, patch)
        # the main colour is nearer to its own name than to any other colour name
        names = {c: np.abs(np.array(rgb) - patch).sum() for c, rgb in COLORS.items()}
        assert min(names, key=names.get) == m.color
    assert rings > 0


def test_every_phrasing_names_the_main_object_first():
    for s in scenes(5, 100):
        caps = scene_captions(s)
        assert len(caps) == len(set(caps)) == 4
        for text in caps:
            assert main_attributes(tokenize(text)) == (s.main.color, s.main.shape), text
            assert " a orange" not in f" {text}" and "a a" not in text
        if s.other is not None:
            assert any(f"{s.other.color} {s.other.shape}" in t for t in caps)


def test_main_attributes_reads_first_color_then_first_shape_after_it():
    assert main_attributes("a big red circle left of a blue star".split()) == ("red", "circle")
    assert main_attributes("a circle that is red".split()) == ("red", None)
    assert main_attributes("a big thing".split()) == (None, None)
    assert main_attributes("a big star".split()) == (None, "star")


def test_rejects_unknown_shape():
    s = scenes(0, 1)[0]
    bad = type(s.main)(**{**s.main.__dict__, "shape": "blob"})
    with pytest.raises(ValueError, match="blob"):
        render_scene(type(s)(bad, None, None, s.background, 0), 32)
