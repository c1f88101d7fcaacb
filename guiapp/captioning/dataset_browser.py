"""``DatasetBrowser``: the images of a split (thumbnails rendered or read on
demand, or the image URL / file name where only features exist) with their
ground-truth captions."""
from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QListView, QPushButton, QVBoxLayout, QWidget
from superqt.utils import signals_blocked

from engine.captioning.data import CaptionData
from engine.captioning.decoding import decode_captions
from engine.imaging import center_crop_resize

__all__ = ["DatasetBrowser", "SplitIndex", "to_pixmap"]

THUMB = 72


def to_pixmap(image: np.ndarray) -> QPixmap:
    """A uint8 HxWx3 array as a QPixmap (copied)."""
    img = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    h, w = img.shape[:2]
    return QPixmap.fromImage(QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


class SplitIndex:
    """Per image of a split: its caption rows, name and (lazily) its image."""

    def __init__(self, data: Mapping[str, Any], split: str) -> None:
        self.data, self.split = CaptionData.of(data), split
        self.part = self.data.split(split)
        self.features = self.part.features
        image_idxs = np.asarray(self.part.image_idxs[:]).astype(np.int64)
        order = np.argsort(image_idxs, kind="stable")
        self._order = order
        self._starts = np.searchsorted(image_idxs[order], np.arange(self.count + 1))
        self.images = self.part.images
        self.urls = self.part.urls

    @property
    def count(self) -> int:
        return int(self.features.shape[0])

    def captions(self, i: int) -> list[str]:
        rows = np.sort(self._order[self._starts[i]:self._starts[i + 1]])
        if rows.size == 0:
            return []
        ids = np.asarray(self.part.captions[rows])
        return decode_captions(ids, self.data.idx_to_word, keep_unk=True)

    def name(self, i: int) -> str:
        """The image's URL, its file name (local files), or ``'<split> #i'``."""
        if self.urls is not None and i < len(self.urls):
            url = str(self.urls[i])
            return os.path.basename(url) if os.path.isabs(url) else url
        return f"{self.split} #{i}"

    def image(self, i: int) -> np.ndarray | None:
        """The image, or ``None`` where the dataset has only features (or the file is unreadable)."""
        if self.images is None:
            return None
        try:
            return np.asarray(self.images[i])
        except (ValueError, OSError):
            return None


class _SplitModel(QAbstractListModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.index_: SplitIndex | None = None
        self._thumbs: OrderedDict[int, QPixmap | None] = OrderedDict()

    def set_index(self, index: SplitIndex | None) -> None:
        self.beginResetModel()
        self.index_ = index
        self._thumbs.clear()
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if self.index_ is None or parent.isValid() else self.index_.count

    def _thumb(self, row: int) -> QPixmap | None:
        if row in self._thumbs:
            self._thumbs.move_to_end(row)
            return self._thumbs[row]
        img = self.index_.image(row)
        pix = to_pixmap(center_crop_resize(img, THUMB, 1.0)) if img is not None else None
        self._thumbs[row] = pix
        if len(self._thumbs) > 400:
            self._thumbs.popitem(last=False)
        return pix

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if self.index_ is None or not index.isValid():
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            caps = self.index_.captions(row)
            return self.index_.name(row) + "\n" + "\n".join(f"• {c}" for c in caps[:4])
        if role == Qt.ItemDataRole.DecorationRole and self.index_.images is not None:
            return self._thumb(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(self.index_.captions(row))
        return None


class DatasetBrowser(QWidget):
    """Signal ``image_activated(str, int)`` (split, image index) on double-click
    or the "Caption this image" button."""

    image_activated = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: CaptionData | None = None
        self.split = QComboBox()
        self.model = _SplitModel(self)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setUniformItemSizes(True)
        self.view.setIconSize(QSize(THUMB, THUMB))
        self.view.setSpacing(2)
        self.view.setWordWrap(True)
        self.view.setAlternatingRowColors(True)
        self.count_label = QLabel("")
        self.count_label.setObjectName("muted")
        self.caption_button = QPushButton("Caption this image")
        top = QHBoxLayout()
        top.addWidget(QLabel("Split"))
        top.addWidget(self.split)
        top.addWidget(self.count_label, 1)
        top.addWidget(self.caption_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        self.split.currentIndexChanged.connect(lambda _i: self._show_split())
        self.view.activated.connect(lambda idx: self.image_activated.emit(self.current_split, idx.row()))
        self.caption_button.clicked.connect(self._caption_current)
        self.caption_button.setEnabled(False)

    @property
    def current_split(self) -> str:
        return self.split.currentData() or "train"

    def set_data(self, data: Mapping[str, Any] | None) -> None:
        """Browse ``data`` (a :class:`CaptionData` or the classic dict; ``None``: nothing)."""
        data = CaptionData.of(data) if data is not None else None
        self.data = data
        with signals_blocked(self.split):
            self.split.clear()
            if data is not None:
                for s in data.split_names:
                    if data.split(s).n_images:
                        self.split.addItem(s, s)
                self.split.setCurrentIndex(max(0, self.split.findData("val")))
        self._show_split()

    def split_index(self, split: str) -> SplitIndex | None:
        if self.data is None or not self.data.has_split(split):
            return None
        current = self.model.index_
        return current if current is not None and current.split == split else SplitIndex(self.data, split)

    def _show_split(self) -> None:
        index = SplitIndex(self.data, self.current_split) if self.data is not None and self.split.count() else None
        self.model.set_index(index)
        self.caption_button.setEnabled(index is not None and index.count > 0)
        if index is None:
            self.count_label.setText("")
            return
        kind = "" if index.images is not None else " (features only: names shown, no pictures)"
        self.count_label.setText(f"{index.count} images{kind}")

    def _caption_current(self) -> None:
        idx = self.view.currentIndex()
        self.image_activated.emit(self.current_split, idx.row() if idx.isValid() else 0)
