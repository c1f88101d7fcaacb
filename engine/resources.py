"""Where the application's bundled files are: the stylesheet, the icon, the
sample photos (``resources/`` beside the packages in a checkout or an
editable install; ``$NEURAL_LENS_RESOURCES`` or ``<prefix>/share/neural-lens``
when installed elsewhere)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["resources_dir", "resource_path"]


def _candidates() -> list[Path]:
    found = []
    if os.environ.get("NEURAL_LENS_RESOURCES"):
        found.append(Path(os.environ["NEURAL_LENS_RESOURCES"]))
    found.append(Path(__file__).resolve().parent.parent / "resources")
    found.append(Path(sys.prefix) / "share" / "neural-lens" / "resources")
    return found


def resources_dir() -> Path:
    """The first resources folder that has the stylesheet in it (the
    checkout's when none does, so a message names a sensible path)."""
    candidates = _candidates()
    return next((c for c in candidates if (c / "style.qss").is_file()), candidates[-2])


def resource_path(*parts: str) -> Path:
    """``resource_path("samples", "chelsea.png")``: a file under :func:`resources_dir`."""
    return resources_dir().joinpath(*parts)
