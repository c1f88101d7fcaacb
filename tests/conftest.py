"""Shared fixtures: the real bundled model (loaded once per session, on the CPU)
and sample photos from scikit-image's data folder."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(scope="session")
def lite0():
    from engine.models import load_model

    return load_model(device="cpu")


@pytest.fixture(scope="session")
def photo_dir() -> Path:
    import skimage.data

    return Path(skimage.data.__file__).parent


@pytest.fixture(scope="session")
def photo(photo_dir):
    """``photo('chelsea.png')`` -> uint8 HxWx3 array."""
    from engine.imaging import load_image

    def read(name: str):
        return load_image(photo_dir / name)

    return read
