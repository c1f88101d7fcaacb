"""A page of the Saliency tab that one long job runs on (the folder report,
ROAR): a :class:`~guiapp.widgets.job_bar.JobPanel` added to the tab's pages,
the widgets its :class:`~guiapp.tab_job.TabJob` reports through, and
:meth:`show_page`, which brings the tab and the page forward (the job may be
started from the menu while another tab is shown)."""
from __future__ import annotations

from PySide6.QtCore import QObject

from ..widgets.job_bar import JobPanel

__all__ = ["SaliencyJobPage"]


class SaliencyJobPage(QObject):
    """``page`` (a :class:`JobPanel` with ``start``, ``tip`` and ``status`` as its button, tooltip and first
    status line) for ``tab``, the Saliency tab."""

    def __init__(self, tab, start: str, tip: str, status: str) -> None:
        super().__init__(tab)
        self.tab = tab
        self.page = JobPanel(start, tip, status)

    def job_widgets(self) -> dict:
        """The page's widgets as :class:`~guiapp.tab_job.TabJob`'s keyword arguments."""
        return {"status": self.page.status, "progress": self.page.progress,
                "start_button": self.page.start_button, "stop_button": self.page.stop_button}

    def show_page(self) -> None:
        """The Saliency tab in front, showing this page."""
        window = self.tab.ctx.window
        if window is not None and hasattr(window, "tabs"):
            window.tabs.setCurrentWidget(self.tab)
        self.tab.pages.setCurrentWidget(self.page)
