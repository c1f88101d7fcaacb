"""How image panels draw: smooth (bilinear) scaling, the default, or
pixel-exact (nearest neighbour), for every panel at once (View ▸ Smooth
Scaling).  Kept apart from the panels so the window's menus can use it
before the widgets (and torch) are imported."""
from __future__ import annotations

import weakref

__all__ = ["register", "set_smooth_scaling", "smooth_scaling"]

_panels: weakref.WeakSet = weakref.WeakSet()
_smooth = [True]


def smooth_scaling() -> bool:
    """Whether image panels draw with smooth scaling (the default) or pixel-exact."""
    return _smooth[0]


def register(panel) -> None:
    """A panel with ``set_smooth(bool)`` that follows :func:`set_smooth_scaling` from now on."""
    _panels.add(panel)
    panel.set_smooth(_smooth[0])


def set_smooth_scaling(smooth: bool) -> None:
    """Smooth or pixel-exact drawing, for every panel."""
    _smooth[0] = bool(smooth)
    for panel in list(_panels):
        try:
            panel.set_smooth(smooth)
        except RuntimeError:  # its Qt side is gone already
            _panels.discard(panel)
