"""Memory while streaming 1000 frames through JobRunner into an ImagePanel:
resident memory must not grow with the number of frames.

Run: QT_QPA_PLATFORM=offscreen .venv/bin/python tests/bench/bench_streaming_memory.py
"""
from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _util import rss_mib, table
from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication

from engine.jobs import Control, Frame
from guiapp.jobrunner import JobRunner
from guiapp.widgets.image_panel import ImagePanel


def frames(n: int, control: Control):
    rng = np.random.default_rng(0)
    for i in range(n):
        img = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
        yield Frame(step=i + 1, total=n, image=img, metrics={"v": float(i)})
        if control.cancelled:
            return


def stream(app: QApplication, panel: ImagePanel, n: int) -> int:
    runner = JobRunner()
    shown = []
    runner.frame.connect(lambda f: (panel.set_image(f.image), shown.append(f.step)))
    loop = QEventLoop()
    runner.done.connect(lambda _r: loop.quit())
    control = Control()
    runner.start(lambda: frames(n, control), control)
    loop.exec()
    return len(shown)


def main() -> str:
    app = QApplication.instance() or QApplication([])
    panel = ImagePanel()
    panel.resize(400, 400)
    panel.show()
    stream(app, panel, 200)  # warm-up: caches, pools
    gc.collect()
    rows = []
    base = rss_mib()
    for n in (1000, 1000):
        shown = stream(app, panel, n)
        gc.collect()
        rows.append([n, shown, round(rss_mib(), 1), round(rss_mib() - base, 1)])
    return table("Streaming 1000 frames (224x224) through JobRunner into an ImagePanel",
                 ["frames yielded", "frames shown", "RSS MiB after", "growth MiB vs warm start"], rows)


if __name__ == "__main__":
    print(main())
