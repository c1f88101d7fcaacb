"""File ▸ Open Recent: the last ten photos opened, kept in ``QSettings``
(``files/recent``), newest first.  A file that has gone is removed from the
list with a message when it is chosen."""
from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMenu, QWidget

__all__ = ["RecentFiles", "RecentMenu", "MAX_RECENT"]

MAX_RECENT = 10
KEY = "files/recent"


class RecentFiles:
    """The list itself (no Qt widgets): ``add``, ``remove``, ``clear``, ``paths``
    (under ``key``: photos by default; Model ▸ Open Recent Model keeps ``models/recent``)."""

    def __init__(self, settings: QSettings, key: str = KEY) -> None:
        self.settings = settings
        self.key = key

    def paths(self) -> list[str]:
        value = self.settings.value(self.key, [])
        if isinstance(value, str):      # an INI file gives back a one-item list as a string
            value = [value] if value else []
        return [str(p) for p in (value or [])][:MAX_RECENT]

    def _store(self, paths: list[str]) -> None:
        self.settings.setValue(self.key, paths[:MAX_RECENT])

    def add(self, path: str) -> None:
        path = os.path.abspath(path)
        self._store([path] + [p for p in self.paths() if p != path])

    def remove(self, path: str) -> None:
        self._store([p for p in self.paths() if p != path])

    def clear(self) -> None:
        self._store([])


class RecentMenu(QMenu):
    """Rebuilt each time it opens.  ``open_path(str)`` opens a file;
    ``tell(title, text)`` reports a file that is gone."""

    def __init__(self, recent: RecentFiles, open_path: Callable[[str], object],
                 tell: Callable[[str, str], object], parent: QWidget | None = None, *,
                 title: str = "Open &Recent", empty: str = "(no recent photos)") -> None:
        super().__init__(title, parent)
        self.recent = recent
        self._empty = empty
        self._open_path = open_path
        self._tell = tell
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        paths = self.recent.paths()
        for number, path in enumerate(paths, start=1):
            label = f"&{number % 10}  {os.path.basename(path)}"
            action = self.addAction(label)
            action.setData(path)
            action.setToolTip(path)
            action.setStatusTip(path)
            action.triggered.connect(lambda _c=False, p=path: self.choose(p))
        if not paths:
            self.addAction(self._empty).setEnabled(False)
            return
        self.addSeparator()
        self.addAction("&Clear Menu").triggered.connect(lambda: (self.recent.clear(), self.rebuild()))

    def choose(self, path: str) -> None:
        if not os.path.isfile(path):
            self.recent.remove(path)
            self.rebuild()
            where = self.title().replace("&", "")
            self._tell("File not found", f"{path} no longer exists; it was removed from {where}.")
            return
        self._open_path(path)
