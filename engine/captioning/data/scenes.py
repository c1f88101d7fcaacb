"""Simple scenes of coloured shapes: generating, rendering (Pillow) and
describing them in words.

A scene holds one object, or two: a *main* object (always the larger one
and always the first one every caption names) and a smaller second object
placed clearly to its left, right, above or below.  Everything is a pure
function of a random generator, so a scene, its image and its captions are
reproducible from a seed.

Eight colours and eight shapes (circle, square, triangle, star, diamond,
hexagon, a plus-sign cross, a ring): with one colour-shape pair per colour
held out, every colour is still seen with seven shapes, which is what lets a
captioner name the held-out pairs (see :class:`.shapes.ShapesConfig`).

Caption grammar (lower case, no punctuation)::

    one object:  "a big red circle at the top left"
                 "there is an orange circle at the top left"
                 "at the top left there is a big red circle"
                 "a big red circle"
    two objects: "a big red circle to the left of a small blue square"
                 "a red circle to the left of a blue square"
                 "there is a big red circle with a small blue square on its right"
                 "a big red circle and a small blue square on its right"
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

__all__ = [
    "COLORS", "SHAPES", "SIZES", "RELATIONS", "ShapeObject", "Scene",
    "random_scene", "render_scene", "scene_captions", "main_attributes", "caption_relation",
]

#: colour name -> base RGB (each object jitters it a little)
COLORS: dict[str, tuple[int, int, int]] = {
    "red": (210, 35, 35), "green": (35, 150, 55), "blue": (35, 75, 215),
    "yellow": (235, 205, 25), "purple": (135, 50, 175), "orange": (245, 130, 25),
    "pink": (240, 120, 190), "cyan": (30, 185, 200),
}
SHAPES = ("circle", "square", "triangle", "star", "diamond", "hexagon", "cross", "ring")
#: size word -> radius range as a fraction of the image side
SIZES = {"small": (0.09, 0.12), "big": (0.19, 0.24)}
#: relation of the main object to the second one -> (words, "on its ..." words)
RELATIONS = {
    "left": ("to the left of", "on its right"),
    "right": ("to the right of", "on its left"),
    "above": ("above", "below it"),
    "below": ("below", "above it"),
}
_ROWS = ("top", "middle", "bottom")
_COLS = ("left", "middle", "right")


@dataclass(frozen=True)
class ShapeObject:
    """One shape: names, centre and radius (fractions of the image side),
    rotation (degrees) and the exact fill colour."""

    shape: str
    color: str
    size: str
    cx: float
    cy: float
    radius: float
    angle: float
    rgb: tuple[int, int, int]


@dataclass(frozen=True)
class Scene:
    """The main object, an optional second one, the main object's relation
    to it (``'left'``, ...), the background colour and a seed for its noise."""

    main: ShapeObject
    other: ShapeObject | None
    relation: str | None
    background: tuple[int, int, int]
    noise_seed: int

    @property
    def objects(self) -> tuple[ShapeObject, ...]:
        return (self.main,) if self.other is None else (self.main, self.other)


def _location(obj: ShapeObject) -> str:
    """Where a lone object is: the cell of a 3x3 grid it sits in."""
    row, col = _ROWS[min(2, int(obj.cy * 3))], _COLS[min(2, int(obj.cx * 3))]
    if row == "middle" and col == "middle":
        return "in the middle"
    if row == "middle":
        return f"on the {col}"
    if col == "middle":
        return f"at the {row}"
    return f"at the {row} {col}"


def _pick_combo(rng: np.random.Generator, allowed: list[tuple[str, str]]) -> tuple[str, str]:
    return allowed[int(rng.integers(len(allowed)))]


def _make_object(rng: np.random.Generator, combo: tuple[str, str], size: str, cx: float, cy: float,
                 radius: float) -> ShapeObject:
    color, shape = combo
    base = np.array(COLORS[color], dtype=np.int64)
    rgb = tuple(int(v) for v in np.clip(base + rng.integers(-18, 19, size=3), 0, 255))
    angle = float(rng.uniform(-12, 12))
    return ShapeObject(shape, color, size, float(cx), float(cy), float(radius), angle, rgb)


def random_scene(rng: np.random.Generator, main_combos: list[tuple[str, str]],
                 other_combos: list[tuple[str, str]], two_object_fraction: float = 0.5) -> Scene:
    """A random scene whose main object's ``(colour, shape)`` comes from
    ``main_combos`` and second object's from ``other_combos`` (never the
    same pair as the main one)."""
    background = tuple(int(v) for v in rng.integers(200, 246) + rng.integers(-10, 11, size=3))
    noise_seed = int(rng.integers(2**31))
    main_combo = _pick_combo(rng, main_combos)
    if rng.random() >= two_object_fraction:
        size = "big" if rng.random() < 0.5 else "small"
        r = float(rng.uniform(*SIZES[size]))
        row, col = int(rng.integers(3)), int(rng.integers(3))
        # the object's centre stays inside its grid cell, the object inside the image
        lo, hi = max(r + 0.02, 0.0), min(1.0 - r - 0.02, 1.0)
        cx = float(np.clip((col + 0.5) / 3 + rng.uniform(-0.07, 0.07), lo, hi))
        cy = float(np.clip((row + 0.5) / 3 + rng.uniform(-0.07, 0.07), lo, hi))
        cx = min(max(cx, col / 3 + 0.01), (col + 1) / 3 - 0.01)
        cy = min(max(cy, row / 3 + 0.01), (row + 1) / 3 - 0.01)
        return Scene(_make_object(rng, main_combo, size, cx, cy, r), None, None, background, noise_seed)
    others = [c for c in other_combos if c != main_combo]
    other_combo = _pick_combo(rng, others)
    relation = list(RELATIONS)[int(rng.integers(4))]
    r_main, r_other = float(rng.uniform(*SIZES["big"])), float(rng.uniform(*SIZES["small"]))
    gap = r_main + r_other + float(rng.uniform(0.05, 0.12))
    across = float(rng.uniform(-0.3, 0.3)) * gap  # offset along the other axis, kept small
    dx, dy = {"left": (gap, across), "right": (-gap, across), "above": (across, gap), "below": (across, -gap)}[relation]
    # main at (mx, my), other at (mx + dx, my + dy): both inside the image
    margin = 0.02
    lo_x = max(r_main, r_other - dx) + margin
    hi_x = min(1 - r_main, 1 - r_other - dx) - margin
    lo_y = max(r_main, r_other - dy) + margin
    hi_y = min(1 - r_main, 1 - r_other - dy) - margin
    mx = float(rng.uniform(lo_x, max(lo_x, hi_x)))
    my = float(rng.uniform(lo_y, max(lo_y, hi_y)))
    main = _make_object(rng, main_combo, "big", mx, my, r_main)
    other = _make_object(rng, other_combo, "small", mx + dx, my + dy, r_other)
    return Scene(main, other, relation, background, noise_seed)


def _polygon(obj: ShapeObject, scale: float) -> list[tuple[float, float]]:
    cx, cy, r = obj.cx * scale, obj.cy * scale, obj.radius * scale
    if obj.shape == "square":
        corners = [(45 + 90 * k) for k in range(4)]
        radii = [r] * 4
    elif obj.shape == "diamond":
        corners, radii = [0, 90, 180, 270], [r, 0.72 * r, r, 0.72 * r]
    elif obj.shape == "triangle":
        corners, radii = [-90, 30, 150], [r] * 3
    elif obj.shape == "hexagon":
        corners, radii = [60 * k for k in range(6)], [r] * 6
    elif obj.shape == "star":
        corners = [-90 + 36 * k for k in range(10)]
        radii = [r if k % 2 == 0 else 0.42 * r for k in range(10)]
    elif obj.shape == "cross":  # a plus sign: arms 0.36 r wide
        w = math.degrees(math.atan(0.18))
        inner = 0.18 * math.sqrt(2)
        corners, radii = [], []
        for k in range(4):
            base = 90 * k
            corners += [base - w, base + w, base + 45]
            radii += [r * math.hypot(1, 0.18), r * math.hypot(1, 0.18), r * inner]
    else:
        raise ValueError(f"unknown polygon shape {obj.shape!r}")
    pts = []
    for deg, rad in zip(corners, radii):
        a = math.radians(deg + obj.angle)
        pts.append((cx + rad * math.cos(a), cy + rad * math.sin(a)))
    return pts


def render_scene(scene: Scene, size: int, supersample: int = 3) -> np.ndarray:
    """The scene as an RGB uint8 image (``size`` x ``size``): shapes drawn at
    ``supersample`` times the size and shrunk (anti-aliasing), then a little
    pixel noise (from the scene's own seed)."""
    big = int(size) * int(supersample)
    im = Image.new("RGB", (big, big), scene.background)
    draw = ImageDraw.Draw(im)
    for obj in reversed(scene.objects):  # the main object drawn last, on top
        if obj.shape in ("circle", "ring"):
            cx, cy, r = obj.cx * big, obj.cy * big, obj.radius * big * 0.92
            if obj.shape == "circle":
                draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=obj.rgb)
            else:  # a ring 0.4 r thick
                draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=obj.rgb, width=max(1, round(0.4 * r)))
        else:
            draw.polygon(_polygon(obj, big), fill=obj.rgb)
    im = im.resize((int(size), int(size)), Image.BOX)
    noise = np.random.default_rng(scene.noise_seed).normal(0.0, 4.0, size=(int(size), int(size), 3))
    return np.clip(np.asarray(im, dtype=np.float64) + noise, 0, 255).round().astype(np.uint8)


def _name(obj: ShapeObject, with_size: bool) -> str:
    """``'a big red circle'``, ``'an orange star'`` (the article agrees with the next word)."""
    words = f"{obj.size} {obj.color} {obj.shape}" if with_size else f"{obj.color} {obj.shape}"
    return ("an " if words[0] in "aeiou" else "a ") + words


def scene_captions(scene: Scene) -> list[str]:
    """Every phrasing of the scene (see the module docstring); each starts
    its first colour-and-shape pair with the main object."""
    m, o = scene.main, scene.other
    if o is None:
        where = _location(m)
        return [f"{_name(m, True)} {where}", f"there is {_name(m, False)} {where}",
                f"{where} there is {_name(m, True)}", _name(m, True)]
    rel, on_its = RELATIONS[scene.relation]
    return [f"{_name(m, True)} {rel} {_name(o, True)}", f"{_name(m, False)} {rel} {_name(o, False)}",
            f"there is {_name(m, True)} with {_name(o, True)} {on_its}",
            f"{_name(m, True)} and {_name(o, True)} {on_its}"]

def main_attributes(words: list[str]) -> tuple[str | None, str | None]:
    """The ``(colour, shape)`` a caption gives its main object: the first
    colour word and the first shape word after it (``(None, None)`` when
    it names none)."""
    for i, w in enumerate(words):
        if w in COLORS:
            shape = next((s for s in words[i + 1:] if s in SHAPES), None)
            return w, shape
    return None, next((s for s in words if s in SHAPES), None)


#: both phrasings of every relation of :data:`RELATIONS` as word tuples, longest first ("above it"
#: before "above") -> the relation of the first-named object to the other
_RELATION_PHRASES = sorted([(tuple(words.split()), rel) for rel, pair in RELATIONS.items() for words in pair],
                           key=lambda item: -len(item[0]))


def caption_relation(words: list[str]) -> tuple[str | None, tuple[str | None, str | None]]:
    """The spatial relation a caption gives its *first-named* object to the
    other one, in any of the scenes' phrasings ("X to the left of Y", "X above
    Y", "there is X with Y on its right", "X and Y below it"), and that first
    object's ``(colour, shape)``.  ``(None, ...)`` when it states no relation
    ("on the left" of a lone object is a place, not a relation)."""
    first = main_attributes(words)
    for k in range(len(words)):
        for phrase, rel in _RELATION_PHRASES:
            if tuple(words[k:k + len(phrase)]) == phrase:
                return rel, first
    return None, first
