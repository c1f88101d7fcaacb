"""Robust image loading on every kind of bad or unusual input, and atomic saving."""
import io
import json
import os
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from engine.imaging import (
    ImageLoadError,
    center_crop_resize,
    fit_within,
    load_image,
    model_view,
    read_png_params,
    resize,
    save_png,
)


def png_bytes(im: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG", **kw)
    return buf.getvalue()


def test_rgb_png_round_trip(tmp_path):
    arr = np.random.default_rng(0).integers(0, 256, (7, 5, 3), dtype=np.uint8)
    path = save_png(tmp_path / "a.png", arr, {"lr": 1.5, "target": "tabby"})
    assert np.array_equal(load_image(path), arr)
    assert read_png_params(path) == {"lr": 1.5, "target": "tabby"}
    assert load_image(path).flags.writeable


@pytest.mark.parametrize("mode", ["L", "P", "RGBA", "LA", "I;16", "CMYK", "1"])
def test_modes_convert_to_rgb(tmp_path, mode):
    im = Image.new("RGB", (6, 4), (200, 30, 60))
    if mode == "I;16":
        im = Image.fromarray(np.full((4, 6), 65535, np.uint16))
    else:
        im = im.convert(mode)
    fmt = "JPEG" if mode == "CMYK" else ("TIFF" if mode == "1" else "PNG")
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    out = load_image(buf.getvalue())
    assert out.shape == (4, 6, 3) and out.dtype == np.uint8
    if mode == "I;16":
        assert out.min() == 255


def test_transparent_palette_is_composited_on_white():
    im = Image.new("P", (4, 4), 0)
    im.putpalette([0, 0, 0] * 256)
    data = png_bytes(im, transparency=0)
    assert (load_image(data) == 255).all()


@pytest.mark.parametrize(("mode", "key", "other"), [("1", 0, 1), ("L", 7, 200), ("RGB", (1, 2, 3), (9, 8, 7))])
def test_a_transparent_colour_is_composited_on_white_like_a_transparent_palette_entry(mode, key, other):
    im = Image.new(mode, (2, 1), key)
    im.putpixel((1, 0), other)
    out = load_image(png_bytes(im, transparency=key))
    assert out[0, 0].tolist() == [255, 255, 255]
    assert out[0, 1].tolist() == np.asarray(Image.new(mode, (1, 1), other).convert("RGB"))[0, 0].tolist()
    assert load_image(png_bytes(im))[0, 0].tolist() == np.asarray(im.convert("RGB"))[0, 0].tolist()  # no key: as it is


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 0, 255)]]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=50)
    out = load_image(buf.getvalue())
    assert out[0, 0, 0] > 200 and out[0, 0, 2] < 50


def test_exif_orientation_is_applied():
    im = Image.new("RGB", (20, 10), (0, 0, 0))
    im.paste((255, 255, 255), (0, 0, 10, 10))      # left half white
    exif = Image.Exif()
    exif[0x0112] = 6                                # rotate 90° clockwise on display
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif, quality=95)
    out = load_image(buf.getvalue())
    assert out.shape[:2] == (20, 10)                # now portrait
    assert out[:10].mean() > 200 and out[10:].mean() < 50  # white half on top


def test_bad_inputs_name_the_file_and_the_reason(tmp_path):
    cases = {}
    cases["empty.png"] = b""
    cases["text.png"] = b"this is not an image at all\n"
    good = png_bytes(Image.new("RGB", (64, 64), (9, 9, 9)))
    cases["truncated.png"] = good[: len(good) // 2]
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, "JPEG")
    cases["truncated.jpg"] = buf.getvalue()[:300]
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ImageLoadError) as info:
            load_image(tmp_path / name)
        assert name in str(info.value)
    assert "empty" in str(pytest.raises(ImageLoadError, load_image, tmp_path / "empty.png").value)
    assert "not an image" in str(pytest.raises(ImageLoadError, load_image, tmp_path / "text.png").value)
    with pytest.raises(ImageLoadError, match="no such file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(ImageLoadError, match="folder"):
        load_image(tmp_path)


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(bomb_png(30000, 30000))
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(path)


def test_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.png"
    path.write_bytes(png_bytes(Image.new("RGB", (2, 2))))
    path.chmod(0)
    if os.geteuid() == 0:  # root reads anything: simulate the denial
        def deny(self):
            raise PermissionError(13, "Permission denied")
        monkeypatch.setattr(type(path), "read_bytes", deny)
    with pytest.raises(ImageLoadError, match="permission"):
        load_image(path)


def test_non_utf8_file_name(tmp_path):
    name = os.fsencode(str(tmp_path)) + b"/caf\xe9.png"
    with open(name, "wb") as handle:
        handle.write(png_bytes(Image.new("RGB", (3, 2), (1, 2, 3))))
    path = os.fsdecode(name)          # how Qt and argparse hand us such a name
    assert load_image(path).shape == (2, 3, 3)
    with pytest.raises(ImageLoadError) as info:
        load_image(path + ".missing")
    assert "caf" in str(info.value)


def test_resize_helpers():
    img = np.zeros((300, 400, 3), np.uint8)
    assert resize(img, (40, 30)).shape == (30, 40, 3)
    assert center_crop_resize(img, 224).shape == (224, 224, 3)
    assert fit_within(img, 200).shape == (150, 200, 3)
    assert fit_within(img, 1000).shape == img.shape
    with pytest.raises(ValueError):
        resize(img, (0, 10))


def test_save_is_atomic_when_the_write_fails(tmp_path, monkeypatch):
    path = tmp_path / "result.png"
    first = np.full((4, 4, 3), 7, np.uint8)
    save_png(path, first)

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(Image.Image, "save", boom)
    with pytest.raises(OSError):
        save_png(path, np.zeros((4, 4, 3), np.uint8))
    monkeypatch.undo()
    assert np.array_equal(load_image(path), first)
    assert [p.name for p in tmp_path.iterdir()] == ["result.png"]  # no temp file left


def test_the_model_view_takes_a_picture_at_the_input_size_as_it_is():
    rng = np.random.default_rng(0)
    exact = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    view = model_view(exact, 224)
    assert np.array_equal(view, exact) and view is not exact
    other = rng.integers(0, 256, (300, 400, 3), dtype=np.uint8)
    assert np.array_equal(model_view(other, 224), center_crop_resize(other, 224))
    wide = rng.integers(0, 256, (224, 300, 3), dtype=np.uint8)  # one side at the size is not enough
    assert np.array_equal(model_view(wide, 224), center_crop_resize(wide, 224))
    tall = rng.integers(0, 256, (300, 224, 3), dtype=np.uint8)
    assert np.array_equal(model_view(tall, 224), center_crop_resize(tall, 224))


@pytest.mark.parametrize("mode", ["I;16", "I;16B", "I;16L"])
def test_16_bit_grey_is_scaled_to_8_bits_in_each_byte_order(mode):
    values = np.array([[0, 32768, 65535]], dtype=">u2" if mode == "I;16B" else "<u2")
    im = Image.frombytes(mode, (3, 1), values.tobytes())
    from engine.imaging import _to_rgb_array

    rgb = _to_rgb_array(im)
    assert rgb.shape == (1, 3, 3) and rgb[0, :, 0].tolist() == [0, 128, 255]   # scaled, not clipped at 255
    assert (rgb == rgb[..., :1]).all()


def test_32_bit_grey_is_read_as_16_bit_or_8_bit_by_its_largest_value():
    from engine.imaging import _to_rgb_array

    # round(v / 65535 * 255): 33025 -> 129 (128 over 65536); 256 is already 16-bit (1, not 255)
    for values, expected in (([0, 33025, 65535], [0, 129, 255]), ([0, 256], [0, 1]),
                             ([0, 128, 255], [0, 128, 255])):
        im = Image.frombytes("I", (len(values), 1), np.array([values], dtype="<i4").tobytes())
        assert _to_rgb_array(im)[0, :, 0].tolist() == expected
    clipped = Image.frombytes("I", (4, 1), np.array([[-1000, 65279, 65535, 70000]], dtype="<i4").tobytes())
    assert _to_rgb_array(clipped)[0, :, 0].tolist() == [0, 254, 255, 255]   # clipped to 0..255, no wrap-around


@pytest.mark.filterwarnings("error")   # a flat image must not divide 0 by 0 (numpy warns, the cast of NaN is undefined)
def test_float_grey_is_stretched_from_its_minimum_to_its_maximum():
    from engine.imaging import _to_rgb_array

    im = Image.frombytes("F", (3, 1), np.array([[-1.0, 0.5, 2.0]], dtype="<f4").tobytes())
    assert _to_rgb_array(im)[0].tolist() == [[0, 0, 0], [128, 128, 128], [255, 255, 255]]
    flat = Image.frombytes("F", (2, 1), np.array([[7.0, 7.0]], dtype="<f4").tobytes())
    assert _to_rgb_array(flat).dtype == np.uint8 and _to_rgb_array(flat).max() == 0
    # float32(257/510) lies just under the half step between grey 128 and 129: worked out in double
    # precision it rounds down; in float32, (v * 255 + 0.5) rounds up to 129
    under_half = Image.frombytes("F", (3, 1), np.array([[0.0, 257 / 510, 1.0]], dtype="<f4").tobytes())
    assert _to_rgb_array(under_half)[0, :, 0].tolist() == [0, 128, 255]


def test_fit_within_shrinks_the_longer_side_and_never_enlarges():
    tall = np.zeros((100, 1, 3), np.uint8)
    assert fit_within(tall, 50).shape == (50, 1, 3) and fit_within(tall.transpose(1, 0, 2), 50).shape == (1, 50, 3)
    small = np.arange(10 * 20 * 3, dtype=np.uint8).reshape(10, 20, 3)
    for side in (20, 30):   # exactly the limit, or under it: a copy, the same pixels
        kept = fit_within(small, side)
        assert np.array_equal(kept, small) and kept is not small


def test_params_are_saved_as_sorted_json_of_plain_values_and_read_back(tmp_path):
    from pathlib import PurePosixPath

    params = {"b": (np.int64(3), np.float32(0.5), None, True), "a": PurePosixPath("x/y.png"), "c": {"n": [1, "z"]}}
    path = save_png(tmp_path / "p.png", np.zeros((2, 2, 3), np.uint8), params)
    expected = {"a": "x/y.png", "b": [3, 0.5, None, True], "c": {"n": [1, "z"]}}
    assert read_png_params(path) == expected
    with Image.open(path) as im:
        assert im.text["neural-lens"] == json.dumps(expected, sort_keys=True)
    assert read_png_params(save_png(tmp_path / "plain.png", np.zeros((2, 2, 3), np.uint8))) is None
    Image.new("RGB", (2, 2)).save(tmp_path / "photo.jpg")
    assert read_png_params(tmp_path / "photo.jpg") is None       # a format without text chunks


def test_save_png_refuses_what_is_not_rgb_uint8_and_keeps_no_file(tmp_path):
    for bad in (np.zeros((2, 2, 4), np.uint8), np.zeros((2, 2, 3), np.float32), np.zeros((2, 2), np.uint8)):
        with pytest.raises(ValueError, match="^save_png expects an HxWx3 uint8 array$"):
            save_png(tmp_path / "bad.png", bad)
    assert list(tmp_path.iterdir()) == []


def test_save_npy_round_trips_and_refuses_pickled_objects(tmp_path):
    from engine.imaging import save_npy

    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    assert np.array_equal(np.load(save_npy(tmp_path / "a.npy", array)), array)
    with pytest.raises(ValueError):
        save_npy(tmp_path / "b.npy", np.array([{"a": 1}], dtype=object))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npy"]   # nothing half-written is left


def test_a_load_error_keeps_the_source_and_the_reason(tmp_path):
    with pytest.raises(ImageLoadError) as caught:
        load_image(tmp_path / "gone.png")
    assert caught.value.source == str(tmp_path / "gone.png") and caught.value.reason == "no such file"
    assert str(caught.value) == f"{tmp_path / 'gone.png'}: no such file"


@pytest.mark.parametrize("mode", ["LA", "RGBa", "PA"])   # "La": a TIFF, below
def test_every_mode_with_alpha_is_composited_on_white(mode):
    from engine.imaging import _to_rgb_array

    im = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    im.putpixel((1, 0), (0, 0, 0, 255))
    im = im.convert(mode)
    assert im.mode == mode
    assert _to_rgb_array(im)[0].tolist() == [[255, 255, 255], [0, 0, 0]]   # see-through is white, not black


def test_a_tiff_of_grey_with_premultiplied_alpha_is_read_on_white():
    im = Image.new("LA", (2, 1), (0, 0))
    im.putpixel((1, 0), (0, 255))
    buf = io.BytesIO()
    im.save(buf, format="TIFF")
    data = bytearray(buf.getvalue())
    extra_samples = data.find(bytes([0x52, 0x01, 3, 0, 1, 0, 0, 0, 2, 0]))   # tag 338, SHORT, 1 value: 2
    assert extra_samples > 0
    data[extra_samples + 8] = 1            # the alpha is associated (premultiplied): Pillow opens it as "La"
    assert Image.open(io.BytesIO(bytes(data))).mode == "La"
    assert load_image(bytes(data))[0].tolist() == [[255, 255, 255], [0, 0, 0]]


def test_the_pixel_limit_is_inclusive(tmp_path):
    data = png_bytes(Image.new("RGB", (20, 10)))
    assert load_image(data, max_pixels=200).shape == (10, 20, 3)
    with pytest.raises(ImageLoadError, match=r"image is too large \(20x10 pixels; the limit is 199 pixels\)"):
        load_image(data, max_pixels=199)


def test_the_centre_crop_takes_the_rounded_fraction_of_the_shorter_side():
    from engine.imaging import crop_box

    assert crop_box(300, 400) == (19, 69, 262)          # round(262.5) = 262
    assert crop_box(120, 100) == (16, 6, 88)            # 87.5 rounds to 88: rounded, not cut
    assert crop_box(2, 2, 0.1) == (0, 0, 1)             # never less than one pixel
    assert crop_box(10, 14, 0.5) == (2, 4, 5)
    image = np.random.default_rng(2).integers(0, 256, (10, 14, 3), dtype=np.uint8)
    centre = image[0:9, 2:11]                           # crop_box(10, 14) == (0, 2, 9)
    assert np.array_equal(center_crop_resize(image, 9), centre)
    assert np.array_equal(model_view(image, 9), centre)
    assert np.array_equal(center_crop_resize(image, 5, 0.5), image[2:7, 4:9])
    assert np.array_equal(model_view(image, 5, 0.5), image[2:7, 4:9])


def test_resize_refuses_an_empty_size_and_copies_an_unchanged_one():
    image = np.random.default_rng(3).integers(0, 256, (10, 14, 3), dtype=np.uint8)
    for size in ((0, 5), (5, 0)):
        with pytest.raises(ValueError, match=rf"^cannot resize to {size[0]}x{size[1]}$"):
            resize(image, size)
    assert resize(image, (1, 1)).shape == (1, 1, 3)
    same = resize(image, (14, 10))
    assert np.array_equal(same, image) and same is not image
    assert resize(image, (14, 5)).shape == (5, 14, 3) and resize(image, (7, 10)).shape == (10, 7, 3)
    assert resize(image, (14, 14)).shape == (14, 14, 3) and resize(image, (3, 10)).shape == (10, 3, 3)


def test_to_pil_takes_any_integer_array_of_byte_values():
    from engine.imaging import to_pil

    wide = np.arange(24, dtype=np.int64).reshape(2, 4, 3)
    pil = to_pil(wide)
    assert pil.mode == "RGB" and pil.size == (4, 2) and np.array_equal(np.asarray(pil), wide)
