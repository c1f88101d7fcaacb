"""The captioning autosave lives in the per-user data folder (Qt's, else platformdirs')."""
from __future__ import annotations

from pathlib import Path

import platformdirs
from PySide6.QtCore import QStandardPaths

from guiapp.captioning import session


def test_autosave_in_qt_app_data_folder(monkeypatch, tmp_path):
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda kind: str(tmp_path / "qt data"))
    assert session.default_autosave_path() == tmp_path / "qt data" / "captioning" / "autosave.pt"


def test_autosave_falls_back_to_platformdirs(monkeypatch, tmp_path):
    monkeypatch.setattr(QStandardPaths, "writableLocation", lambda kind: "")
    monkeypatch.setattr(platformdirs, "user_data_dir", lambda appname, *a, **k: str(tmp_path / "données" / appname))
    path = session.default_autosave_path()
    assert path == tmp_path / "données" / "neural-lens" / "captioning" / "autosave.pt"
    assert Path.home() / ".local" not in path.parents
