"""Before the window: can Qt's X11 (xcb) platform plugin load here?

On a fresh Linux desktop the PySide6 wheel's ``libqxcb.so`` often misses a
few small system libraries (``libxcb-cursor0``, ``libxcb-icccm4``,
``libxcb-keysyms1`` …) and Qt aborts with a long message about platform
plugins.  :func:`platform_problem` asks ``ldd`` which libraries the plugin
cannot find and returns one paragraph that names them and the command that
installs them, so the application can print it and exit non-zero instead.

No QApplication is created here (that is what would abort); only QtCore is
imported, to find the plugin folder.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

__all__ = ["APT_PACKAGES", "apt_install_line", "debian_package", "missing_libraries", "needs_xcb",
           "platform_problem", "xcb_plugin_path"]

#: What the xcb plugin needs beyond a base system, as Debian/Ubuntu packages
#: (the README's install line; the start-up message names the missing ones).
APT_PACKAGES = ("libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxcb-image0", "libxcb-render-util0",
                "libxcb-randr0", "libxcb-shape0", "libxcb-xfixes0", "libxcb-xkb1", "libxkbcommon-x11-0",
                "libx11-xcb1", "libegl1", "libgl1", "libfontconfig1", "libdbus-1-3")

#: sonames whose Debian package is not simply the soname's stem plus its number
_SPECIAL = {"libX11-xcb.so.1": "libx11-xcb1", "libX11.so.6": "libx11-6", "libGL.so.1": "libgl1",
            "libEGL.so.1": "libegl1", "libOpenGL.so.0": "libopengl0", "libglib-2.0.so.0": "libglib2.0-0",
            "libgthread-2.0.so.0": "libglib2.0-0", "libdbus-1.so.3": "libdbus-1-3", "libSM.so.6": "libsm6",
            "libICE.so.6": "libice6", "libfreetype.so.6": "libfreetype6"}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def debian_package(soname: str) -> str:
    """The Debian package that ships ``soname``: ``libxcb-icccm.so.4`` ->
    ``libxcb-icccm4``, ``libxkbcommon-x11.so.0`` -> ``libxkbcommon-x11-0``
    (Debian's rule: a dash before the number when the name ends in a digit)."""
    if soname in _SPECIAL:
        return _SPECIAL[soname]
    match = re.fullmatch(r"(lib.+?)\.so\.(\d+)(?:\.\d+)*", soname)
    if match is None:
        return soname
    stem, number = match.group(1).lower(), match.group(2)
    return f"{stem}-{number}" if stem[-1].isdigit() else f"{stem}{number}"


def apt_install_line(packages=APT_PACKAGES) -> str:
    return "sudo apt-get install " + " ".join(packages)


def xcb_plugin_path() -> Path | None:
    """PySide6's ``platforms/libqxcb.so``, or ``None`` where there is none."""
    try:
        from PySide6.QtCore import QLibraryInfo
    except ImportError:
        return None
    plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / "libqxcb.so"
    return plugin if plugin.exists() else None


def run_ldd(path: Path) -> str:
    """``ldd path``'s output ("" when ldd is not there or fails)."""
    try:
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout


def missing_libraries(ldd_output: str) -> list[str]:
    """The sonames ``ldd`` reports as ``not found``, in order, once each."""
    return list(dict.fromkeys(_NOT_FOUND.findall(ldd_output)))


def needs_xcb(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt will use its xcb plugin: on Linux, when ``QT_QPA_PLATFORM``
    asks for xcb, or names nothing and an X display (and no Wayland one) is
    there.  ``offscreen``, ``wayland``, ``vnc`` … do not need it; without any
    display Qt says so itself."""
    if not platform.startswith("linux"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "").strip()
    if chosen:
        return chosen.split(";")[0].split(":")[0] == "xcb"
    if environ.get("WAYLAND_DISPLAY") and environ.get("XDG_SESSION_TYPE", "wayland") == "wayland":
        return False
    return bool(environ.get("DISPLAY"))


def platform_problem(environ: Mapping[str, str] = os.environ, platform: str = sys.platform,
                     ldd: Callable[[Path], str] | None = None, plugin: Path | None = None) -> str | None:
    """One paragraph saying which system libraries the xcb plugin lacks and
    how to install them, or ``None`` when there is nothing to say.  ``ldd``
    (default :func:`run_ldd`) gives ``ldd``'s output for the plugin."""
    if not needs_xcb(environ, platform):
        return None
    plugin = plugin or xcb_plugin_path()
    if plugin is None:
        return None
    missing = missing_libraries((ldd or run_ldd)(plugin))
    if not missing:
        return None
    packages = list(dict.fromkeys(debian_package(name) for name in missing))
    return (f"Neural Lens cannot open its window: Qt's X11 platform plugin ({plugin.name}) needs "
            f"{len(missing)} system librar{'y' if len(missing) == 1 else 'ies'} that "
            f"{'is' if len(missing) == 1 else 'are'} not installed: {', '.join(missing)}. "
            f"On Debian or Ubuntu install {'it' if len(packages) == 1 else 'them'} with\n\n"
            f"    {apt_install_line(packages)}\n\n"
            f"(or everything the plugin may need: {apt_install_line()}), then start Neural Lens again. "
            "The command line works without them (neural-lens --help).")
