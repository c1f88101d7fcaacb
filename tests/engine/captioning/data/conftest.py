"""Fixtures of the dataset tests: one torch thread (the machine is shared)
and a private feature cache folder per test."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_torch_thread):
    """Every test here runs with one torch thread (see tests/conftest.py)."""


@pytest.fixture(autouse=True)
def cache_home(tmp_path, monkeypatch):
    """``$XDG_CACHE_HOME`` in the test's temporary folder; returns the captioning cache folder."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "neural-lens" / "captioning"
