"""``SessionPage``: what every page of the Captioning tab starts with (the
shared session, the window's context, its jobs); ``SessionJob``: the
:class:`~guiapp.tab_job.TabJob` of a page."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ..tab_job import TabJob
from .session import CaptioningSession

__all__ = ["SessionPage", "SessionJob"]


class SessionJob(TabJob):
    """A Captioning page's job, with the lifecycle every tab shares.

    Captioning jobs use their own networks (the captioner, the CNN its
    features came from, loaded by name), never the window's classifier, so
    choosing another classifier in the Model menu leaves them running."""

    def __init__(self, tab, title: str, **options) -> None:
        super().__init__(tab, title, follows_model=False, **options)


class SessionPage(QWidget):
    """A page of the Captioning tab.  Its :class:`SessionJob` s register here
    (:attr:`jobs`); the tab passes them on to its :class:`~guiapp.workbench.Workbench`
    (Run ▸ Start / Stop, shutdown)."""

    def __init__(self, session: CaptioningSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.ctx = session.ctx
        self.jobs: list[TabJob] = []

    def register_job(self, job: TabJob) -> None:
        """Called by :class:`TabJob` when it is made for this page."""
        self.jobs.append(job)
