"""GUI fixtures: an ``AppContext`` with temporary settings and the real model,
and a check that no test leaves a background thread running."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QThreadPool


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def ctx(qapp, settings, lite0):
    from guiapp.context import AppContext

    context = AppContext(settings, device="cpu")
    context.model = lite0
    return context


@pytest.fixture(autouse=True)
def no_threads_left_behind(qapp):
    yield
    pool = QThreadPool.globalInstance()
    done = pool.waitForDone(10000)
    qapp.processEvents()
    assert done and pool.activeThreadCount() == 0, "a test left a background job running"
