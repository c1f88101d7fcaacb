"""Python's cycle collector runs on the GUI thread only.

The collector runs on whichever thread happens to allocate when a
generation fills up, often a job's worker thread in the middle of a network
pass.  Collecting a Qt widget there destroys it off the GUI thread: PySide
then waits for the GIL inside a Qt destructor while the GUI thread, which
holds the GIL, waits for the same Qt lock (a deadlock seen in the test suite:
a widget of an earlier test collected during a fooling run).  pyqtgraph's
``GarbageCollector`` turns automatic collection off and collects from a
timer on the GUI thread instead (reference counting still frees everything
that is not in a cycle at once).
"""
from __future__ import annotations

__all__ = ["collect_on_gui_thread"]


def collect_on_gui_thread(interval: float = 1.0):
    """Start collecting cycles every ``interval`` seconds from a GUI-thread timer
    (automatic collection off); returns the collector (keep a reference)."""
    from pyqtgraph.util.garbage_collector import GarbageCollector

    return GarbageCollector(interval=interval)
