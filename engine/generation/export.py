"""Exporting a generation run as an animation.

* :class:`FrameRecorder` keeps a bounded, evenly spread selection of a run's
  frames (shrunk to a maximum side) while it streams.
* :func:`export_gif` (Pillow), :func:`export_mp4` (H.264 through the ffmpeg
  binary that the ``imageio-ffmpeg`` package ships; :func:`mp4_available`
  tells whether it is installed) and :func:`export_png_sequence` (numbered
  PNGs).  :func:`export_animation` picks by file suffix.

Frames of different sizes (DeepDream's octaves grow) are resized to the last
frame's size.  Files are written atomically (temporary file, then rename).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ..atomic import atomic_path, atomic_write
from ..imaging import fit_within, resize, save_png

__all__ = ["ExportError", "FrameRecorder", "mp4_available", "export_gif", "export_mp4", "export_run", "export_choices",
           "export_target",
           "export_png_sequence", "export_animation", "ANIMATION_SUFFIXES"]

ANIMATION_SUFFIXES = (".gif", ".mp4")


class ExportError(ValueError):
    """An animation could not be written (the message says why)."""


class FrameRecorder:
    """Collects frames for an animation with bounded memory.

    Frames are shrunk to ``max_side``; a frame equal to the previous one is
    skipped; when ``max_frames`` are held, every other one is dropped and
    from then on only every second frame is kept, so the selection stays
    spread evenly over the whole run.
    """

    def __init__(self, max_frames: int = 240, max_side: int = 512) -> None:
        if max_frames < 2:
            raise ValueError("max_frames must be at least 2")
        if max_side < 16:
            raise ValueError("max_side must be at least 16")
        self.max_frames = max_frames
        self.max_side = max_side
        self.frames: list[np.ndarray] = []
        self._stride = 1
        self._seen = 0

    def add(self, image: np.ndarray) -> None:
        if self._seen % self._stride == 0:
            small = fit_within(np.asarray(image, dtype=np.uint8), self.max_side)
            if self.frames and np.array_equal(self.frames[-1], small):
                return
            self.frames.append(small)
            if len(self.frames) > self.max_frames:
                self.frames = self.frames[::2]
                self._stride *= 2
        self._seen += 1

    def clear(self) -> None:
        self.frames.clear()
        self._stride = 1
        self._seen = 0

    def __len__(self) -> int:
        return len(self.frames)


def mp4_available() -> bool:
    """True when the ``imageio-ffmpeg`` package (and its ffmpeg binary) is installed."""
    try:
        import imageio_ffmpeg

        return bool(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:
        return False


def _uniform(frames: Sequence[np.ndarray], even: bool = False) -> list[np.ndarray]:
    if not frames:
        raise ExportError("there are no frames to export")
    h, w = np.asarray(frames[-1]).shape[:2]
    if even:
        h, w = max(2, h - h % 2), max(2, w - w % 2)
    out = []
    for f in frames:
        f = np.asarray(f, dtype=np.uint8)
        if f.ndim != 3 or f.shape[2] != 3:
            raise ExportError(f"frames must be HxWx3 RGB images, got shape {f.shape}")
        out.append(f if f.shape[:2] == (h, w) else resize(f, (w, h)))
    return out


def _check_fps(fps: float) -> float:
    if not (isinstance(fps, (int, float)) and 0.1 <= fps <= 120):
        raise ExportError(f"frames per second must be between 0.1 and 120, got {fps!r}")
    return float(fps)


def _check_folder(path: Path) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ExportError(f"{path}: the folder {folder} does not exist")


def export_gif(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 10.0, loop: int = 0) -> Path:
    """An animated GIF (adaptive palette per frame), looping forever by default."""
    path, fps = Path(path), _check_fps(fps)
    images = [Image.fromarray(f, mode="RGB") for f in _uniform(frames)]
    _check_folder(path)
    with atomic_write(path, suffix=path.suffix) as handle:
        images[0].save(handle, format="GIF", save_all=True, append_images=images[1:],
                       duration=max(20, int(round(1000 / fps))), loop=loop, optimize=False)
    return path


def export_mp4(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 10.0) -> Path:
    """An H.264 MP4 (yuv420p, even frame size).  Raises :class:`ExportError`
    when ``imageio-ffmpeg`` is not installed."""
    path, fps = Path(path), _check_fps(fps)
    if not mp4_available():
        raise ExportError("MP4 export needs the imageio-ffmpeg package; export a GIF or a PNG sequence instead")
    import imageio_ffmpeg

    images = _uniform(frames, even=True)
    h, w = images[0].shape[:2]
    _check_folder(path)
    try:
        with atomic_path(path, suffix=path.suffix) as tmp:
            writer = imageio_ffmpeg.write_frames(str(tmp), (w, h), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                                 macro_block_size=2, quality=8, ffmpeg_log_level="error")
            writer.send(None)
            for f in images:
                writer.send(np.ascontiguousarray(f).tobytes())
            writer.close()
    except ExportError:
        raise
    except Exception as exc:
        raise ExportError(f"{path}: ffmpeg could not write the video ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None  # noqa: E501
    return path


def export_png_sequence(frames: Sequence[np.ndarray], folder: str | os.PathLike, prefix: str = "frame",
                        params: dict | None = None) -> list[Path]:
    """``prefix_0001.png``, ``prefix_0002.png``... in ``folder`` (created if missing)."""
    folder = Path(folder)
    images = _uniform(frames)
    folder.mkdir(parents=True, exist_ok=True)
    digits = max(4, len(str(len(images))))
    return [save_png(folder / f"{prefix}_{i + 1:0{digits}d}.png", f, params) for i, f in enumerate(images)]


def export_animation(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 10.0) -> Path:
    """GIF or MP4 by the suffix of ``path``."""
    suffix = Path(path).suffix.lower()
    if suffix == ".gif":
        return export_gif(frames, path, fps)
    if suffix == ".mp4":
        return export_mp4(frames, path, fps)
    raise ExportError(f"{path}: unknown animation type {suffix or '(no suffix)'}; use .gif or .mp4")


def export_run(frames: Sequence[np.ndarray], path: str | os.PathLike, fps: float = 10.0,
               params: dict | None = None) -> None:
    """A run's frames as an animated GIF or MP4 (by the suffix of ``path``), or
    as numbered PNGs (``params`` embedded) in the folder ``path`` when it has
    no suffix."""
    if Path(path).suffix:
        export_animation(frames, path, fps)
    else:
        export_png_sequence(frames, path, params=params)


def export_choices() -> list[str]:
    """The export formats on offer, as file-dialog filters (MP4 when ffmpeg is there)."""
    return ["Animated GIF (*.gif)"] + (["MP4 video (*.mp4)"] if mp4_available() else []) + ["PNG sequence (folder)"]


def export_target(path: str, chosen: str) -> str:
    """The path to export to, from a save dialog's ``path`` and chosen filter:
    a folder (no suffix) for a PNG sequence, else a .gif/.mp4 file."""
    stem, suffix = os.path.splitext(path)
    if chosen.startswith("PNG"):
        return stem
    return path if suffix else path + (".mp4" if chosen.startswith("MP4") else ".gif")
