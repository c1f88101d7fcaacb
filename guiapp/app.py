"""Entry point: no arguments (or photos) open the window; a subcommand runs the headless CLI."""
from __future__ import annotations

import logging
import os
import sys
import time

__all__ = ["main", "run_gui"]


def main(argv: list[str] | None = None) -> int:
    """``neural-lens [--device D] [PHOTO …]`` opens the window (with the photos);
    ``neural-lens --version`` prints the versions; a subcommand runs headless."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in ("--version", "-V"):
        from .version import version_lines

        lines = version_lines()
        print(f"neural-lens {lines[0][1]}")
        print(", ".join(f"{what} {version}" for what, version in lines[1:]))
        return 0
    from .launch_args import parse_gui_args

    launch = parse_gui_args(argv)
    if launch is None:
        from engine.cli import main as cli_main

        return cli_main(argv)
    return run_gui(device=launch.device, files=launch.files)


def run_gui(device: str | None = None, files: list[str] | None = None) -> int:
    """Create the application and the window, open ``files`` (the first
    becomes the current image); returns the exit code."""
    started = time.monotonic()
    logging.basicConfig(level=os.environ.get("NEURAL_LENS_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    from PySide6.QtCore import QSettings, QTimer

    app = _application()
    if app is None:  # Qt would abort with a message about platform plugins
        return 3
    from .main_window import MainWindow  # light: no torch yet

    settings = QSettings()
    window = MainWindow(settings=settings)
    window.show()
    app.processEvents()
    shown = time.monotonic() - started
    failure: list[str] = []
    # torch, the engine and the tabs load after the first paint
    QTimer.singleShot(0, lambda: _attach(window, settings, device, files, failure, started, shown))
    code = app.exec()
    from .jobrunner import wait_for_all_jobs

    wait_for_all_jobs(2000)
    if failure:
        print(f"error: {failure[0]}", file=sys.stderr)
        return 2
    return code


def _application():
    """The QApplication, named, with the icon, the theme and the stylesheet; None (the reason
    printed) where Qt has no usable platform plugin."""
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        from .platform_check import platform_problem

        problem = platform_problem()
        if problem:
            print(problem, file=sys.stderr)
            return None
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Neural Lens")
    app.setOrganizationName("NeuralLens")
    app.setDesktopFileName("neural-lens")
    from .icon import app_icon
    from .resources import resource_path
    from .theme import Theme

    app.setWindowIcon(app_icon())
    Theme.of(app)  # before the stylesheet: it remembers the platform's own style
    style = resource_path("style.qss")
    if style.exists():
        app.setStyleSheet(style.read_text(encoding="utf-8"))
    return app


def _attach(window, settings, device: str | None, files: list[str] | None, failure: list[str],
            started: float, shown: float) -> None:
    """Give the shown window its context (torch, the engine, the tabs) and open ``files``; a bad
    device closes the window with the reason in ``failure``."""
    from .context import AppContext

    try:
        ctx = AppContext(settings, device=device)
    except ValueError as exc:
        failure.append(str(exc))
        window.close()
        return
    window.attach(ctx)
    from .gui_thread_gc import collect_on_gui_thread

    window.garbage_collector = collect_on_gui_thread()   # before any job thread runs
    if files:
        window.open_paths(files)
    _report_timing(ctx, window, started, shown, time.monotonic() - started)


def _report_timing(ctx, window, started: float, shown: float, tabs_ready: float) -> None:
    """Log (and for the start-up benchmark print, then quit) when the window, the tabs and the model
    were ready."""
    from PySide6.QtCore import QTimer

    timing = logging.getLogger("neural_lens.timing")
    ctx.model_changed.connect(lambda _m: timing.info(
        "window visible after %.2f s, tabs after %.2f s, model ready after %.2f s",
        shown, tabs_ready, time.monotonic() - started))
    if os.environ.get("NEURAL_LENS_QUIT_WHEN_READY"):  # used by the start-up benchmark
        ctx.model_changed.connect(lambda _m: (
            print(f"window {shown:.2f}s tabs {tabs_ready:.2f}s ready {time.monotonic() - started:.2f}s", flush=True),
            QTimer.singleShot(0, window.close)))
