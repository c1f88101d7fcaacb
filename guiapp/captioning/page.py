"""``SessionPage``: what every page of the Captioning tab starts with (the
shared session, the window's context, a job runner and the running job's
control)."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from engine.jobs import Control

from ..jobrunner import JobRunner
from .session import CaptioningSession

__all__ = ["SessionPage"]


class SessionPage(QWidget):
    def __init__(self, session: CaptioningSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.ctx = session.ctx
        self.runner = JobRunner(self)
        self.control: Control | None = None
