"""GUI fixtures shared by tests/gui and tests/faults/gui (each conftest
imports them): an ``AppContext`` with temporary settings, user data and
caches and the session's model, the status lines it shows, the main window,
a tab, and a check that no test leaves a background thread running."""
from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QSettings, QThreadPool


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def ctx(qapp, settings, lite0, tmp_path, monkeypatch):
    from guiapp.context import AppContext

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))    # the captioning autosave goes here
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    context = AppContext(settings, device="cpu")
    context.model = lite0
    return context


@pytest.fixture
def messages(ctx):
    """Every status line (and dialog text) the window shows, in order."""
    seen: list[str] = []
    ctx.status.connect(lambda text, _ms: seen.append(text))
    return seen


@pytest.fixture(autouse=True)
def no_threads_left_behind(qapp):
    """Fails a test that leaves a background job running.  Cycles are collected on this (the GUI)
    thread between tests and never by a job's thread during one, as the window does
    (guiapp/gui_thread_gc.py says why)."""
    gc.disable()
    yield
    pool = QThreadPool.globalInstance()
    done = pool.waitForDone(10000)
    qapp.processEvents()
    gc.collect()
    gc.enable()
    assert done and pool.activeThreadCount() == 0, "a test left a background job running"


@pytest.fixture
def window(qtbot, ctx):
    """The main window on the test's context (no model loading), shown, that
    closes without asking about unsaved results."""
    from guiapp.main_window import MainWindow

    win = MainWindow(ctx, load_model=False)
    qtbot.addWidget(win)
    win.skip_unsaved_prompt = True
    win.show()
    yield win
    win.close()


@pytest.fixture
def open_tab(qtbot, ctx):
    """``open_tab(TabClass)``: a tab on the test's context, shown; at the end
    of the test it is shut down and must have no job left running."""
    tabs = []

    def make(cls):
        tab = cls(ctx)
        qtbot.addWidget(tab)
        tab.show()
        tabs.append(tab)
        return tab

    yield make
    for tab in tabs:
        tab.shutdown()
        assert not tab.runner.is_running


def type_into(qtbot, picker, text, enter=True):
    """Select all in a class picker, type ``text`` as a user does, then Enter (unless ``enter`` is false)."""
    from PySide6.QtCore import Qt

    edit = picker.lineEdit()
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, text)
    if picker.completer().popup().isVisible():
        picker.completer().popup().hide()
    if enter:
        qtbot.keyClick(edit, Qt.Key.Key_Return)


def use_model(ctx, model):
    """Make ``model`` the window's classifier, as the Model menu does once it has loaded."""
    ctx.model = model
    ctx.model_changed.emit(model)
    return model


def visualize_class(qtbot, tab, index: int = 1, size: int = 32, steps: int = 2) -> None:
    """A short class visualization in a fresh Dreaming tab, through its form and Start, to the end."""
    assert tab.mode_key() == "classviz"
    tab.picker.set_class(index)
    tab.form.widgets["size"].setValue(size)
    tab.form.widgets["steps"].setValue(steps)
    count = tab.history.count()
    assert tab.start(), tab.status.text()
    qtbot.waitUntil(lambda: not tab.runner.is_running and tab.history.count() == count + 1, timeout=60000)


def map_photo(qtbot, tab, path) -> None:
    """Open ``path`` in a Saliency tab (few curve points: the point is the plumbing) and wait for its map."""
    tab.curve_points = 4
    assert tab.open_file(str(path))
    qtbot.waitUntil(lambda: tab.result is not None and not tab.runner.is_running, timeout=60000)
