"""A channel click in the Layers tab with a 10k-photo index open (issue #25: top photos shown in < 100 ms).

Generates N photos (JPEG 320x240, deleted afterwards), indexes them with EfficientNet-Lite0 for the layer
``stem`` (its first convolution: the pass stops there, so the index is made in minutes on a CPU), opens the
Layers tab offscreen with that index, and times select_channel -> the top-9 patches drawn, for 20 channels.

Run: QT_QPA_PLATFORM=offscreen nice .venv/bin/python tests/bench/bench_index_click.py [--photos 10000]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_index import generate  # noqa: E402


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--photos", type=int, default=10000)
    p.add_argument("--layer", default="stem")
    args = p.parse_args()
    from PySide6.QtCore import QCoreApplication, QSettings
    from PySide6.QtWidgets import QApplication

    from engine.index import index_job
    from engine.jobs import run_to_end
    from engine.models import load_model
    from guiapp.context import AppContext
    from guiapp.tabs.layers_tab import LayersTab

    app = QApplication.instance() or QApplication([])
    model = load_model(device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        generate(tmp / "photos", args.photos)
        print(f"generated {args.photos} photos in {time.perf_counter() - t0:.0f} s", flush=True)
        out = tmp / "photos.nlindex"
        last, _ = run_to_end(index_job(model, str(tmp / "photos"), out, layers=[args.layer], k=16, batch=32))
        s = last.info
        print(f"indexed {s.photos} photos for {args.layer} in {s.seconds:.0f} s ({s.photos / s.seconds:.0f} photos/s); "
              f"index file {out.stat().st_size / 2**20:.1f} MiB", flush=True)
        ctx = AppContext(QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat), device="cpu")
        ctx.model = model
        tab = LayersTab(ctx)
        tab.show()
        assert tab.index.open_index(str(out)) and tab.index.photos == args.photos
        tab.open_file(str(next((tmp / "photos").iterdir())))
        while not tab.layer_slider.isEnabled():
            QCoreApplication.processEvents()
        tab.layer_slider.setValue(model.layer_names.index(args.layer))
        detail, times = tab.detail, []
        for channel in range(20):
            detail.shown_patches = []
            t0 = time.perf_counter()
            tab.select_channel(channel)
            while not (detail.shown_patches and detail.opened == (args.layer, channel)):
                QCoreApplication.processEvents()
            times.append(1000 * (time.perf_counter() - t0))
            detail.viz_job.discard()
            detail.viz_job.wait(5000)
        tab.shutdown()
        times.sort()
        print(f"channel click -> top-9 patches from a {args.photos}-photo index: median {statistics.median(times):.0f} ms, "
              f"worst {times[-1]:.0f} ms, best {times[0]:.0f} ms (20 channels of {args.layer})")
    app.quit()


if __name__ == "__main__":
    main()
