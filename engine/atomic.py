"""Atomic file writing: a result is written to a temporary file in the target's
folder and renamed over the target only when complete, so a crash or a kill
mid-save leaves the previous file intact (``os.replace`` is atomic on POSIX
and Windows)."""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "atomic_path", "STALE_SECONDS", "NEW_FILE_MODE"]

#: A temporary file this old was left by a save that was killed; the next
#: save of the same target removes it.
STALE_SECONDS = 3600.0


def _process_umask() -> int:
    mask = os.umask(0o022)  # read once at import (setting it is the only way to read it)
    os.umask(mask)
    return mask


#: Permissions of a new file, as ``open()`` would give it (the temporary
#: file from ``mkstemp`` is private, 0600).
NEW_FILE_MODE = 0o666 & ~_process_umask()


def _remove_stale(path: Path, folder: Path, suffix: str) -> None:
    now = time.time()
    for old in folder.glob(f".{path.name}.*{suffix}"):
        with contextlib.suppress(OSError):
            if now - old.stat().st_mtime > STALE_SECONDS:
                old.unlink()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; when the block ends without an
    exception it is renamed onto ``path``, otherwise it is removed.  Leftovers
    of earlier saves that were killed (older than :data:`STALE_SECONDS`) are
    removed first."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    _remove_stale(path, folder, suffix)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=folder)
    os.close(fd)
    try:
        yield Path(tmp)
        try:  # an overwritten file keeps its permissions; a new one gets the usual ones
            mode = path.stat().st_mode & 0o777
        except OSError:
            mode = NEW_FILE_MODE
        with contextlib.suppress(OSError):
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, suffix: str = ".tmp") -> Iterator[BinaryIO]:
    """Yield a binary file handle whose content replaces ``path`` atomically
    (flushed and fsynced first) when the block ends without an exception."""
    with atomic_path(path, suffix) as tmp, open(tmp, "wb") as handle:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
