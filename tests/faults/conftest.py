"""Fixtures of the fault suite: the broken and awkward files, and the
session's model standing in for every default-model load (so a CLI command
does not spend seconds loading the weights again)."""
from __future__ import annotations

import pytest
from badfiles import make_image_files


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    """``{case: path}`` of :func:`badfiles.make_image_files`."""
    return make_image_files(tmp_path_factory.mktemp("bad-images"))


@pytest.fixture
def shared_model(monkeypatch, lite0):
    """``engine.models.load_model()`` of the default model returns the session's
    model; any other name or file still goes through the real loader."""
    import engine.models
    from engine.device import choose_device

    real = engine.models.load_model

    def load(name=None, device=None, **kwargs):
        if name in (None, "efficientnet_lite0") and not kwargs.get("weights_path"):
            choose_device(device)  # an unknown or missing device is still refused
            return lite0
        return real(name, device=device, **kwargs)

    monkeypatch.setattr(engine.models, "load_model", load)
    return lite0


@pytest.fixture(scope="module", autouse=True)
def _one_thread(one_torch_thread_per_module):
    """Every test here runs with one torch thread (see tests/conftest.py)."""
