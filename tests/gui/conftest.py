"""GUI fixtures (see tests/qt_fixtures.py)."""
from qt_fixtures import ctx, messages, no_threads_left_behind, open_tab, settings, window  # noqa: F401
