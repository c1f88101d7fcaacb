"""Awkward and broken input files, made on the fly (no binary fixtures in the repo).

:func:`make_image_files` writes one file per case into a folder and returns
``{case: path}``; :data:`BAD_IMAGES` are the cases every entry point must
refuse with a message naming the file, :data:`ODD_IMAGES` the unusual but
valid ones every entry point must read (with the expected RGB content in
:func:`expected_pixels`).  :func:`unreadable` simulates a file without read
permission (the tests run as root, where ``chmod 000`` does not stop reads).
"""
from __future__ import annotations

import builtins
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

__all__ = [
    "BAD_IMAGES", "ODD_IMAGES", "make_image_files", "png_bytes", "bomb_png", "unreadable", "photo_array",
    "NON_UTF8_NAME", "REASONS", "make_weight_files", "expected_pixels",
]

#: Cases that must be refused with a message naming the file.
BAD_IMAGES = ("empty", "truncated_png", "truncated_jpeg", "text_as_png", "bomb", "directory", "unreadable",
              "missing")
#: Unusual but valid images that must load as RGB uint8.
ODD_IMAGES = ("png16_grey", "png16_rgb", "palette_transparent", "cmyk_jpeg", "animated_gif", "exif_rotated",
              "non_utf8_name")
#: A file name that is not valid UTF-8 (Latin-1 "café"), as the str Python gives for it.
NON_UTF8_NAME = os.fsdecode(b"caf\xe9-photo.png")

REASONS = {
    "empty": "empty",
    "truncated_png": "truncated",
    "truncated_jpeg": "truncated",
    "text_as_png": "not an image",
    "bomb": "too large",
    "directory": "folder",
    "unreadable": "permission denied",
    "missing": "no such file",
}


def photo_array(h: int = 48, w: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth colourful test picture (gradients + a disc), uint8 HxWx3."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    r = 255 * xx / max(1, w - 1)
    g = 255 * yy / max(1, h - 1)
    b = np.where((yy - h / 2) ** 2 + (xx - w / 2) ** 2 < (min(h, w) / 3) ** 2, 220.0, 40.0)
    noise = np.random.default_rng(seed).normal(0, 3, (h, w, 3))
    return np.clip(np.stack([r, g, b], -1) + noise, 0, 255).astype(np.uint8)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bytes(rows: np.ndarray, color_type: int, bit_depth: int) -> bytes:
    """A PNG written by hand (so 16-bit RGB, which Pillow cannot write, is possible).
    ``rows``: (H, W*channels) array of the sample values, big-endian for 16 bits."""
    h = rows.shape[0]
    w_samples = rows.shape[1]
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    w = w_samples // channels
    dtype = ">u2" if bit_depth == 16 else "u1"
    raw = b"".join(b"\x00" + np.ascontiguousarray(row.astype(dtype)).tobytes() for row in rows)
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw)) + _chunk(b"IEND", b"")


def bomb_png(side: int = 30000) -> bytes:
    """A valid PNG signature and header claiming ``side`` x ``side`` RGB pixels,
    with only a few bytes of image data (a decompression bomb's header)."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _chunk(b"IEND", b""))


def _encoded(image: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def make_image_files(folder: str | os.PathLike) -> dict[str, Path]:
    """Write every case into ``folder``; returns ``{case: path}``.

    ``unreadable`` is an intact PNG: pair it with :func:`unreadable` in the test."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    photo = photo_array()
    png = _encoded(Image.fromarray(photo), "PNG")
    jpeg = _encoded(Image.fromarray(photo), "JPEG", quality=90)
    files: dict[str, bytes] = {
        "empty": b"",
        "truncated_png": png[: len(png) // 2],
        "truncated_jpeg": jpeg[: len(jpeg) // 2],
        "text_as_png": b"This is a text file that only pretends to be a PNG.\n" * 3,
        "bomb": bomb_png(),
        "unreadable": png,
        "good_png": png,
        "good_jpeg": jpeg,
    }
    grey16 = (np.linspace(0, 65535, 32 * 40).reshape(32, 40)).astype(np.uint16)
    files["png16_grey"] = png_bytes(grey16, color_type=0, bit_depth=16)
    rgb16 = photo.astype(np.uint16) * 257  # 8-bit values scaled to 16 bits: reading back must give photo
    files["png16_rgb"] = png_bytes(rgb16.reshape(photo.shape[0], -1), color_type=2, bit_depth=16)
    pal = Image.new("P", (20, 10), 0)
    pal.putpalette([255, 0, 0, 0, 0, 255] + [0, 0, 0] * 254)
    pal.paste(1, (10, 0, 20, 10))  # right half blue, left half "red" but transparent
    files["palette_transparent"] = _encoded(pal, "PNG", transparency=0)
    cmyk = Image.new("CMYK", (24, 16), (0, 255, 255, 0))  # pure red in CMYK
    files["cmyk_jpeg"] = _encoded(cmyk, "JPEG", quality=95)
    frames = [Image.new("RGB", (16, 12), c) for c in ((0, 200, 0), (200, 0, 0), (0, 0, 200))]
    buf = io.BytesIO()
    frames[0].save(buf, format="GIF", save_all=True, append_images=frames[1:], duration=50, loop=0)
    files["animated_gif"] = buf.getvalue()
    tall = Image.fromarray(photo[:, :40])  # 48 high, 40 wide
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    files["exif_rotated"] = _encoded(tall, "JPEG", quality=95, exif=exif.tobytes())

    suffix = {"truncated_jpeg": ".jpg", "cmyk_jpeg": ".jpg", "exif_rotated": ".jpg", "good_jpeg": ".jpg",
              "animated_gif": ".gif"}
    paths: dict[str, Path] = {}
    for name, data in files.items():
        path = folder / f"{name}{suffix.get(name, '.png')}"
        path.write_bytes(data)
        paths[name] = path
    raw_name = os.path.join(os.fsencode(folder), os.fsencode(NON_UTF8_NAME))
    with open(raw_name, "wb") as handle:
        handle.write(png)
    paths["non_utf8_name"] = Path(os.fsdecode(raw_name))
    directory = folder / "a_folder.png"
    directory.mkdir(exist_ok=True)
    paths["directory"] = directory
    paths["missing"] = folder / "no_such_image.png"
    return paths


def expected_pixels(case: str) -> np.ndarray | None:
    """What an odd image must read as (None: only its shape is checked)."""
    photo = photo_array()
    if case in ("png16_rgb", "non_utf8_name"):
        return photo
    if case == "palette_transparent":
        out = np.zeros((10, 20, 3), np.uint8)
        out[:, :10] = 255  # transparent -> composited on white
        out[:, 10:] = (0, 0, 255)
        return out
    return None


def unreadable(monkeypatch, path: str | os.PathLike) -> None:
    """Make opening ``path`` fail with ``PermissionError`` (as for a mode-000
    file of another user), for ``open``, ``io.open`` and pathlib."""
    target = os.path.realpath(os.fsdecode(path))
    real_open = builtins.open

    def guarded_open(file, *args, **kwargs):
        if isinstance(file, (str, bytes, os.PathLike)) and os.path.realpath(os.fsdecode(file)) == target:
            raise PermissionError(13, "Permission denied", os.fsdecode(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(io, "open", guarded_open)


class _Payload:
    """Unpickling this runs ``open(marker, 'w')``: a stand-in for malicious code."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def make_weight_files(folder: str | os.PathLike) -> dict[str, Path]:
    """Broken torchvision-style weight files, named so the architecture
    (resnet18) is known from the name; ``marker`` is the file the pickle
    payload would create if it ever ran."""
    import torch
    from torch import nn

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    marker = folder / "payload-ran.txt"
    net = nn.Sequential(nn.Conv2d(3, 4, 3), nn.Flatten(), nn.Linear(4, 2))
    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    good = buf.getvalue()
    buf = io.BytesIO()
    torch.save({"conv1.weight": torch.zeros(1), "evil": _Payload(str(marker))}, buf)
    evil = buf.getvalue()
    buf = io.BytesIO()
    torch.save([1, 2, 3], buf)
    listing = buf.getvalue()
    contents = {"corrupt": os.urandom(4096), "truncated": good[: len(good) // 2], "empty": b"",
                "pickle_payload": evil, "not_a_state_dict": listing, "wrong_architecture": good}
    paths = {}
    for name, data in contents.items():
        path = folder / f"resnet18-{name.replace('_', '')}.pth"
        path.write_bytes(data)
        paths[name] = path
    paths["directory"] = folder / "resnet18-folder.pth"
    paths["directory"].mkdir(exist_ok=True)
    paths["marker"] = marker
    return paths
