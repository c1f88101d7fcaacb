"""Start-up on a Linux without the Qt xcb plugin's libraries: one clear
paragraph naming the missing libraries and the install command, and a
non-zero exit, instead of Qt's abort (issue #12, item 1)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from guiapp.platform_check import APT_PACKAGES, debian_package, missing_libraries, needs_xcb, platform_problem, xcb_plugin_path

ROOT = Path(__file__).resolve().parents[1]

LDD_WITHOUT_TWO = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007fa9)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007fa9)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibxcb-icccm.so.4 => not found
"""


def test_debian_package_names_follow_the_soname():
    assert debian_package("libxcb-cursor.so.0") == "libxcb-cursor0"
    assert debian_package("libxcb-icccm.so.4") == "libxcb-icccm4"
    assert debian_package("libxcb-keysyms.so.1") == "libxcb-keysyms1"
    assert debian_package("libxcb-render-util.so.0") == "libxcb-render-util0"
    assert debian_package("libxkbcommon-x11.so.0") == "libxkbcommon-x11-0"   # a dash after a digit
    assert debian_package("libX11-xcb.so.1") == "libx11-xcb1"
    assert debian_package("libdbus-1.so.3") == "libdbus-1-3"
    assert {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"} <= set(APT_PACKAGES)


def test_missing_libraries_are_read_from_ldd_once_each():
    assert missing_libraries(LDD_WITHOUT_TWO) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0"]
    assert missing_libraries("\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n") == []


@pytest.mark.parametrize("environ, platform, expected", [
    ({"DISPLAY": ":0"}, "linux", True),
    ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
    ({"QT_QPA_PLATFORM": "xcb"}, "linux", True),
    ({"QT_QPA_PLATFORM": "xcb:some-option"}, "linux", True),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"}, "linux", False),
    ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_SESSION_TYPE": "wayland"}, "linux", False),
    ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}, "linux", True),
    ({}, "linux", False),                           # no display at all: Qt says so itself
    ({"DISPLAY": ":0"}, "darwin", False),
    ({"DISPLAY": ":0"}, "win32", False),
])
def test_the_check_runs_only_where_qt_will_use_xcb(environ, platform, expected):
    assert needs_xcb(environ, platform) is expected


def test_the_paragraph_names_the_libraries_and_the_command(tmp_path):
    plugin = tmp_path / "libqxcb.so"
    text = platform_problem({"DISPLAY": ":0"}, "linux", ldd=lambda _p: LDD_WITHOUT_TWO, plugin=plugin)
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1, libxkbcommon-x11.so.0" in text
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0\n" in text
    assert "libqxcb.so" in text and "3 system libraries" in text
    assert platform_problem({"DISPLAY": ":0"}, "linux", ldd=lambda _p: "", plugin=plugin) is None
    asked = []
    assert platform_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", ldd=asked.append, plugin=plugin) is None
    assert asked == []   # offscreen: ldd is not even run


def test_the_plugin_is_found_in_pyside6():
    """PySide6's Linux wheels ship the xcb plugin; the macOS and Windows wheels do not."""
    path = xcb_plugin_path()
    if sys.platform.startswith("linux"):
        assert path is not None and path.name == "libqxcb.so" and "PySide6" in str(path) and path.is_file()
    else:
        assert path is None


def test_the_plugin_path_is_none_where_the_file_is_missing(monkeypatch, tmp_path):
    from PySide6.QtCore import QLibraryInfo

    monkeypatch.setattr(QLibraryInfo, "path", staticmethod(lambda _which: str(tmp_path)))
    assert xcb_plugin_path() is None
    (tmp_path / "platforms").mkdir()
    (tmp_path / "platforms" / "libqxcb.so").write_bytes(b"")
    assert xcb_plugin_path() == tmp_path / "platforms" / "libqxcb.so"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the xcb plugin is Linux's")
def test_start_up_without_the_libraries_prints_the_paragraph_and_exits_non_zero(tmp_path):
    """The real entry point, with an ``ldd`` on PATH that reports two libraries missing."""
    fake = tmp_path / "bin" / "ldd"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nprintf '\\tlibxcb-icccm.so.4 => not found\\n\\tlibxcb-keysyms.so.1 => not found\\n'\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env.update(DISPLAY=":99", PATH=f"{fake.parent}{os.pathsep}{env.get('PATH', '')}")
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "photo.jpg"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in done.stderr
    assert "sudo apt-get install libxcb-icccm4 libxcb-keysyms1" in done.stderr
    assert "qt.qpa" not in done.stderr and "Aborted" not in done.stderr   # Qt never tried
