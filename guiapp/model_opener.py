"""Model ▸ Open Model File…, Open Recent Model, Preprocessing…, Class Names…,
and model files dropped on the window: a user's own model opened through the
context, with what was chosen for that file remembered (``QSettings`` group
``models/files``: its architecture, preprocessing and class names) and reused
the next time it opens, at start-up too.  The first time a file opens whose
preprocessing nothing says (no timm or torchvision defaults, no sidecar, no
input shape in the file), the preprocessing dialog opens by itself; Cancel
keeps the ImageNet defaults and it does not ask again.  A pickled model asks for consent naming the
file (never remembered); several fitting architectures, for a choice.  Each
tab offers the new model's classes and layers itself (its model-change handler)."""
from __future__ import annotations

import json
import os

from PySide6.QtCore import QObject, QUrl
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QWidget

from engine.models.model_file import CodeRefused
from engine.models.preprocessing import Preprocessing
from engine.models.user_model import MODEL_SUFFIXES, SeveralArchitectures

from .model_dialogs import ArchitectureDialog, ClassNamesDialog, PreprocessingDialog, consent_box
from .recent_files import RecentFiles, RecentMenu

__all__ = ["ModelOpener", "is_model_file", "FILE_FILTER"]

FILE_FILTER = f"Model files ({' '.join('*' + s for s in MODEL_SUFFIXES)});;All files (*)"
GROUP = "models/files"


def is_model_file(path: str) -> bool:
    return path.lower().endswith(MODEL_SUFFIXES)


def _key(path: str) -> str:
    return os.path.abspath(path).replace("\\", "/").replace("/", "|")


class ModelOpener(QObject):
    """Opens model files for the window (``window.ctx`` loads them)."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.ctx = window.ctx
        self.settings = window.settings
        self.recent = RecentFiles(self.settings, key="models/recent")
        self.last_dialog: QWidget | None = None
        self.ctx.options_for = self.remembered
        self.ctx.model_refused.connect(self._on_refused)
        self.ctx.model_changed.connect(self._on_model_changed)

    # -- remembered choices ---------------------------------------------------
    def _saved(self, path: str) -> dict:
        raw = self.settings.value(f"{GROUP}/{_key(path)}", "", type=str)
        try:
            saved = json.loads(raw) if raw else {}
        except ValueError:
            saved = {}
        return saved if isinstance(saved, dict) else {}

    def remembered(self, path: str) -> dict:
        """The options chosen for ``path`` before (``arch``, ``preprocessing``, ``labels``)."""
        saved = self._saved(path)
        options = {}
        if saved.get("arch"):
            options["arch"] = str(saved["arch"])
        if isinstance(saved.get("labels"), list) and saved["labels"]:
            options["labels"] = [str(name) for name in saved["labels"]]
        if isinstance(saved.get("preprocessing"), dict):
            try:
                options["preprocessing"] = Preprocessing(**saved["preprocessing"])
            except (TypeError, ValueError):
                pass
        return options

    def remember(self, path: str, **changes) -> None:
        """Keep ``changes`` for ``path`` (a value ``None``: forget that one)."""
        saved = {**self._saved(path), **changes}
        if isinstance(saved.get("preprocessing"), Preprocessing):
            saved["preprocessing"] = saved["preprocessing"].as_dict()
        self.settings.setValue(f"{GROUP}/{_key(path)}", json.dumps({k: v for k, v in saved.items() if v is not None}))

    # -- menu -----------------------------------------------------------------
    def add_actions(self, menu: QMenu) -> None:
        menu.addAction("&Open Model File…").triggered.connect(self.choose_file)
        self.recent_menu = RecentMenu(self.recent, self.open, self._tell, menu, title="Open &Recent Model",
                                      empty="(no recent models)")
        menu.addMenu(self.recent_menu)
        self.preprocessing_action = menu.addAction("&Preprocessing…")
        self.preprocessing_action.triggered.connect(lambda: self.edit_preprocessing())
        self.class_names_action = menu.addAction("&Class Names…")
        self.class_names_action.triggered.connect(self.edit_class_names)
        self._update_actions()

    def _update_actions(self) -> None:
        """Preprocessing and class names are a model file's to set (the bundled networks' are fixed)."""
        user_model = self.ctx.model is not None and getattr(self.ctx.model, "source", None) is not None
        for action in (getattr(self, "preprocessing_action", None), getattr(self, "class_names_action", None)):
            if action is not None:
                action.setEnabled(user_model)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open model file", self.ctx.last_folder, FILE_FILTER)
        if path:
            self.ctx.last_folder = os.path.dirname(path)
            self.open(path)

    def open(self, path: str, **options) -> None:
        """Load ``path`` with its remembered options (then ``options``)."""
        self.ctx.load_model(path, **{**self.remembered(path), **options})

    def open_dropped(self, urls: list[QUrl]) -> bool:
        """Open the first model file among dropped ``urls``; whether there was one."""
        paths = [u.toLocalFile() for u in urls if u.isLocalFile() and is_model_file(u.toLocalFile())]
        if paths:
            self.open(paths[0])
        return bool(paths)

    def _tell(self, title: str, text: str) -> None:
        self.ctx.error(title, text)

    # -- answers to the context ---------------------------------------------
    def _on_model_changed(self, model) -> None:
        source = getattr(model, "source", None)
        if source is not None:
            self.recent.add(source.path)
        self._update_actions()
        if source is not None and not source.preprocessing_from and not self._saved(source.path).get("asked"):
            self.edit_preprocessing(first=True)   # nothing said how to feed it: ask once

    def _on_refused(self, path: str, exc: BaseException, options: dict) -> None:
        if isinstance(exc, CodeRefused):
            box = consent_box(self.window, path)

            def answered(_button=None) -> None:
                if box.buttonRole(box.clickedButton()) == QMessageBox.ButtonRole.AcceptRole:
                    self.ctx.load_model(path, **{**options, "trust_code": True})
                else:
                    self._not_opened(path, "its code was not run")
            box.buttonClicked.connect(answered)
            self._show(box)
        elif isinstance(exc, SeveralArchitectures):
            dialog = ArchitectureDialog(path, exc.choices, self.window)

            def chosen() -> None:
                self.remember(path, arch=dialog.choice())
                self.ctx.load_model(path, **{**options, "arch": dialog.choice()})
            dialog.accepted.connect(chosen)
            dialog.rejected.connect(lambda: self._not_opened(path, "no architecture chosen"))
            self._show(dialog)

    def _not_opened(self, path: str, why: str) -> None:
        """The user said no: the model loaded before stays (the status bar says which)."""
        current = getattr(self.ctx.model, "name", None)
        self.ctx.show_status(f"{os.path.basename(path)} not opened ({why})"
                             + (f"; still {current}" if current else ""), 8000)
        self.ctx.model_failed.emit(f"{path}: {why}")
        self.ctx.load_default_if_none(path)

    def edit_preprocessing(self, first: bool = False) -> None:
        """Model ▸ Preprocessing… (``first``: opened by itself for a file whose
        preprocessing nothing says; Cancel keeps the defaults, and it is not asked again)."""
        source = getattr(self.ctx.model, "source", None)
        if source is None:
            return
        name = os.path.basename(source.path)
        note = (f"Nothing says how pictures were prepared for {name} (no timm or torchvision defaults, no "
                f"{os.path.splitext(name)[0]}.json beside it, no input shape in the file). Choose a preset, or "
                "Cancel to keep the values shown.") if first else ""
        dialog = PreprocessingDialog(source.preprocessing, name, self.window, note=note)
        if first:
            self.remember(source.path, asked=True)
        dialog.accepted.connect(lambda: self._reopen(source, preprocessing=dialog.result_value))
        self._show(dialog)

    def edit_class_names(self) -> None:
        """Model ▸ Class Names…: typed or loaded from a labels file, remembered for the file."""
        model = self.ctx.model
        source = getattr(model, "source", None)
        if source is None:
            return
        dialog = ClassNamesDialog(list(model.labels), os.path.basename(source.path), source.labels_from, self.window)
        dialog.accepted.connect(lambda: self._reopen(source, labels=dialog.result_value))
        self._show(dialog)

    def _reopen(self, source, **changes) -> None:
        """Remember ``changes`` for the file and open it again with them (a pickle: consent was given)."""
        self.remember(source.path, **changes)
        self.open(source.path, **({"trust_code": True} if source.kind == "pickled model" else {}))

    def _show(self, dialog: QWidget) -> None:
        self.last_dialog = dialog
        dialog.open()
