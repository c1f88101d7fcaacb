"""``button(text, tip)``: a push button with its tooltip, made in one line."""
from __future__ import annotations

from PySide6.QtWidgets import QPushButton

__all__ = ["button"]


def button(text: str, tip: str = "") -> QPushButton:
    made = QPushButton(text)
    if tip:
        made.setToolTip(tip)
    return made
