"""Responsiveness of the real window while each kind of job runs (offscreen):
the longest gap between ticks of a 10 ms timer on the GUI thread (target:
under 50 ms) and the frames shown per second; plus the time from launch to a
visible window and to a ready model.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_responsiveness.py
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _util import table
from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

SECONDS = float(os.environ.get("BENCH_SECONDS", "6"))


def launch_times(runs: int = 3) -> list[list[object]]:
    rows = []
    env = {**os.environ, "NEURAL_LENS_QUIT_WHEN_READY": "1", "XDG_CONFIG_HOME": "/tmp/neural-lens-bench-config"}
    for i in range(runs):
        out = subprocess.run([sys.executable, "main.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300).stdout
        m = re.search(r"window ([\d.]+)s tabs ([\d.]+)s ready ([\d.]+)s", out)
        if m:
            rows.append([i + 1, float(m.group(1)), float(m.group(2)), float(m.group(3))])
    return rows


def wait_idle(app, runner, timeout=120.0) -> None:
    end = time.monotonic() + timeout
    while runner.is_running and time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def measure(app, runner, start, seconds: float = SECONDS) -> tuple[float, float, float, int]:
    """Start a job with ``start()``; return (longest tick gap ms, p99 gap ms, frames/s shown, frames)."""
    ticks: list[float] = []
    frames = [0]
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    on_frame = lambda _f: frames.__setitem__(0, frames[0] + 1)  # noqa: E731
    runner.frame.connect(on_frame)
    loop = QEventLoop()
    timer.start()
    t0 = time.perf_counter()
    start()
    stopper = QTimer()
    stopper.setSingleShot(True)
    stopper.timeout.connect(loop.quit)
    stopper.start(int(seconds * 1000))
    runner.running_changed.connect(lambda running: None if running else loop.quit())
    loop.exec()
    elapsed = time.perf_counter() - t0
    timer.stop()
    runner.frame.disconnect(on_frame)
    runner.stop()
    wait_idle(app, runner)
    gaps = np.diff(ticks) * 1000 if len(ticks) > 1 else np.array([elapsed * 1000])
    return float(gaps.max()), float(np.percentile(gaps, 99)), frames[0] / elapsed, frames[0]


def scrub(app, layers, every_ms: int = 150) -> tuple[float, float, float, int]:
    """Step the Layers slider through every layer, one step per ``every_ms``, with a channel open (so
    each step starts its saliency, visualization and top patches anew): the GUI thread's gaps."""
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    steps = list(range(layers.layer_slider.maximum() + 1))
    stepper = QTimer()
    stepper.setInterval(every_ms)
    stepper.timeout.connect(lambda: layers.layer_slider.setValue(steps.pop(0)) if steps else None)
    loop = QEventLoop()
    QTimer.singleShot(every_ms * (len(steps) + 2), loop.quit)
    t0 = time.perf_counter()
    timer.start()
    stepper.start()
    loop.exec()
    elapsed = time.perf_counter() - t0
    timer.stop()
    stepper.stop()
    gaps = np.diff(ticks) * 1000
    return float(gaps.max()), float(np.percentile(gaps, 99)), (layers.layer_slider.maximum() + 1) / elapsed, \
        layers.layer_slider.maximum() + 1


def main() -> str:
    import skimage.data

    photos = Path(skimage.data.__file__).parent
    app = QApplication.instance() or QApplication([])
    from engine.models import load_model
    from guiapp.context import AppContext
    from guiapp.main_window import MainWindow

    ctx = AppContext(QSettings("/tmp/neural-lens-bench.ini", QSettings.Format.IniFormat), device=None)
    ctx.model = load_model(device=ctx.device)
    window = MainWindow(ctx, load_model=False)
    window.skip_unsaved_prompt = True
    window.resize(1360, 860)
    window.show()
    tabs = window.tab_widgets
    rows = []

    sal = tabs["Saliency"]
    window.tabs.setCurrentWidget(sal)
    rows.append(["Classify + saliency (drop a photo)", *measure(app, sal.runner,
                                                                lambda: sal.open_file(str(photos / "chelsea.png"))) ])

    fool = tabs["Fooling"]
    window.tabs.setCurrentWidget(fool)
    fool.open_file(str(photos / "coffee.png"))
    wait_idle(app, fool.classify.runner)
    fool.picker.set_class(76)
    rows.append(["Fooling", *measure(app, fool.runner, fool.run)])
    wait_idle(app, fool.opinion.runner)  # the second opinion (loading Lite1) ends before the next row

    dream = tabs["Dreaming"]
    window.tabs.setCurrentWidget(dream)
    dream.open_file(str(photos / "astronaut.png"))
    from guiapp.tabs.dreaming_tab import MODES

    dream.guide_panel.load_file(str(photos / "coffee.png"))
    for mode in MODES:
        dream.set_mode(mode)
        rows.append([f"Dreaming: {mode}", *measure(app, dream.runner, dream.start)])

    layers = tabs["Layers"]
    window.tabs.setCurrentWidget(layers)
    rows.append(["Layers: analyse a photo (every layer's channels)",
                 *measure(app, layers.analysis.runner, lambda: layers.open_file(str(photos / "chelsea.png")))])
    wait_idle(app, layers.analysis.runner)
    layers.layer_slider.setValue(layers.layer_slider.maximum() // 2)
    rows.append(["Layers: click a channel (its visualization, top patches and saliency at once)",
                 *measure(app, layers.detail.viz_job.runner, lambda: layers.select_channel(0))])
    rows.append(["Layers: scrub every layer with a channel open (each step restarts its three jobs)",
                 *scrub(app, layers)])
    for runner in (layers.detail.viz_job.runner, layers.detail.patches_job.runner, layers.detail.saliency_job.runner):
        runner.stop()
        wait_idle(app, runner)

    cap = tabs["Captioning"]
    window.tabs.setCurrentWidget(cap)
    cap.data_panel.pages.currentWidget().n_train.setValue(2000)   # the job, not the dataset, is measured
    rows.append(["Captioning: build/load the scenes dataset (2000 training images)", *measure(app, cap.data_panel.runner,
                                                                                              cap.data_panel.load, seconds=120)])
    if cap.session.data is not None:
        rows.append(["Captioning: training", *measure(app, cap.train_panel.runner, cap.train_panel.start)])
    window.close()

    out = table("GUI responsiveness while jobs run (10 ms timer on the GUI thread; target: longest gap < 50 ms)",
                ["job", "longest gap ms", "p99 gap ms", "frames shown / s", "frames"],
                [[r[0], round(r[1], 1), round(r[2], 1), round(r[3], 1), r[4]] for r in rows])
    launches = launch_times()
    out += "\n" + table("Launch (python main.py, offscreen)", ["run", "window visible s", "tabs built s", "model ready s"],
                        launches)
    return out


if __name__ == "__main__":
    print(main())
