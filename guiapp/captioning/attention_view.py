"""``AttentionView``: where an attention captioner looked for every word.

For a caption of a model with the ``"attention"`` cell the Caption page
shows a strip of small overlays, one per generated word (the attention
weights over the feature grid, smoothly enlarged to the picture the CNN saw
and drawn over it as a heat map), and a large overlay of the word under the
mouse (the first word until the mouse points at another)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PIL import Image
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from .dataset_browser import to_pixmap

__all__ = ["AttentionView", "attention_overlay"]

TILE, LARGE = 96, 176  # LARGE: the Caption page still fits a 1366x768 screen (the window does not grow)


def attention_overlay(image: np.ndarray, weights: np.ndarray, opacity: float = 0.55) -> np.ndarray:
    """``image`` (uint8 HxWx3) with ``weights`` (g x g, any scale) drawn over
    it: the weights enlarged bilinearly to the image, scaled to their maximum
    and coloured with the *inferno* map (dark: not looked at; yellow: most
    weight), blended at ``opacity``.  Returns a uint8 HxWx3 array."""
    img = np.asarray(image, dtype=np.float32)[..., :3]
    h, w = img.shape[:2]
    grid = np.asarray(weights, dtype=np.float32)
    big = np.asarray(Image.fromarray(grid).resize((w, h), Image.BILINEAR), dtype=np.float32)
    top = float(big.max())
    big = big / top if top > 0 else big
    lut = pg.colormap.get("inferno").getLookupTable(nPts=256, alpha=False).astype(np.float32)
    heat = lut[np.clip((big * 255).round().astype(np.int64), 0, 255)]
    return np.clip((1 - opacity) * img + opacity * heat, 0, 255).round().astype(np.uint8)


class _Tile(QFrame):
    """One word: its small overlay and the word under it; pointing at it shows it large."""

    def __init__(self, index: int, word: str, pixmap, on_hover) -> None:
        super().__init__()
        self.index, self.word, self._on_hover = index, word, on_hover
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMouseTracking(True)
        self.picture = QLabel()
        self.picture.setPixmap(pixmap)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label = QLabel(word)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(2, 2, 2, 2)
        lay.setSpacing(1)
        lay.addWidget(self.picture)
        lay.addWidget(self.label)
        self.setFixedWidth(TILE + 10)                      # the strip scrolls rather than squeezing the words
        self.setToolTip(f"Where the model looked before saying “{word}”")

    def enterEvent(self, event) -> None:  # noqa: N802 (Qt)
        self._on_hover(self.index)
        super().enterEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt)
        self._on_hover(self.index)
        super().mouseMoveEvent(event)


class AttentionView(QWidget):
    """Signal ``word_shown(int)`` when the large overlay changes word."""

    word_shown = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: np.ndarray | None = None
        self.maps: np.ndarray | None = None
        self.words: list[str] = []
        self.tiles: list[_Tile] = []
        self.current = -1
        self.large = QLabel()
        self.large.setFixedSize(LARGE, LARGE)
        self.large.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.large_word = QLabel("")
        self.large_word.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.large_word.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.large)
        left.addWidget(self.large_word)
        left.addStretch(1)
        self.strip = QWidget()
        self.strip_layout = QHBoxLayout(self.strip)
        self.strip_layout.setContentsMargins(0, 0, 0, 0)
        self.strip_layout.setSpacing(4)
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.strip)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFixedHeight(TILE + 56)
        self.note = QLabel("Point at a word to see it large. Bright: where the weights are; dark: not looked at.")
        self.note.setObjectName("muted")
        self.note.setWordWrap(True)
        right = QVBoxLayout()
        right.addWidget(self.scroll)
        right.addWidget(self.note)
        right.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(left)
        layout.addLayout(right, 1)

    def clear(self) -> None:
        for tile in self.tiles:
            self.strip_layout.removeWidget(tile)
            tile.deleteLater()
        self.tiles = []
        self.strip.setMinimumWidth(0)
        self.image, self.maps, self.words, self.current = None, None, [], -1
        self.large.clear()
        self.large_word.setText("")

    def set_attention(self, image: np.ndarray, maps: np.ndarray, words: Sequence[str]) -> None:
        """``maps (T, g, g)``: the weights before each of the ``T`` ``words``
        (``<END>`` included); ``image`` the picture the CNN saw."""
        self.clear()
        self.image, self.maps, self.words = np.asarray(image), np.asarray(maps, dtype=np.float32), list(words)
        small = _thumbnail(self.image, TILE)
        for k, word in enumerate(self.words):
            pixmap = to_pixmap(attention_overlay(small, self.maps[k]))
            tile = _Tile(k, "(end)" if word == "<END>" else word, pixmap, self.show_word)
            self.strip_layout.addWidget(tile)
            tile.show()
            self.tiles.append(tile)
        spacing = self.strip_layout.spacing()
        self.strip.setMinimumWidth(len(self.tiles) * (TILE + 10 + spacing))   # wider than the view: it scrolls
        self.show_word(0)

    def show_word(self, index: int) -> None:
        """The large overlay of word ``index``."""
        if self.maps is None or not 0 <= index < len(self.words) or index == self.current:
            return
        self.current = index
        self.large.setPixmap(to_pixmap(attention_overlay(_thumbnail(self.image, LARGE), self.maps[index])))
        g = self.maps[index]
        peak = np.unravel_index(int(np.argmax(g)), g.shape)
        self.large_word.setText(f"“{self.tiles[index].word}”: the most weight ({float(g.max()):.0%}) "
                                f"on cell row {peak[0] + 1}, column {peak[1] + 1} of {g.shape[0]}×{g.shape[1]}")
        for k, tile in enumerate(self.tiles):
            tile.setFrameShadow(QFrame.Shadow.Sunken if k == index else QFrame.Shadow.Plain)
            tile.setLineWidth(2 if k == index else 1)
        self.scroll.ensureWidgetVisible(self.tiles[index])
        self.word_shown.emit(index)


def _thumbnail(image: np.ndarray, side: int) -> np.ndarray:
    """``image`` resized to fit a ``side`` square (aspect kept)."""
    h, w = image.shape[:2]
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(Image.fromarray(np.ascontiguousarray(image[..., :3], dtype=np.uint8)).resize(size, Image.BILINEAR))
