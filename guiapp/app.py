"""Entry point: no arguments open the window; arguments run the headless CLI."""
from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

__all__ = ["main", "run_gui"]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    gui_flags = {"--device"}
    if argv and not (argv[0] in gui_flags and len(argv) == 2):
        from engine.cli import main as cli_main

        return cli_main(argv)
    device = argv[1] if argv else None
    return run_gui(device=device)


def run_gui(device: str | None = None) -> int:
    """Create the application and the window; returns the exit code."""
    started = time.monotonic()
    logging.basicConfig(level=os.environ.get("NEURAL_LENS_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Neural Lens")
    app.setOrganizationName("NeuralLens")
    style = Path(__file__).resolve().parent.parent / "resources" / "style.qss"
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
