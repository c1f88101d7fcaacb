"""File ▸ Open Sample: the small, freely licensed photos shipped in
``resources/samples/`` (sources and licences in its ``LICENSE.txt``), so a
first-time user can try every tab without hunting for a file."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMenu, QWidget

from .resources import resource_path

__all__ = ["SAMPLE_TITLES", "SampleMenu", "sample_photos"]

#: menu titles of the shipped photos (a photo not listed here shows its file name)
SAMPLE_TITLES = {
    "chelsea.jpg": "Cat (Chelsea)",
    "coffee.jpg": "Espresso cup",
    "astronaut.jpg": "Astronaut (Eileen Collins)",
    "rocket.jpg": "Rocket launch",
    "hubble_deep_field.jpg": "Hubble deep field",
    "retina.jpg": "Retina",
    "camera.jpg": "Photographer (grey-scale)",
}
_SUFFIXES = {".jpg", ".jpeg", ".png"}


def sample_photos(folder: Path | None = None) -> list[tuple[str, Path]]:
    """``(title, path)`` of every sample photo, in the order of :data:`SAMPLE_TITLES`."""
    folder = folder or resource_path("samples")
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.suffix.lower() in _SUFFIXES]
    order = list(SAMPLE_TITLES)
    files.sort(key=lambda p: (order.index(p.name) if p.name in order else len(order), p.name))
    return [(SAMPLE_TITLES.get(p.name, p.stem.replace("_", " ")), p) for p in files]


class SampleMenu(QMenu):
    """One action per sample photo; choosing one calls ``open_path(str)``."""

    def __init__(self, open_path: Callable[[str], object], parent: QWidget | None = None) -> None:
        super().__init__("Open &Sample", parent)
        for title, path in sample_photos():
            action = self.addAction(title)
            action.setData(str(path))
            action.setToolTip(str(path))
            action.triggered.connect(lambda _c=False, p=str(path): open_path(p))
        if self.isEmpty():
            self.addAction("(no sample photos installed)").setEnabled(False)
