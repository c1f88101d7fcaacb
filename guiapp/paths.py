"""Where the window keeps what it makes for the user outside any folder the
user chose (the shape scenes written for the folder report, and its reports
of the ready-made folders)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths

__all__ = ["user_data_path"]


def user_data_path(*parts: str) -> Path:
    """``<user data folder>/parts…``: Qt's per-user application data folder (``$XDG_DATA_HOME`` or
    ``~/.local/share/...`` on Linux, ``%APPDATA%`` on Windows, ``~/Library/Application Support`` on
    macOS), else ``platformdirs``' user data folder."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if not base:
        import platformdirs

        base = platformdirs.user_data_dir("neural-lens", appauthor=False)
    return Path(base).joinpath(*parts)
