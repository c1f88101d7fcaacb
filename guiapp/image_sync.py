"""One current image for the whole window.

A photo opened or dropped in any tab becomes the current image of every tab
that takes a photo: Saliency's and Fooling's image, Dreaming's source,
Captioning's Caption page.  (Dreaming's guide image stays that tab's own.)

A tab that is not on screen gets the photo when it is shown, so opening a
photo starts one tab's work, not four.  A tab whose unsaved result a new photo
would discard (a fooling image) keeps its photo until that result is saved;
the status line says so.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from .widgets.image_panel import ImagePanel

__all__ = ["ImageSync", "PHOTO_PANELS", "KEEPS_UNSAVED_RESULT"]

#: tab title -> the attribute path of the panel that shows its current photo
PHOTO_PANELS = {
    "Saliency": "classify.image_panel",
    "Fooling": "classify.image_panel",
    "Dreaming": "source_panel",
    "Captioning": "caption_panel.image_panel",
    "Layers": "photo_panel",
}
#: tabs that clear their result when the photo changes
KEEPS_UNSAVED_RESULT = frozenset({"Fooling"})


def _resolve(obj: object, dotted: str) -> object | None:
    for name in dotted.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


class ImageSync(QObject):
    """Shares the current photo between the tabs of ``tab_widget``.

    Signal ``opened(str)``: a photo was read from a file (for Open Recent)."""

    opened = Signal(str)

    def __init__(self, tab_widget: QTabWidget, tabs: Mapping[str, QWidget], ctx=None, parent: QObject | None = None):
        super().__init__(parent)
        self.tab_widget = tab_widget
        self.ctx = ctx
        self.panels: dict[QWidget, ImagePanel] = {}
        self.titles: dict[QWidget, str] = {}
        self.image: np.ndarray | None = None
        self.path: str = ""
        self._pending: set[QWidget] = set()
        self._delivering = False
        for title, tab in tabs.items():
            panel = _resolve(tab, PHOTO_PANELS.get(title, ""))
            if isinstance(panel, ImagePanel):
                self.panels[tab] = panel
                self.titles[tab] = title
                panel.image_loaded.connect(lambda image, path, source=tab: self._on_loaded(source, image, path))
        tab_widget.currentChanged.connect(lambda _i: self.deliver_pending())

    def _on_loaded(self, source: QWidget, image: np.ndarray, path: str) -> None:
        if self._delivering:
            return
        self.image, self.path = image, path
        self._pending = {tab for tab in self.panels if tab is not source}
        if path:
            self.opened.emit(path)
        self.deliver_pending()

    def pending_tabs(self) -> list[str]:
        """Titles of the tabs that have not been given the current photo yet."""
        return [self.titles[tab] for tab in self._pending]

    def deliver_pending(self) -> None:
        """Give the current photo to the tab on screen, if it is still waiting for it."""
        tab = self.tab_widget.currentWidget()
        if tab not in self._pending or self.image is None:
            return
        title = self.titles[tab]
        if title in KEEPS_UNSAVED_RESULT and tab.has_unsaved_results():
            if self.ctx is not None:
                self.ctx.show_status(f"{title} keeps its photo until its result is saved (File ▸ Save); "
                                     f"{os.path.basename(self.path) or 'the new photo'} is in File ▸ Open Recent.", 8000)
            return
        self._pending.discard(tab)
        panel = self.panels[tab]
        self._delivering = True
        try:   # as if the tab had read the file itself: its own reaction follows
            panel.set_image(self.image)
            panel.path = self.path or None
            panel.image_loaded.emit(self.image, self.path)
        finally:
            self._delivering = False
