"""Property-based fuzzing of the image loader: whatever the bytes, the loader
returns an RGB uint8 image or raises ImageLoadError — nothing else, no hang."""
import io

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from engine.imaging import ImageLoadError, load_image

FORMATS = ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"]


def encoded(fmt: str, w: int, h: int, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    im = Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return buf.getvalue()


def check(data: bytes) -> None:
    try:
        out = load_image(data)
    except ImageLoadError as exc:
        assert str(exc).startswith("<image data>: ")
        return
    assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes(data):
    check(data)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fmt=st.sampled_from(FORMATS), w=st.integers(1, 40), h=st.integers(1, 40), seed=st.integers(0, 2**16),
       cut=st.floats(0, 1), flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8))
@example(fmt="TIFF", w=14, h=28, seed=0, cut=0.0, flips=[(0.1015625, 1)])  # raised KeyError / TypeError once
def test_damaged_real_images(fmt, w, h, seed, cut, flips):
    data = bytearray(encoded(fmt, w, h, seed))
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    data = bytes(data[: max(1, int(len(data) * (0.2 + 0.8 * cut)))])
    check(data)


@settings(max_examples=40, deadline=None)
@given(fmt=st.sampled_from(FORMATS), w=st.integers(1, 64), h=st.integers(1, 64), seed=st.integers(0, 1000))
def test_intact_images_round_trip_their_size(fmt, w, h, seed):
    out = load_image(encoded(fmt, w, h, seed))
    assert out.shape == (h, w, 3)
