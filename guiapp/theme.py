"""Light or dark: the window follows the system's colour scheme (Qt 6.5+
``QStyleHints.colorScheme()``, followed live through ``colorSchemeChanged``)
unless View ▸ Theme asks for one.

Dark and light are Fusion palettes, so every widget agrees; the plots
(pyqtgraph with a transparent background and grey axes) and the stylesheet
(``palette(...)`` colours) take the palette's colours, and the curve and
bar colours are mid-tones that read on both.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

__all__ = ["CHOICES", "Theme", "dark_palette", "is_dark_palette", "light_palette", "scheme_is_dark"]

#: View ▸ Theme choices, as stored in the settings
CHOICES = ("system", "light", "dark")
#: platform styles that ignore the palette (switched to Fusion for an explicit light or dark choice)
NATIVE_STYLES = ("windowsvista", "windows11", "macos")


def scheme_is_dark(scheme: Qt.ColorScheme) -> bool | None:
    """``True`` for a dark scheme, ``False`` for a light one, ``None`` when the system does not say."""
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return None


def is_dark_palette(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def light_palette() -> QPalette:
    """Fusion's own light palette."""
    style = QStyleFactory.create("Fusion")
    return QPalette(style.standardPalette()) if style is not None else QPalette()


def dark_palette() -> QPalette:
    """A dark Fusion palette with readable disabled and placeholder text."""
    p = QPalette()
    roles = QPalette.ColorRole
    colors = {
        roles.Window: "#2d2f33", roles.WindowText: "#e6e6e6", roles.Base: "#1f2124", roles.AlternateBase: "#292b2f",
        roles.ToolTipBase: "#1f2124", roles.ToolTipText: "#e6e6e6", roles.PlaceholderText: "#8c8f94",
        roles.Text: "#e6e6e6", roles.Button: "#373a3f", roles.ButtonText: "#e6e6e6", roles.BrightText: "#ff6b6b",
        roles.Light: "#4a4d52", roles.Midlight: "#3e4146", roles.Mid: "#8c8f94", roles.Dark: "#1b1d20",
        roles.Shadow: "#111214", roles.Highlight: "#3d7bd9", roles.HighlightedText: "#ffffff",
        roles.Link: "#6ea8ff", roles.LinkVisited: "#b28cff",
    }
    for role, color in colors.items():
        p.setColor(role, QColor(color))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7d82"))
    p.setColor(QPalette.ColorGroup.Disabled, roles.Highlight, QColor("#4a4d52"))
    return p


class Theme(QObject):
    """The application's theme; one per application (``Theme.of(app)``).

    Signal ``changed(bool)``: the palette became dark (``True``) or light."""

    changed = Signal(bool)

    def __init__(self, app: QApplication, choice: str = "system") -> None:
        super().__init__(app)
        self.setObjectName("neuralLensTheme")
        self.app = app
        self.choice = "system"
        self._original = QPalette(app.palette())
        self._original_style = app.style().name()
        self.dark = is_dark_palette(self._original)
        app.styleHints().colorSchemeChanged.connect(self._on_system_scheme)
        self.set_choice(choice)

    @classmethod
    def of(cls, app: QApplication | None = None, choice: str | None = None) -> Theme:
        """The application's theme, made on first use (with ``choice`` or ``"system"``)."""
        app = app or QApplication.instance()
        theme = app.findChild(cls, "neuralLensTheme")
        if theme is None:
            theme = cls(app, choice or "system")
        elif choice is not None:
            theme.set_choice(choice)
        return theme

    def set_choice(self, choice: str) -> None:
        """``"system"``, ``"light"`` or ``"dark"``."""
        self.choice = choice if choice in CHOICES else "system"
        self._on_system_scheme(self.app.styleHints().colorScheme())

    def _on_system_scheme(self, scheme: Qt.ColorScheme) -> None:
        if self.choice == "dark":
            self._apply(True)
        elif self.choice == "light":
            self._apply(False)
        else:
            self._apply(scheme_is_dark(scheme))

    def _apply(self, dark: bool | None) -> None:
        """``None``: the palette the application started with (the system did not say)."""
        if dark is None:
            self.app.setPalette(self._original)
        else:
            if self._original_style in NATIVE_STYLES and self.app.style().name() in NATIVE_STYLES:
                self.app.setStyle("Fusion")  # native styles draw with their own colours, not the palette's
            self.app.setPalette(dark_palette() if dark else light_palette())
        sheet = self.app.styleSheet()
        if sheet:  # on X11, widgets polished by a stylesheet keep their old palette until it is set again
            self.app.setStyleSheet("")
            self.app.setStyleSheet(sheet)
        now = is_dark_palette(self.app.palette())
        if now != self.dark:
            self.dark = now
            self.changed.emit(now)
