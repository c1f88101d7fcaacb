"""What every tab of the window is: a :class:`Workbench` (open a picture,
save the result, say whether something is unsaved, start and stop its jobs,
shut down), with the save dialog, the save-with-error-message and the
unsaved-results rule written once, and the layout the image workbenches
share.  A tab's jobs are :class:`~guiapp.tab_job.TabJob` objects, which register
here."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QSplitter, QWidget

__all__ = ["Workbench", "workbench_layout", "splitter"]


class Workbench(QWidget):
    """Base of the tabs.  ``ctx`` is the window's :class:`~guiapp.context.AppContext`.

    The window calls :meth:`open_file` (File ▸ Open, a drop), :meth:`save`
    (File ▸ Save), :meth:`has_unsaved_results` (before quitting) and
    :meth:`shutdown` (when closing), :meth:`start_job` / :meth:`stop_job`
    (Run ▸ Start and Stop); a tab overrides what it offers.

    **Unsaved results**, one rule for every tab: a tab calls
    :meth:`mark_unsaved` with a key for each result the user has not saved
    (a finished picture, a history entry) and :meth:`mark_saved` when it is
    written; Quit asks while any is left."""

    #: whether the tab takes a picture (File ▸ Open and drops go to it)
    takes_images = True
    #: the tab's own menu (a ``QMenu``), put in the menu bar before Help; ``None``: no menu
    menu = None
    #: the tab's name in messages ("2 unsaved results in Dreaming")
    title = ""
    #: the recipe of the tab's current result (:class:`guiapp.recipes.RunRecipe`), in tabs that make pictures
    recipes = None
    #: the last file the tab wrote (:meth:`write_file`)
    last_saved: str | None = None

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.jobs: list = []                 # this tab's TabJobs, in the order they were made
        self._unsaved: set = set()

    def open_file(self, path: str) -> bool:
        return False

    def uses_photo_now(self) -> bool:
        """Whether a photo opened now would show a result at once (the window
        opens the command line's photos on a tab that would)."""
        return self.takes_images

    def save(self) -> None:
        self.ctx.show_status("Nothing to save in this tab.", 4000)

    # -- unsaved results ----------------------------------------------------------------
    def mark_unsaved(self, key: object) -> None:
        self._unsaved.add(key)

    def mark_saved(self, key: object) -> None:
        """The result ``key`` was saved."""
        self._unsaved.discard(key)

    def forget_unsaved(self) -> None:
        """The unsaved results are gone (a new photo replaced them): nothing to ask about."""
        self._unsaved.clear()

    def unsaved_count(self) -> int:
        return len(self._unsaved)

    def has_unsaved_results(self) -> bool:
        return bool(self._unsaved)

    # -- jobs -----------------------------------------------------------------------------
    def register_job(self, job) -> None:
        """Called by :class:`~guiapp.tab_job.TabJob` when it is made for this tab."""
        self.jobs.append(job)

    def start_job(self) -> bool:
        """Run ▸ Start (Ctrl+Return): press the first visible, enabled start button of the tab's jobs."""
        for job in self.jobs:
            button = job.start_button
            if button is not None and button.isVisibleTo(self) and button.isEnabled():
                button.click()
                return True
        return False

    def stop_job(self) -> bool:
        """Run ▸ Stop (Esc): stop every running job of the tab, keeping what each made so far."""
        running = [job for job in self.jobs if job.is_running]
        for job in running:
            job.stop()
        return bool(running)

    def shutdown(self) -> None:
        """Stop this tab's jobs and wait for their threads (closing the window)."""
        for job in self.jobs:
            job.discard()
        for job in self.jobs:
            job.wait(5000)

    # -- helpers for the tabs -------------------------------------------------
    def ask_save_path(self, title: str, name: str, filters: str = "PNG image (*.png)") -> tuple[str, str]:
        """The save dialog in the last folder used; ``(path, chosen filter)``,
        ``("", "")`` when cancelled.  A PNG path without a suffix gets ``.png``."""
        path, chosen = QFileDialog.getSaveFileName(self, title, os.path.join(self.ctx.last_folder, name), filters)
        if not path:
            return "", ""
        self.ctx.last_folder = os.path.dirname(path)
        if chosen.startswith("PNG image") and not os.path.splitext(path)[1]:
            path += ".png"
        return path, chosen

    def save_as(self, title: str, name: str, save: Callable[[str], object], filters: str = "PNG image (*.png)") -> None:
        """Ask for a path (:meth:`ask_save_path`) and hand it to ``save(path)``;
        nothing when the dialog is cancelled."""
        path, _ = self.ask_save_path(title, name, filters)
        if path:
            save(path)

    def save_or_say(self, has_result: bool, nothing: str, title: str, name: Callable[[], str],
                    save: Callable[[str], object], filters: str = "PNG image (*.png)") -> None:
        """File ▸ Save for the tab's result: ``nothing`` on the status line when
        there is none, else the dialog (:meth:`save_as`) for ``name()``."""
        if not has_result:
            self.ctx.show_status(nothing, 4000)
            return
        self.save_as(title, name(), save, filters)

    def write_file(self, what: str, path: str, write: Callable[[], object]) -> bool:
        """Run ``write()``; a failure becomes a message naming ``what`` and the
        file (nothing else is lost), success a status line."""
        try:
            write()
        except (OSError, ValueError) as exc:
            self.ctx.error(f"Could not save {what}", f"{path}: {exc}")
            return False
        self.ctx.show_status(f"Saved {path}", 5000)
        self.last_saved = path
        return True

    def recipe_command(self) -> str:
        """The ``neural-lens-cli`` command that makes the current result again
        (File ▸ Copy Recipe as Command Line); ``ValueError`` saying why there is none."""
        from .recipes import command_for

        return command_for(self)


def splitter(orientation: Qt.Orientation, *widgets: QWidget, sizes: Sequence[int] = ()) -> QSplitter:
    """A splitter holding ``widgets`` in order, at ``sizes`` when given."""
    split = QSplitter(orientation)
    for widget in widgets:
        split.addWidget(widget)
    if sizes:
        split.setSizes(list(sizes))
    return split


def workbench_layout(tab: QWidget, images: QWidget, plots: QWidget, controls: QWidget,
                     sizes: Sequence[int] = (520, 220)) -> QSplitter:
    """Images above plots on the left, the controls on the right (the
    Saliency and Fooling tabs); returns the left splitter."""
    left = QSplitter(Qt.Orientation.Vertical)
    left.addWidget(images)
    left.addWidget(plots)
    left.setSizes(list(sizes))
    layout = QHBoxLayout(tab)
    layout.addWidget(left, 1)
    layout.addWidget(controls)
    return left
