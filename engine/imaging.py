"""Image input and output: robust loading, resizing helpers and atomic PNG
saving with the parameters that made the image.

Images inside the engine are ``numpy.uint8`` arrays of shape HxWx3 (RGB).
"""
from __future__ import annotations

import io
import json
import os
import warnings
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from .atomic import atomic_write

__all__ = [
    "ImageLoadError",
    "MAX_PIXELS",
    "load_image",
    "to_pil",
    "resize",
    "crop_box",
    "center_crop_resize",
    "model_view",
    "fit_within",
    "save_png",
    "save_npy",
    "read_png_params",
    "PARAMS_KEY",
    "IMAGE_SUFFIXES",
]

#: Largest image accepted (pixels).  Beyond it Pillow's decompression-bomb
#: guard refuses the file before decoding it.
MAX_PIXELS = 64_000_000

#: File suffixes of the pictures offered when a folder is searched.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})

#: PNG text chunk holding the JSON parameters of a saved result.
PARAMS_KEY = "neural-lens"


class ImageLoadError(ValueError):
    """An image could not be read.  ``str(error)`` names the source and the reason."""

    def __init__(self, source: str, reason: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source = source
        self.reason = reason


def _describe(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return os.fsdecode(source)
    return "<image data>"


def load_image(source: str | os.PathLike | bytes | BinaryIO, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image as an RGB ``uint8`` array (HxWx3).

    * EXIF orientation is applied (a phone photo shows upright).
    * Palette, grey, grey+alpha, RGBA (composited on white, as is a
      transparent colour), 16-bit and CMYK images are converted to 8-bit RGB.
    * Animated images (GIF, APNG, WebP) give their first frame.
    * Images over ``max_pixels`` are refused before decoding (decompression bomb).

    Raises :class:`ImageLoadError` naming the source and the reason for a
    missing, unreadable, empty, truncated, corrupt or non-image file.
    """
    name = _describe(source)
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if not path.exists():
            raise ImageLoadError(name, "no such file")
        if path.is_dir():
            raise ImageLoadError(name, "is a folder, not an image file")
        try:
            data = path.read_bytes()
        except PermissionError:
            raise ImageLoadError(name, "permission denied") from None
        except OSError as exc:
            raise ImageLoadError(name, f"cannot be read ({exc.strerror or exc})") from None
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        data = source.read()
    if len(data) == 0:
        raise ImageLoadError(name, "the file is empty")
    return _decode(data, name, max_pixels)


def _decode(data: bytes, name: str, max_pixels: int) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            w, h = im.size
            if w * h > max_pixels:
                raise ImageLoadError(name, f"image is too large ({w}x{h} pixels; the limit is {max_pixels:,} pixels)")
            if w == 0 or h == 0:
                raise ImageLoadError(name, "image has no pixels")
            if getattr(im, "n_frames", 1) > 1:
                im.seek(0)
            im.load()
    except ImageLoadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(name, "image is too large (decompression-bomb limit)") from None
    except UnidentifiedImageError:
        raise ImageLoadError(name, "not an image file, or an image format that cannot be read") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        reason = str(exc) or type(exc).__name__
        if "truncated" in reason.lower() or isinstance(exc, EOFError):
            reason = "the image file is truncated"
        raise ImageLoadError(name, f"corrupt image ({reason})") from None
    except MemoryError:
        raise
    except Exception:  # Pillow's plugins raise KeyError, TypeError, IndexError... on damaged files
        raise ImageLoadError(name, "corrupt image (damaged image data)") from None
    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # a broken EXIF block must not hide a readable image
        pass
    try:
        return _to_rgb_array(im)
    except MemoryError:
        raise
    except Exception:  # a mode Pillow reads but cannot convert (damaged or exotic)
        raise ImageLoadError(name, f"unsupported image type ({im.mode} pixels)") from None


def _to_rgb_array(im: Image.Image) -> np.ndarray:
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        grey = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if im.mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = np.nanmin(arr), np.nanmax(arr)
        grey = np.zeros(arr.shape, np.uint8) if hi <= lo else ((arr - lo) / (hi - lo) * 255 + 0.5).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if "transparency" in im.info and im.mode in ("P", "1", "L", "RGB"):  # a transparent colour (PNG's tRNS)
        im = im.convert("RGBA")
    if im.mode == "La":  # grey with premultiplied alpha (a TIFF's): Pillow converts it only to LA
        im = im.convert("LA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa"):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(background, im)
    if im.mode != "RGB":
        im = im.convert("RGB")
    return np.array(im, dtype=np.uint8, copy=True)


def to_pil(image: np.ndarray) -> Image.Image:
    """An RGB uint8 array as a Pillow image."""
    return Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8), mode="RGB")


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to ``(width, height)`` with a bicubic filter (antialiased when shrinking)."""
    w, h = int(size[0]), int(size[1])
    if w < 1 or h < 1:
        raise ValueError(f"cannot resize to {w}x{h}")
    if image.shape[1] == w and image.shape[0] == h:
        return image.copy()
    return np.asarray(to_pil(image).resize((w, h), Image.BICUBIC))


def crop_box(height: int, width: int, crop_fraction: float = 0.875) -> tuple[int, int, int]:
    """``(top, left, side)`` of the centred square of ``crop_fraction`` of
    the shorter side (what :func:`center_crop_resize` takes)."""
    side = max(1, int(round(min(height, width) * crop_fraction)))
    return (height - side) // 2, (width - side) // 2, side


def center_crop_resize(image: np.ndarray, size: int, crop_fraction: float = 0.875) -> np.ndarray:
    """The usual ImageNet evaluation view: a centred square of
    ``crop_fraction`` of the shorter side, resized to ``size`` x ``size``."""
    top, left, side = crop_box(*image.shape[:2], crop_fraction)
    return resize(image[top : top + side, left : left + side], (size, size))


def model_view(image: np.ndarray, size: int, crop_fraction: float = 0.875) -> np.ndarray:
    """What a network with ``size`` x ``size`` input sees of a picture.

    The one rule every reader uses (the CLI, every tab, the predictions lists,
    captioning features): a picture that already is ``size`` x ``size`` is
    taken exactly as it is, so a result the app saved at the model's input
    size (a fooling image, a visualization) is read back pixel for pixel;
    any other picture gets the usual ImageNet evaluation view
    (:func:`center_crop_resize`: a centred square of ``crop_fraction`` of
    the shorter side, resized).  Always returns a new array."""
    image = np.asarray(image)
    if image.shape[0] == image.shape[1] == int(size):
        return image.copy()
    return center_crop_resize(image, size, crop_fraction)


def fit_within(image: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink (never enlarge) so that the longer side is at most ``max_side``."""
    h, w = image.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return image.copy()
    return resize(image, (max(1, round(w * scale)), max(1, round(h * scale))))


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def save_png(path: str | os.PathLike, image: np.ndarray, params: dict[str, Any] | None = None) -> Path:
    """Save an RGB uint8 image as PNG atomically (temporary file in the same
    folder, then ``os.replace``), with ``params`` as JSON in a text chunk
    (key :data:`PARAMS_KEY`).  A crash mid-save leaves any previous file intact."""
    path = Path(path)
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError("save_png expects an HxWx3 uint8 array")
    info = PngImagePlugin.PngInfo()
    if params:
        info.add_text(PARAMS_KEY, json.dumps(_jsonable(params), sort_keys=True))
    with atomic_write(path) as handle:
        to_pil(image).save(handle, format="PNG", pnginfo=info)
    return path


def save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Write ``array`` as .npy atomically (temporary file, then rename)."""
    path = Path(path)
    with atomic_write(path) as handle:
        np.save(handle, array, allow_pickle=False)
    return path


def read_png_params(path: str | os.PathLike) -> dict[str, Any] | None:
    """The parameters :func:`save_png` embedded, or ``None``."""
    with Image.open(path) as im:
        text = getattr(im, "text", {}) or {}
        raw = text.get(PARAMS_KEY)
    return json.loads(raw) if raw else None
