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
    from PySide6.QtWidgets import QApplication

    if QApplication.instance() is None:
        from .platform_check import platform_problem

        problem = platform_problem()
        if problem:  # Qt would abort with a message about platform plugins
            print(problem, file=sys.stderr)
            return 3
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

    from .main_window import MainWindow  # light: no torch yet

    settings = QSettings()
    window = MainWindow(settings=settings)
    window.show()
    app.processEvents()
    shown = time.monotonic() - started
    failure: list[str] = []

    def attach() -> None:  # torch, the engine and the tabs load after the first paint
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
        timing = logging.getLogger("neural_lens.timing")
        tabs_ready = time.monotonic() - started
        ctx.model_changed.connect(lambda _m: timing.info(
            "window visible after %.2f s, tabs after %.2f s, model ready after %.2f s",
            shown, tabs_ready, time.monotonic() - started))
        if os.environ.get("NEURAL_LENS_QUIT_WHEN_READY"):  # used by the start-up benchmark
            ctx.model_changed.connect(lambda _m: (
                print(f"window {shown:.2f}s tabs {tabs_ready:.2f}s ready {time.monotonic() - started:.2f}s", flush=True),
                QTimer.singleShot(0, window.close)))

    QTimer.singleShot(0, attach)
    code = app.exec()
    from .jobrunner import wait_for_all_jobs

    wait_for_all_jobs(2000)
    if failure:
        print(f"error: {failure[0]}", file=sys.stderr)
        return 2
    return code
