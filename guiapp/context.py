"""``AppContext``: what every tab shares — the current model (loaded in the
background), the compute device, settings and the status line."""
from __future__ import annotations

import logging
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget
from superqt.utils import create_worker

from engine.device import choose_device, describe_device
from engine.models import DEFAULT_MODEL, Classifier, load_model
from engine.models.model_file import CodeRefused
from engine.models.registry import is_model_path
from engine.models.user_model import SeveralArchitectures

__all__ = ["AppContext"]

log = logging.getLogger(__name__)


class AppContext(QObject):
    """Shared state of the window.

    Signals: ``model_changed(object)`` with the new :class:`Classifier`,
    ``model_loading(str)`` when a load starts, ``model_failed(str)``,
    ``status(str, int)`` for the status bar, ``model_refused(str, object, dict)``
    (file, exception, options) when a model file needs the user's consent or
    choice (:mod:`guiapp.model_opener` answers it).
    """

    model_changed = Signal(object)
    model_loading = Signal(str)
    model_failed = Signal(str)
    status = Signal(str, int)
    model_refused = Signal(str, object, dict)

    def __init__(self, settings: QSettings, device: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.device = choose_device(device)
        self.model: Classifier | None = None
        self.model_load_seconds: float | None = None
        self.window: QWidget | None = None
        self._loader = None
        self._loading_name: str | None = None
        self.last_dialog: QMessageBox | None = None
        self.options_for = None  # path -> remembered options of a model file (set by the window's ModelOpener)

    # -- model --------------------------------------------------------------
    @property
    def device_description(self) -> str:
        return describe_device(self.device)

    @property
    def is_loading(self) -> bool:
        return self._loader is not None

    def load_model(self, name: str | None = None, weights_path: str | None = None, **options) -> None:
        """Load a model in the background; ``model_changed`` fires when ready.
        ``options`` for a model file (:func:`engine.models.load_model`); without
        any, those remembered for the file (``options_for``) apply."""
        name = name or DEFAULT_MODEL
        if not options and self.options_for is not None and is_model_path(name):
            options = self.options_for(name)
        if self._loader is not None:
            self.show_status(f"Still loading {self._loading_name}…", 3000)
            return
        self._loading_name = name
        self.model_loading.emit(name)
        self.show_status(f"Loading {name} on {self.device_description}…")
        started = time.monotonic()
        # errors go to on_errored (a dialog); without _ignore_errors superqt also re-raises them in the
        # GUI thread, a traceback for every bad weight file
        worker = create_worker(load_model, name, self.device, weights_path=weights_path, **options, _start_thread=False,
                               _ignore_errors=True)

        def release() -> None:
            # before the signals go out: a slot may load another model at once (the worker's
            # `finished` comes later, and must not clear a newer load)
            if self._loader is worker:
                self._loader = None
                self._loading_name = None

        def on_returned(model: Classifier) -> None:
            release()
            self.model_load_seconds = time.monotonic() - started
            self.model = model
            self.settings.setValue("model/name", name)
            self.show_status(f"Model ready: {model.description} on {self.device_description} ({self.model_load_seconds:.1f} s)", 8000)  # noqa: E501
            self.model_changed.emit(model)

        def on_errored(exc: BaseException) -> None:
            release()
            if isinstance(exc, (CodeRefused, SeveralArchitectures)) and self.options_for is not None:
                self.show_status(f"{name}: waiting for your answer", 8000)
                self.model_refused.emit(name, exc, options)
                return
            self.show_status(f"Could not load {name}", 8000)
            self.model_failed.emit(str(exc))
            self.error("Model not loaded", str(exc))
            self.load_default_if_none(name)

        worker.returned.connect(on_returned)
        worker.errored.connect(on_errored)
        worker.finished.connect(release)
        self._loader = worker
        worker.start()

    def load_default_if_none(self, failed: str) -> None:
        """With no model at all (the one remembered at start-up would not open), the bundled default."""
        if self.model is None and failed != DEFAULT_MODEL:
            self.load_model(DEFAULT_MODEL)

    # -- messages ------------------------------------------------------------
    def show_status(self, text: str, msecs: int = 0) -> None:
        log.info(text)
        self.status.emit(text, msecs)

    def error(self, title: str, text: str) -> None:
        """Tell the user something went wrong (a dialog in the window, a
        status line when there is no window, e.g. in tests)."""
        self.status.emit(f"{title}: {text}", 10000)
        if self.window is not None and self.window.isVisible():
            box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.window)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()  # window-modal but non-blocking: a running job keeps streaming
            self.last_dialog = box

    # -- settings ------------------------------------------------------------
    @property
    def last_folder(self) -> str:
        folder = self.settings.value("paths/last_folder", "", type=str)
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    @last_folder.setter
    def last_folder(self, folder: str) -> None:
        self.settings.setValue("paths/last_folder", str(folder))
