"""Shared fixtures: the real bundled model (loaded once per session, on the CPU)
and sample photos from scikit-image's data folder."""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import contextlib

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


@contextlib.contextmanager
def torch_threads(n: int):
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture
def one_torch_thread():
    """Tiny tensors: one intra-op thread (two spin badly on a busy 2-core machine).
    Use with ``pytestmark = pytest.mark.usefixtures("one_torch_thread")``."""
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def one_torch_thread_per_module():
    """As ``one_torch_thread``, for modules whose module-scoped fixtures train models."""
    with torch_threads(1):
        yield
