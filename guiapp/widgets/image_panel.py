"""``ImagePanel``: shows an RGB image (pyqtgraph ``ImageItem``, aspect locked,
zoom/pan with the mouse) and accepts image files dropped on it.

Images are drawn with smooth (bilinear) scaling, so a 128 px result filling a
400 px panel does not show blocks; :func:`guiapp.display.set_smooth_scaling`
(View ▸ Smooth Scaling) switches every panel to pixel-exact drawing (zoom in
with the wheel to see single pixels).

Right-click: *Fit to panel* and *Actual size* (one image pixel per screen
pixel), and on a panel that takes images *Open image…* (also a double-click
on the empty panel): a panel is never reachable only by drag-and-drop.
Zooming out stops where the whole picture fits the panel."""
from __future__ import annotations

import os
from urllib.parse import unquote_to_bytes

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QFileDialog, QLabel, QMenu, QStackedLayout, QVBoxLayout, QWidget

from engine.imaging import ImageLoadError, load_image

from ..display import register
from ..file_types import IMAGE_FILTER

__all__ = ["ImagePanel", "image_paths_from_mime", "EMPTY_HINT"]

EMPTY_HINT = "Drop an image here\nor use File ▸ Open (Ctrl+O),\nor try File ▸ Open Sample"


def _local_path(url: QUrl) -> str:
    """The local file a URL names.  On POSIX the name's exact bytes are kept,
    so a file name that is not valid UTF-8 still opens (``toLocalFile`` would
    replace those bytes and name a file that does not exist)."""
    if os.name == "posix" and not url.host():
        return os.fsdecode(unquote_to_bytes(url.path(QUrl.ComponentFormattingOption.FullyEncoded)))
    return url.toLocalFile()


def displayable(text: str) -> str:
    """``text`` with undecodable file-name bytes (lone surrogates) shown as U+FFFD
    (Qt would silently drop them)."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def image_paths_from_mime(mime: QMimeData) -> list[str]:
    """Local file paths carried by a drag (URLs of local files only)."""
    if not mime.hasUrls():
        return []
    return [_local_path(url) for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


class ImagePanel(QWidget):
    """An image view with a title, an empty-state hint and drag-and-drop.

    Signals: ``image_loaded(np.ndarray, str)`` after a dropped/opened file
    was read; ``load_failed(str)`` with a readable message for a bad file.
    ``set_image(array)`` is cheap enough for streaming frames (levels fixed,
    no autoscaling).
    """

    image_loaded = Signal(object, str)
    load_failed = Signal(str)
    #: a left click on the image, in image pixel coordinates (x, y)
    clicked = Signal(float, float)
    #: the mouse moved over the image: its image pixel coordinates (x, y), or (-1, -1) when it left the image
    hovered = Signal(float, float)
    #: ``drop_handler(panel, path) -> bool``: a dropped file it takes (True) is not loaded here; the window
    #: sets it to ask about a Neural Lens result's recipe (guiapp/recipe_open.py)
    drop_handler = None

    def __init__(self, title: str = "", hint: str = EMPTY_HINT,
                 accept_drops: bool = True, parent: QWidget | None = None, *, open_title: str = "Open image") -> None:
        super().__init__(parent)
        self.setAcceptDrops(accept_drops)
        self.open_title = open_title
        self.setMinimumSize(160, 160)
        self._image: np.ndarray | None = None
        self.path: str | None = None

        self._title = QLabel(title)
        self._title.setObjectName("panelTitle")
        self._title.setVisible(bool(title))
        self._title.setWordWrap(True)  # a long title wraps instead of widening (or being cut by) the panel

        self._view = pg.GraphicsLayoutWidget()
        self._view.setBackground(None)
        self._view.setAcceptDrops(False)
        self._view.viewport().setAcceptDrops(False)
        self._box = self._view.addViewBox(lockAspect=True, invertY=True, enableMenu=False)
        register(self)
        self._item = pg.ImageItem(axisOrder="row-major")
        self._box.addItem(self._item)
        self._view.scene().sigMouseClicked.connect(self._on_click)
        self._view.scene().sigMouseMoved.connect(self._on_move)
        self._box.sigRangeChangedManually.connect(lambda _mask: self._keep_filled())

        self._hint = QLabel(hint)
        self._hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._hint.setObjectName("dropHint")
        self._hint.setWordWrap(True)

        self._stack = QStackedLayout()
        self._stack.addWidget(self._hint)
        self._stack.addWidget(self._view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self._title)
        layout.addLayout(self._stack, 1)

    # -- display ------------------------------------------------------------
    @property
    def image(self) -> np.ndarray | None:
        return self._image

    @property
    def smooth(self) -> bool:
        return bool(self._view.renderHints() & QPainter.RenderHint.SmoothPixmapTransform)

    def set_smooth(self, smooth: bool) -> None:
        """Draw the image with smooth scaling (``True``) or pixel-exact."""
        self._view.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, bool(smooth))
        self._view.viewport().update()

    def _image_point(self, scene_pos) -> tuple[float, float] | None:
        """Image pixel coordinates of a scene position, or ``None`` off the image."""
        if self._image is None:
            return None
        point = self._item.mapFromScene(scene_pos)
        h, w = self._image.shape[:2]
        return (float(point.x()), float(point.y())) if 0 <= point.x() < w and 0 <= point.y() < h else None

    def _on_click(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and (point := self._image_point(event.scenePos())):
            self.clicked.emit(*point)

    def _on_move(self, scene_pos) -> None:
        point = self._image_point(scene_pos)
        self.hovered.emit(*(point or (-1.0, -1.0)))

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt API
        self.hovered.emit(-1.0, -1.0)
        super().leaveEvent(event)

    # -- zoom -----------------------------------------------------------------
    def fit(self) -> None:
        """Fit to panel: the whole picture, as large as the panel allows."""
        if self._image is not None:
            self._box.autoRange(padding=0.0)

    def actual_size(self) -> None:
        """One image pixel per screen pixel, centred on what is in view."""
        if self._image is None:
            return
        rect = self._box.sceneBoundingRect()
        (x0, x1), (y0, y1) = self._box.viewRange()
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        w, h = rect.width() / 2, rect.height() / 2
        self._box.setRange(xRange=(cx - w, cx + w), yRange=(cy - h, cy + h), padding=0.0)

    def zoom(self) -> float:
        """Screen pixels per image pixel now."""
        (x0, x1), _ = self._box.viewRange()
        return self._box.sceneBoundingRect().width() / max(x1 - x0, 1e-9)

    def _keep_filled(self) -> None:
        """Zooming out past the whole picture goes back to Fit to panel."""
        if self._image is None:
            return
        h, w = self._image.shape[:2]
        (x0, x1), (y0, y1) = self._box.viewRange()
        if x1 - x0 > w * 1.001 and y1 - y0 > h * 1.001:
            self.fit()

    # -- the right-click menu ----------------------------------------------------
    def context_menu(self) -> QMenu:
        """The panel's menu (what a right-click shows)."""
        menu = QMenu(self)
        if self.acceptDrops():
            menu.addAction(f"{self.open_title}…", self.open_dialog)
        fit = menu.addAction("Fit to panel", self.fit)
        actual = menu.addAction("Actual size", self.actual_size)
        fit.setEnabled(self._image is not None)
        actual.setEnabled(self._image is not None)
        return menu

    def contextMenuEvent(self, event) -> None:  # noqa: N802 - Qt API
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 - Qt API
        if self._image is None and self.acceptDrops():
            self.open_dialog()
        else:
            super().mouseDoubleClickEvent(event)

    def open_dialog(self) -> bool:
        """Choose a file with the open dialog and load it (as a drop would)."""
        folder = os.path.dirname(self.path) if self.path else ""
        path, _ = QFileDialog.getOpenFileName(self, self.open_title, folder, IMAGE_FILTER)
        return bool(path) and self.load_file(path)

    def add_item(self, item) -> None:
        """Draw a pyqtgraph item (a box, a marker) over the image, in image pixel coordinates."""
        self._box.addItem(item)

    def remove_item(self, item) -> None:
        self._box.removeItem(item)

    def set_title(self, text: str) -> None:
        self._title.setText(text)
        self._title.setVisible(bool(text))

    def title(self) -> str:
        return self._title.text()

    def set_image(self, image: np.ndarray | None, levels: tuple[float, float] | None = (0, 255), lut=None) -> None:
        """Show ``image`` (HxWx3 uint8, or HxW float with ``levels``/``lut``)."""
        if image is None:
            self.clear()
            return
        first = self._image is None or self._image.shape[:2] != image.shape[:2]
        self._image = image
        if levels is None:
            self._item.setImage(image, autoLevels=True)
        else:
            self._item.setImage(image, autoLevels=False, levels=levels)
        self._item.setLookupTable(lut)
        self._stack.setCurrentWidget(self._view)
        if first:
            self._box.autoRange(padding=0.0)

    def clear(self) -> None:
        self._image = None
        self.path = None
        self._item.clear()
        self._stack.setCurrentWidget(self._hint)

    # -- loading ------------------------------------------------------------
    def load_file(self, path: str) -> bool:
        """Read ``path``; emit ``image_loaded`` or ``load_failed``.  The image
        already shown stays when the file is bad."""
        try:
            image = load_image(path)
        except ImageLoadError as exc:
            self.load_failed.emit(displayable(str(exc)))
            return False
        except MemoryError:
            self.load_failed.emit(displayable(f"{os.fsdecode(path)}: not enough memory to open this image"))
            return False
        self.path = path
        self.set_image(image)
        self.image_loaded.emit(image, path)
        return True

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if image_paths_from_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    dragMoveEvent = dragEnterEvent

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        paths = image_paths_from_mime(event.mimeData())
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        if self.drop_handler is None or not self.drop_handler(self, paths[0]):
            self.load_file(paths[0])
