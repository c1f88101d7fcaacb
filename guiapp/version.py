"""The versions Neural Lens reports (``--version``, Help ▸ About), read from
the installed packages' metadata: nothing heavy (no torch) is imported."""
from __future__ import annotations

import platform
from importlib import metadata

__all__ = ["app_version", "package_version", "version_lines"]


def package_version(*names: str) -> str:
    """The version of the first installed distribution among ``names``."""
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def app_version() -> str:
    return package_version("neural-lens")


def version_lines() -> list[tuple[str, str]]:
    """``(what, version)`` for the application and what it runs on."""
    return [("Neural Lens", app_version()),
            ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
            ("PySide6", package_version("PySide6-Essentials", "PySide6")),
            ("torch", package_version("torch")),
            ("torchvision", package_version("torchvision"))]
