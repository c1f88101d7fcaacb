"""The application icon (``resources/icon.svg`` and its PNG sizes in
``resources/icons/``, rendered by ``tools/render_icons.py``)."""
from __future__ import annotations

from PySide6.QtGui import QIcon

from .resources import resource_path

__all__ = ["ICON_SIZES", "app_icon"]

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)


def app_icon() -> QIcon:
    """Every PNG size (no SVG plugin needed); the SVG when no PNG is there."""
    icon = QIcon()
    for size in ICON_SIZES:
        path = resource_path("icons", f"neural-lens-{size}.png")
        if path.is_file():
            icon.addFile(str(path))
    if icon.isNull() and resource_path("icon.svg").is_file():
        icon = QIcon(str(resource_path("icon.svg")))
    return icon
