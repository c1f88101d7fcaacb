"""``HistoryStrip``: a horizontal strip of thumbnails of finished results;
clicking one emits ``chosen(dict)`` so the tab can show it beside the current
image for comparison."""
from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem, QMenu, QWidget

from engine.imaging import fit_within

__all__ = ["HistoryStrip", "thumbnail_pixmap"]

THUMB = 72


def thumbnail_pixmap(image: np.ndarray, side: int = THUMB) -> QPixmap:
    """A QPixmap of an RGB uint8 image shrunk to fit ``side``."""
    small = np.ascontiguousarray(fit_within(image, side))
    h, w = small.shape[:2]
    qimage = QImage(small.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(qimage)


class HistoryStrip(QListWidget):
    """Finished results, newest first.  ``chosen(entry)`` on a click;
    ``save_requested(entry)`` from the right-click menu's *Save…*,
    ``command_requested(entry)`` from its *Copy as command line*."""

    chosen = Signal(object)
    save_requested = Signal(object)
    command_requested = Signal(object)

    def __init__(self, max_items: int = 30, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.max_items = max_items
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setFixedHeight(THUMB + 36)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.itemClicked.connect(lambda item: self.chosen.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is not None:
            self.menu_for(item).popup(self.viewport().mapToGlobal(pos))

    def menu_for(self, item: QListWidgetItem) -> QMenu:
        """The right-click menu of a result."""
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        entry = item.data(Qt.ItemDataRole.UserRole)
        menu.addAction("Compare", lambda: self.chosen.emit(entry))
        menu.addAction("Save…", lambda: self.save_requested.emit(entry))
        action = menu.addAction("Copy as command line", lambda: self.command_requested.emit(entry))
        action.setToolTip("The neural-lens-cli command that makes the same picture")
        return menu

    def add_result(self, image: np.ndarray, title: str, info: dict[str, Any]) -> None:
        """Add a finished result (newest first); ``info`` travels with it."""
        entry = {"image": image, "title": title, **info}
        item = QListWidgetItem(QIcon(thumbnail_pixmap(image)), title)
        item.setData(Qt.ItemDataRole.UserRole, entry)
        item.setToolTip("\n".join([title] + [f"{k}: {v}" for k, v in info.get("params", {}).items()]))
        self.insertItem(0, item)
        while self.count() > self.max_items:
            self.takeItem(self.count() - 1)

    def entries(self) -> list[dict]:
        return [self.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.count())]
