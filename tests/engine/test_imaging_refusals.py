"""Every way `load_image` refuses a picture, with the exact reason the user reads (and what it lets through)."""
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from engine.imaging import ImageLoadError, load_image


def png_bytes(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + chunk(b"IEND", b"")


def reason(source, **kw) -> str:
    """The reason `load_image` gives, after checking that the error names the source (a path or '<image data>')."""
    with pytest.raises(ImageLoadError) as caught:
        load_image(source, **kw)
    named = str(source) if isinstance(source, (str, Path)) else "<image data>"
    assert caught.value.source == named and str(caught.value) == f"{named}: {caught.value.reason}"
    return caught.value.reason


def test_file_system_refusals_say_exactly_what_is_wrong(tmp_path, monkeypatch):
    assert reason(tmp_path / "missing.png") == "no such file"
    assert reason(str(tmp_path / "missing.png")) == "no such file"
    assert reason(tmp_path) == "is a folder, not an image file"
    (tmp_path / "empty.png").write_bytes(b"")
    assert reason(tmp_path / "empty.png") == "the file is empty"
    assert reason(io.BytesIO(b"")) == "the file is empty"
    assert reason(bytearray()) == "the file is empty"
    (tmp_path / "a.png").write_bytes(png_bytes(Image.new("RGB", (2, 2))))
    for error, said in ((PermissionError(13, "Permission denied"), "permission denied"),
                        (OSError(5, "Input/output error"), "cannot be read (Input/output error)"),
                        (OSError("stale handle"), "cannot be read (stale handle)")):
        def fail(self, error=error):
            raise error
        monkeypatch.setattr(Path, "read_bytes", fail)
        assert reason(tmp_path / "a.png") == said


def test_data_that_is_no_image_or_is_cut_short_says_so():
    assert reason(b"this is not an image at all\n") == "not an image file, or an image format that cannot be read"
    good = png_bytes(Image.new("RGB", (64, 64), (9, 9, 9)))
    assert reason(good[: len(good) // 2]) == "corrupt image (the image file is truncated)"
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(1).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, "JPEG")
    assert reason(buf.getvalue()[:300]) == "corrupt image (the image file is truncated)"
    buf.seek(0)
    assert load_image(buf).shape == (64, 64, 3)   # a whole one, read from a stream


def test_pillows_bomb_guard_is_refused_in_our_words_past_our_own_limit():
    # 100 M pixels: over Pillow's warning limit (89.5 M, an error here), under its hard limit.
    assert reason(png_header(10_000, 10_000), max_pixels=10**9) == "image is too large (decompression-bomb limit)"
    assert reason(png_header(30_000, 30_000), max_pixels=10**10) == "image is too large (decompression-bomb limit)"
    assert reason(png_header(300, 200), max_pixels=59_999) == (
        "image is too large (300x200 pixels; the limit is 59,999 pixels)")


@pytest.fixture
def opened_as(monkeypatch):
    """Make Pillow's `Image.open` return ``image`` or raise ``error`` (what a damaged file or a plugin does)."""
    def use(image=None, error=None):
        def fake_open(fp, *a, **k):
            if error is not None:
                raise error
            return image
        monkeypatch.setattr(Image, "open", fake_open)
    return use


@pytest.mark.parametrize(("error", "said"), [
    (OSError("broken data stream when reading image file"), "corrupt image (broken data stream when reading image file)"),
    (SyntaxError("not a TIFF file"), "corrupt image (not a TIFF file)"),
    (ValueError(""), "corrupt image (ValueError)"),
    (OSError("image file is TRUNCATED (3 bytes not processed)"), "corrupt image (the image file is truncated)"),
    (EOFError("no more data"), "corrupt image (the image file is truncated)"),
    (KeyError("tile"), "corrupt image (damaged image data)"),
    (IndexError("list index out of range"), "corrupt image (damaged image data)"),
])
def test_what_pillow_raises_on_a_damaged_file_becomes_one_clear_reason(opened_as, error, said):
    opened_as(error=error)
    assert reason(b"some bytes") == said


def test_out_of_memory_is_not_called_a_bad_file(opened_as, monkeypatch):
    opened_as(error=MemoryError())
    with pytest.raises(MemoryError):
        load_image(b"some bytes")
    monkeypatch.undo()

    def no_memory(self, *a, **k):
        raise MemoryError()
    monkeypatch.setattr(Image.Image, "convert", no_memory)
    with pytest.raises(MemoryError):
        load_image(png_bytes(Image.new("L", (2, 2))))


def test_an_image_of_no_pixels_is_refused_and_one_pixel_is_enough(opened_as):
    for size in ((1, 1), (1, 3), (3, 1)):
        assert load_image(png_bytes(Image.new("RGB", size, (4, 5, 6)))).shape == (size[1], size[0], 3)
    for size in ((0, 3), (3, 0)):
        opened_as(image=Image.new("RGB", size))
        assert reason(b"some bytes") == "image has no pixels"


def test_a_mode_that_cannot_be_converted_is_named(monkeypatch):
    def refuse(self, *a, **k):
        raise ValueError("conversion not supported")
    monkeypatch.setattr(Image.Image, "convert", refuse)
    assert reason(png_bytes(Image.new("L", (2, 2)))) == "unsupported image type (L pixels)"


def test_a_broken_exif_block_does_not_hide_a_readable_image(monkeypatch):
    def broken(image, *a, **k):
        raise SyntaxError("bad EXIF")
    monkeypatch.setattr(ImageOps, "exif_transpose", broken)
    assert load_image(png_bytes(Image.new("RGB", (3, 2), (1, 2, 3))))[0, 0].tolist() == [1, 2, 3]
