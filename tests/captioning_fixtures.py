"""Captioning tab fixtures and helpers shared by tests/gui/test_captioning*.py
and tests/gui/captioning/: the tab on a temporary autosave path (features
cached once per module), loading the built-in scenes through the Data page,
setting the Train page's fields, dropping a file."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


@pytest.fixture(scope="module")
def feature_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("feature-cache")


@pytest.fixture
def tab(qtbot, ctx, tmp_path, feature_cache, monkeypatch):
    from guiapp.tabs.captioning_tab import CaptioningTab

    monkeypatch.setenv("XDG_CACHE_HOME", str(feature_cache))   # features computed once per module
    widget = CaptioningTab(ctx, autosave_path=tmp_path / "autosave" / "autosave.pt")
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    yield widget
    widget.shutdown()
    assert not any(p.runner.is_running for p in (widget.data_panel, widget.train_panel, widget.caption_panel,
                                                 widget.gradcheck_panel))


def load_data(qtbot, tab, n_train=60):
    options = tab.data_panel.pages.currentWidget()
    options.n_train.setValue(n_train)
    options.image_size.setValue(64)
    with qtbot.waitSignal(tab.session.data_changed, timeout=60000):
        qtbot.mouseClick(tab.data_panel.load_button, Qt.MouseButton.LeftButton)
    return tab.session.data


def configure(panel, *, cell="lstm", hidden=32, wordvec=16, lr=1e-2, decay=1.0, batch=20, epochs=8):
    panel.cell.setCurrentIndex(panel.cell.findData(cell))
    panel.hidden.setValue(hidden)
    panel.wordvec.setValue(wordvec)
    panel.lr.setValue(lr)
    panel.decay.setValue(decay)
    panel.batch.setValue(batch)
    panel.epochs.setValue(epochs)


def drop_file(widget, path):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(event)
    return event
