"""The main window: four workbench tabs, menus, a model chooser and the status bar."""
from __future__ import annotations

import importlib
import logging
import os
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QStackedWidget, QTabWidget, QWidget

from .file_types import IMAGE_FILTER
from .icon import app_icon
from .recent_files import RecentFiles, RecentMenu
from .samples import SampleMenu
from .view_menu import ViewMenu
from .workbench import Workbench

if TYPE_CHECKING:  # the window frame must not import torch: it shows before torch loads
    from .context import AppContext

__all__ = ["MainWindow", "TAB_SPECS", "IMAGE_FILTER"]

log = logging.getLogger(__name__)

#: (tab title, module, class) in the order the tabs appear.
TAB_SPECS = (
    ("Captioning", "guiapp.tabs.captioning_tab", "CaptioningTab"),
    ("Saliency", "guiapp.tabs.saliency_tab", "SaliencyTab"),
    ("Fooling", "guiapp.tabs.fooling_tab", "FoolingTab"),
    ("Dreaming", "guiapp.tabs.dreaming_tab", "DreamingTab"),
    ("Layers", "guiapp.tabs.layers_tab", "LayersTab"),
)
#: the window's first size: fits a 1366x768 screen (with its panel) and leaves room on larger ones
DEFAULT_SIZE = (1280, 720)


class MainWindow(QMainWindow):
    """The window.  ``MainWindow(ctx)`` builds everything at once (tests);
    the application builds the frame first (``MainWindow(settings=...)``),
    shows it, then calls :meth:`attach` with the context, so the window is
    on screen before PyTorch and the tabs are imported."""

    def __init__(self, ctx: AppContext | None = None, *, settings=None, load_model: bool = True) -> None:
        super().__init__()
        self.ctx: AppContext | None = None
        self.settings = settings if settings is not None else ctx.settings
        self.created_at = time.monotonic()
        self.setWindowTitle("Neural Lens")
        self.setWindowIcon(app_icon())
        self.recent = RecentFiles(self.settings)
        self.image_sync = None
        self.recipe_opener = None   # made on first use (guiapp/recipe_open.py)
        self.setAcceptDrops(True)  # a file dropped anywhere goes to the current tab
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self._starting = QLabel("Starting Neural Lens…\nloading PyTorch and the workbenches")
        self._starting.setObjectName("dropHint")
        self._starting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._stack = QStackedWidget()
        self._stack.addWidget(self._starting)
        self._stack.addWidget(self.tabs)
        self.setCentralWidget(self._stack)
        self.tab_widgets: dict[str, Workbench] = {}
        self._build_menus()
        self._build_status_bar()
        self._restore_geometry()
        if ctx is not None:
            self.attach(ctx, load_model=load_model)

    def attach(self, ctx: AppContext, *, load_model: bool = True) -> None:
        """Create the tabs and start loading the model (in the background)."""
        self.ctx = ctx
        ctx.window = self
        for title, module, cls in TAB_SPECS:
            tab = self._make_tab(module, cls)
            if tab is not None:
                self.tab_widgets[title] = tab
                self.tabs.addTab(tab, title)
                if tab.menu is not None:   # a tab's own menu (Layers ▸ Index a Folder…), before Help
                    self.menuBar().insertMenu(self.help_menu.menuAction(), tab.menu)
        self._stack.setCurrentWidget(self.tabs)
        from .image_sync import ImageSync

        self.image_sync = ImageSync(self.tabs, self.tab_widgets, ctx, parent=self)
        self.image_sync.opened.connect(self.recent.add)
        from .widgets.image_panel import ImagePanel

        for panel in self.tabs.findChildren(ImagePanel):   # a result dropped on a photo panel asks too
            panel.drop_handler = lambda panel, path: self._recipe_opener().dropped_on(panel, path)
        from .model_opener import ModelOpener

        self.model_opener = ModelOpener(self)
        self._fill_model_menu()
        ctx.model_changed.connect(self._on_model_changed)
        ctx.model_loading.connect(self._on_model_loading)
        ctx.model_failed.connect(lambda _m: self._show_model())   # the model loaded before still runs
        ctx.status.connect(self._show_status)
        index = self.settings.value("window/tab", 0, type=int)
        if 0 <= index < self.tabs.count():
            self.tabs.setCurrentIndex(index)
        if load_model:
            QTimer.singleShot(0, lambda: ctx.load_model(self.settings.value("model/name", None, type=str) or None))

    def _make_tab(self, module_name: str, cls_name: str) -> QWidget | None:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # this workbench is not part of this build yet
                return None
            raise
        return getattr(module, cls_name)(self.ctx)

    # -- menus ---------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open Image…", self, shortcut=QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_image_dialog)
        file_menu.addAction(self.open_action)
        self.recent_menu = RecentMenu(self.recent, self.open_path, self._tell, self)
        file_menu.addMenu(self.recent_menu)
        self.sample_menu = SampleMenu(self.open_path, self)
        file_menu.addMenu(self.sample_menu)
        file_menu.addSeparator()
        self.save_action = QAction("&Save Result…", self, shortcut=QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self.save_current)
        file_menu.addAction(self.save_action)
        self.copy_recipe_action = QAction("Copy Recipe as &Command Line", self)
        self.copy_recipe_action.setToolTip("The neural-lens-cli command that makes the current result again")
        self.copy_recipe_action.triggered.connect(self.copy_recipe_command)
        file_menu.addAction(self.copy_recipe_action)
        self.run_again_action = QAction("&Run Recipe Again", self)
        self.run_again_action.setToolTip("Make the current result again from its recipe and compare the pixels")
        self.run_again_action.triggered.connect(self.run_recipe_again)
        file_menu.addAction(self.run_again_action)
        file_menu.addSeparator()
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        self.view_menu = ViewMenu(self.settings, self)
        self.menuBar().addMenu(self.view_menu)
        self._build_run_menu()
        self.model_menu = self.menuBar().addMenu("&Model")
        self.model_group = QActionGroup(self)
        self.model_group.setExclusive(True)

        self.help_menu = self.menuBar().addMenu("&Help")
        self.about_action = QAction("&About Neural Lens", self)
        self.about_action.triggered.connect(self.show_about)
        self.help_menu.addAction(self.about_action)

    def _build_run_menu(self) -> None:
        """Run ▸ Start / Stop: the current tab's job (its start button; every running job)."""
        from .tab_job import START_KEY, STOP_KEY

        run_menu = self.menuBar().addMenu("&Run")
        self.start_action = QAction("&Start", self, shortcut=QKeySequence(START_KEY))
        self.start_action.triggered.connect(lambda: self._on_current_tab("start_job", "Nothing to start here."))
        self.stop_action = QAction("S&top", self, shortcut=QKeySequence(STOP_KEY))
        self.stop_action.triggered.connect(lambda: self._on_current_tab("stop_job", "Nothing is running here."))
        run_menu.addAction(self.start_action)
        run_menu.addAction(self.stop_action)

    def _on_current_tab(self, method: str, otherwise: str) -> None:
        tab = self.current_tab()
        if isinstance(tab, Workbench) and getattr(tab, method)():
            return
        if self.ctx is not None:
            self.ctx.show_status(otherwise, 3000)

    def _fill_model_menu(self) -> None:
        from engine.models import list_models

        self.model_menu.clear()
        for info in list_models():
            action = QAction(info.description, self, checkable=True)
            action.setData(info.name)
            action.triggered.connect(lambda _c=False, name=info.name, path=info.path: self.ctx.load_model(name, path))
            self.model_group.addAction(action)
            self.model_menu.addAction(action)
        self.model_menu.addSeparator()
        self.model_opener.add_actions(self.model_menu)  # a model file of the user's own (and torchvision's)

    def _build_status_bar(self) -> None:
        self._model_label = QLabel("Starting…")
        self._model_label.setObjectName("modelLabel")
        self.statusBar().addPermanentWidget(self._model_label)

    def _show_status(self, text: str, msecs: int) -> None:
        self.statusBar().showMessage(text, msecs)

    def _on_model_loading(self, name: str) -> None:
        self._model_label.setText(f"Model: loading {name}…")

    def _show_model(self) -> None:
        model = self.ctx.model
        self._model_label.setText("Model: not loaded" if model is None
                                  else f"Model: {model.name} · {self.ctx.device_description}")

    def _on_model_changed(self, model) -> None:
        self._show_model()
        for action in self.model_group.actions():
            action.setChecked(action.data() == model.name)

    # -- actions -------------------------------------------------------------
    def current_tab(self) -> QWidget | None:
        return self.tabs.currentWidget()

    def copy_recipe_command(self) -> str | None:
        """File ▸ Copy Recipe as Command Line: the current tab's result as a
        ``neural-lens-cli`` command on the clipboard (or the status bar says why not)."""
        from .recipes import copy_command

        tab = self.current_tab()
        return copy_command(self.ctx, tab.recipe_command if isinstance(tab, Workbench) else lambda: None)

    def run_recipe_again(self) -> bool:
        """File ▸ Run Recipe Again: the current tab's result replayed from its recipe."""
        from .recipe_open import run_again

        tab = self.current_tab()
        if not isinstance(tab, Workbench) or getattr(tab, "recipes", None) is None:
            self.ctx.show_status("Nothing to run again: this tab makes no pictures with recipes.", 5000)
            return False
        return run_again(tab)

    def _image_tab(self) -> Workbench | None:
        """The tab a photo opens in: the current one, or the first that takes photos."""
        tab = self.current_tab()
        if isinstance(tab, Workbench) and tab.takes_images:
            return tab
        return next((t for t in self.tab_widgets.values() if t.takes_images), None)

    def open_path(self, path: str) -> bool:
        """Open a file (File ▸ Open, Open Recent, Open Sample, a drop, the command
        line): a Neural Lens result with a recipe offers to open its recipe
        (guiapp/recipe_open.py), anything else opens as a photo."""
        if self.ctx is None:
            return False
        return self._recipe_opener().open(path)

    def _recipe_opener(self):
        from .recipe_open import RecipeOpener, tab_title

        if self.recipe_opener is None:
            self.recipe_opener = RecipeOpener(self, self.open_photo,
                                              lambda recipe: self.tab_widgets.get(tab_title(recipe)))
        return self.recipe_opener

    def open_photo(self, path: str) -> bool:
        """Open a photo as the current image of every tab; a bad file gets a message."""
        tab = self._image_tab() if self.ctx is not None else None
        if tab is None:
            return False
        return bool(tab.open_file(path))

    def open_paths(self, paths: list[str]) -> bool:
        """The command line's photos: the first that opens is the current image (a file that does not
        gets its message), the ones after it wait in File ▸ Open Recent.  A window that would show the
        photo on a tab that could not do anything with it yet (Captioning without a captioner) shows it on
        the first tab that can (Saliency: its classes and map at once)."""
        current = self.current_tab()
        if paths and isinstance(current, Workbench) and not current.uses_photo_now():
            ready = next((t for t in self.tab_widgets.values() if t.takes_images and t.uses_photo_now()), None)
            if ready is not None:
                self.tabs.setCurrentWidget(ready)
        for k, path in enumerate(paths):
            if self.open_path(path):
                rest = [p for p in paths[k + 1:] if os.path.isfile(p)]
                for later in reversed(rest):
                    self.recent.add(later)
                self.recent.add(path)  # again (opening added it), so that it stays on top of the others
                if rest:
                    self.ctx.show_status(f"Opened {os.path.basename(path)}; the other {len(rest)} "
                                         "are in File ▸ Open Recent.", 8000)
                return True
        return False

    def _tell(self, title: str, text: str) -> None:
        if self.ctx is not None:
            self.ctx.error(title, text)
        else:
            self.statusBar().showMessage(f"{title}: {text}", 8000)

    def open_image_dialog(self) -> None:
        if self.ctx is None:
            return
        if self._image_tab() is None:
            self.ctx.show_status("This tab does not take an image.", 4000)
            return
        path, _ = QFileDialog.getOpenFileName(self, "Open image", self.ctx.last_folder, IMAGE_FILTER)
        if path:
            self.ctx.last_folder = os.path.dirname(path)
            self.open_path(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        from .model_opener import is_model_file
        from .widgets.image_panel import image_paths_from_mime

        tab = self.current_tab()
        if isinstance(tab, Workbench) and tab.takes_images and image_paths_from_mime(event.mimeData()):
            event.acceptProposedAction()
        elif self.ctx is not None and any(is_model_file(u.toLocalFile()) for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        from .widgets.image_panel import image_paths_from_mime

        if self.ctx is not None and self.model_opener.open_dropped(event.mimeData().urls()):
            event.acceptProposedAction()
            return
        paths = image_paths_from_mime(event.mimeData())
        tab = self.current_tab()
        if paths and isinstance(tab, Workbench) and tab.takes_images:
            event.acceptProposedAction()
            self.open_path(paths[0])
        else:
            event.ignore()

    def save_current(self) -> None:
        tab = self.current_tab()
        if isinstance(tab, Workbench):
            tab.save()

    def show_about(self):
        """Help ▸ About (non-blocking); returns the dialog."""
        from .about import AboutDialog

        dialog = AboutDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        self.about_dialog = dialog
        return dialog

    # -- settings and closing ------------------------------------------------------
    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
            return
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        width, height = DEFAULT_SIZE
        if screen is not None:   # a smaller screen: most of it, centred
            width, height = min(width, int(screen.width() * 0.96)), min(height, int(screen.height() * 0.94))
        self.resize(width, height)
        if screen is not None:
            self.move(screen.x() + (screen.width() - self.width()) // 2, screen.y() + (screen.height() - self.height()) // 2)

    def has_unsaved_results(self) -> bool:
        return any(t.has_unsaved_results() for t in self.tab_widgets.values())

    def unsaved_summary(self) -> str:
        """Which tabs hold results not saved yet: ``"Dreaming (2 results), Fooling (1 result)"``."""
        parts = []
        for title, tab in self.tab_widgets.items():
            if tab.has_unsaved_results():
                count = tab.unsaved_count() or 1
                parts.append(f"{title} ({count} result{'s' if count != 1 else ''})")
        return ", ".join(parts)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        if self.has_unsaved_results() and not getattr(self, "skip_unsaved_prompt", False):
            answer = QMessageBox.question(
                self, "Quit Neural Lens?", f"Not saved yet: {self.unsaved_summary()}. Quit anyway?",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop every running job and save settings (called when closing)."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        self.settings.sync()
        for tab in self.tab_widgets.values():
            try:
                tab.shutdown()
            except Exception:  # noqa: BLE001 - closing must never crash
                log.exception("error while stopping a tab")
        # a job reports "finished" just before its pool thread returns: join the threads themselves
        from PySide6.QtCore import QDeadlineTimer, QThreadPool

        QThreadPool.globalInstance().waitForDone(QDeadlineTimer(2000))
