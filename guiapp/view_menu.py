"""The View menu: smooth or pixel-exact drawing of the image panels, and the
theme (follow the system, or light, or dark).  Both are kept in the settings
(``view/smooth``, ``view/theme``) and applied when the menu is made."""
from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from .display import set_smooth_scaling
from .theme import CHOICES, Theme

__all__ = ["ViewMenu"]

THEME_TITLES = {"system": "Follow the &System", "light": "&Light", "dark": "&Dark"}


class ViewMenu(QMenu):
    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__("&View", parent)
        self.settings = settings
        self.smooth_action = QAction("&Smooth Scaling", self, checkable=True)
        self.smooth_action.setToolTip("Draw images smoothly when they are enlarged; "
                                      "off: pixel-exact (zoom in with the mouse wheel to see single pixels)")
        self.smooth_action.setChecked(settings.value("view/smooth", True, type=bool))
        self.smooth_action.toggled.connect(self.set_smooth)
        self.addAction(self.smooth_action)
        theme_menu = self.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        choice = settings.value("view/theme", "system", type=str)
        for name in CHOICES:
            action = QAction(THEME_TITLES[name], self, checkable=True)
            action.setChecked(name == choice)
            action.triggered.connect(lambda _c=False, n=name: self.set_theme(n))
            self.theme_group.addAction(action)
            theme_menu.addAction(action)
            self.theme_actions[name] = action
        set_smooth_scaling(self.smooth_action.isChecked())
        self.theme = Theme.of(QApplication.instance(), choice)

    def set_smooth(self, smooth: bool) -> None:
        self.settings.setValue("view/smooth", bool(smooth))
        set_smooth_scaling(smooth)

    def set_theme(self, choice: str) -> None:
        self.settings.setValue("view/theme", choice)
        self.theme_actions[choice].setChecked(True)
        self.theme.set_choice(choice)
