"""Screenshots of the real window, taken under a virtual X server (Xvfb).

    apt-get install -y xvfb xdotool imagemagick libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
    .venv/bin/python tools/screenshots.py [--out docs/screenshots] [--extra /tmp/shots]

Starts Xvfb (1366x768, the smallest common laptop screen), then the app the
way a user does (``main.py chelsea.jpg``, fresh settings), and drives it:
the README's pictures (Saliency with its map, Fooling after a run, Layers with a channel, Dreaming's
class visualization and a DeepDream whose sliders are dragged while it runs, Captioning's gradient
checks, and an LSTM with attention trained on the scenes, with where it looked) go to
``--out``; with ``--extra``, also the Look inside page of that model, the sample menu, the one photo
in every tab, About, the dark theme and the start-up message on a machine without the xcb libraries
(a terminal capture of the real message: an ``ldd`` that reports two libraries missing).
Every picture is Qt's own grab of the window, except the menu (``import
-window root``, which sees pop-ups).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "resources" / "samples" / "chelsea.jpg"
SCREEN = "1366x768x24"


def start_xvfb() -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(["Xvfb", "-displayfd", "1", "-screen", "0", SCREEN, "-nolisten", "tcp"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    number = server.stdout.readline().strip()
    if not number:
        server.kill()
        raise SystemExit("Xvfb did not start (apt-get install xvfb)")
    return server, f":{number}"


def run_inside(args: argparse.Namespace, display: str) -> int:
    """This script again, as the app's process, on ``display`` with fresh settings."""
    with tempfile.TemporaryDirectory(prefix="neural-lens-shots-") as home:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", NEURAL_LENS_SHOTS_INSIDE="1",
                   XDG_CONFIG_HOME=f"{home}/config", XDG_DATA_HOME=f"{home}/data", XDG_CACHE_HOME=f"{home}/cache")
        env.pop("WAYLAND_DISPLAY", None)
        command = [sys.executable, __file__, "--out", str(args.out)] + (["--extra", str(args.extra)] if args.extra else [])
        return subprocess.run(command, env=env, cwd=ROOT, timeout=900).returncode


def startup_message_shot(extra: Path, display: str) -> None:
    """The real start-up message, from ``main.py`` with an ``ldd`` that finds two libraries missing."""
    from PIL import Image, ImageDraw, ImageFont

    with tempfile.TemporaryDirectory() as tmp:
        fake = Path(tmp) / "ldd"
        fake.write_text("#!/bin/sh\nprintf '\\tlibxcb-icccm.so.4 => not found\\n\\tlibxcb-keysyms.so.1 => not found\\n'\n")
        fake.chmod(0o755)
        env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
        env.update(DISPLAY=display, PATH=f"{tmp}{os.pathsep}{env['PATH']}")
        done = subprocess.run([sys.executable, "main.py", str(SAMPLE.relative_to(ROOT))], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    lines = [f"$ python main.py {SAMPLE.relative_to(ROOT)}"]
    for paragraph in done.stderr.rstrip("\n").split("\n"):
        lines += textwrap.wrap(paragraph, 96, drop_whitespace=False) or [""]
    lines += ["$ echo $?", str(done.returncode)]
    (extra / "startup-message.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 15)
    image = Image.new("RGB", (16 + 9 * 98, 16 + 20 * len(lines)), "#1e1e1e")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((8, 8 + 20 * row), line, font=font, fill="#7ec97e" if line.startswith("$") else "#e6e6e6")
    image.save(extra / "startup-message.png")


def montage(paths: list[Path], out: Path, columns: int = 2, scale: float = 0.5) -> None:
    from PIL import Image

    images = [Image.open(p).convert("RGB") for p in paths]
    images = [im.resize((int(im.width * scale), int(im.height * scale)), Image.Resampling.LANCZOS) for im in images]
    w, h = images[0].size
    rows = (len(images) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * w + (columns - 1) * 6, rows * h + (rows - 1) * 6), "#808080")
    for i, im in enumerate(images):
        sheet.paste(im, ((i % columns) * (w + 6), (i // columns) * (h + 6)))
    sheet.save(out)


def save_small(widget, path: Path) -> None:
    """The README's pictures: Qt's grab, quantised to 256 colours (a third of the size, no visible change)."""
    from PIL import Image

    widget.grab().save(str(path))
    image = Image.open(path).convert("RGB")
    image.quantize(256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.FLOYDSTEINBERG).save(path, optimize=True)


def story(window, out: Path, extra: Path | None):
    """The steps, each yielding a condition to wait for (or a number of milliseconds)."""
    from PySide6.QtCore import QPoint

    from guiapp.tabs.dreaming_modes import CLASSVIZ, DREAM

    yield lambda: window.ctx is not None and window.ctx.model is not None
    ctx, tabs = window.ctx, window.tab_widgets
    shared = []

    def show(title: str):
        window.tabs.setCurrentWidget(tabs[title])

    captioning = tabs["Captioning"]
    show("Captioning")
    captioning.show_page("Caption")
    yield lambda: captioning.caption_panel.image_panel.image is not None
    yield 600
    if extra:  # for the one-photo-in-four-tabs montage
        caption_page = extra / "captioning-caption-page.png"
        window.grab().save(str(caption_page))
        shared.append(caption_page)
    captioning.show_page("Check the layers")     # every hand-written backward pass against numerical gradients
    captioning.gradcheck_panel.run_button.click()
    yield lambda: captioning.gradcheck_panel.results and not captioning.gradcheck_panel.runner.is_running
    yield 600
    save_small(window, out / "captioning.png")
    captioning.show_page("Caption")

    saliency = tabs["Saliency"]
    show("Saliency")
    yield lambda: saliency.result is not None and not saliency.runner.is_running and saliency.classify.predictions
    yield 800
    save_small(window, out / "saliency.png")
    shared.append(out / "saliency.png")

    fooling = tabs["Fooling"]
    show("Fooling")
    yield lambda: len(fooling.classify.predictions) == 5
    fooling.picker.set_class(ctx.model.class_index("goldfish"))
    fooling.run_button.click()
    yield lambda: fooling.result is not None and not fooling.runner.is_running
    yield 800
    save_small(window, out / "fooling.png")
    fooling.forget_unsaved()       # nothing to ask about when the story closes the window

    dreaming = tabs["Dreaming"]
    show("Dreaming")
    dreaming.set_mode(DREAM)   # the mode with the source photo in view
    yield 600
    if extra is not None:
        window.grab().save(str(extra / "dreaming-source.png"))
        shared.append(extra / "dreaming-source.png")
    dreaming.set_mode(CLASSVIZ)
    dreaming.picker.set_class(ctx.model.class_index("goldfinch"))
    dreaming.start_button.click()
    yield lambda: not dreaming.runner.is_running and dreaming.current is not None
    yield 800
    save_small(window, out / "dreaming.png")

    layers = tabs["Layers"]
    show("Layers")
    yield lambda: layers.layer_slider.isEnabled()
    layers.layer_slider.setValue(ctx.model.layer_names.index("blocks.8"))
    layers.select_channel(int(layers._order[0]))   # the most active channel of blocks.8 for the photo
    detail = layers.detail
    yield lambda: detail.saliency_panel.image is not None and detail.patches_panel.image is not None
    yield lambda: not detail.viz_job.is_running
    yield 800
    save_small(window, out / "layers.png")

    show("Dreaming")                 # a DeepDream running while its sliders are dragged
    dreaming.set_mode(DREAM)
    dreaming.form.widgets["steps"].setValue(200)
    dreaming.start_button.click()
    yield lambda: dreaming.result_panel.image is not None
    dreaming.form.sliders["lr"].setValue(4.0)
    dreaming.form.sliders["jitter"].setValue(64)
    yield 1500
    save_small(window, out / "dreaming-sliders.png")
    dreaming.stop_button.click()
    yield lambda: not dreaming.runner.is_running

    # the LSTM with attention, trained here on a quarter of the scenes (about a minute), and where it looked
    show("Captioning")
    captioning.show_page("Data")
    options = captioning.data_panel.pages.currentWidget()
    options.n_train.setValue(3000)
    options.features.setCurrentIndex(options.features.findData(True))   # the 4x4 grid
    loaded = []
    captioning.session.data_changed.connect(lambda *_: loaded.append(True))
    captioning.data_panel.load_button.click()
    yield lambda: loaded
    captioning.show_page("Train")
    train = captioning.train_panel
    train.cell.setCurrentIndex(train.cell.findData("attention"))
    train.epochs.setValue(4)
    train.start_button.click()
    yield lambda: train.is_running
    yield lambda: not train.is_running
    captioning.show_page("Caption")
    captions = captioning.caption_panel
    shown = []
    captions.caption_ready.connect(lambda result: shown.append(result))
    captions.show_dataset_image("test", 0)
    yield lambda: shown and "test" in shown[-1].source    # not a caption of the photo still on its way
    words = shown[-1].steps
    captions.attention.show_word(words.index("small") + 1 if "small" in words[:-1] else 1)
    yield 800
    save_small(window, out / "captioning-attention.png")
    if extra is None:
        return
    captioning.show_page("Look inside")
    yield 1000
    window.grab().save(str(extra / "captioning-look-inside.png"))

    montage([shared[1], out / "fooling.png", shared[2], shared[0]], extra / "shared-photo.png")   # one photo, four tabs
    dialog = window.show_about()
    yield 600
    dialog.grab().save(str(extra / "about.png"))
    dialog.close()

    file_menu = window.menuBar().actions()[0].menu()
    file_menu.popup(window.mapToGlobal(QPoint(0, window.menuBar().height())))
    yield 300
    anchor = file_menu.actionGeometry(window.sample_menu.menuAction())
    window.sample_menu.popup(file_menu.mapToGlobal(anchor.topRight()))
    yield 600
    subprocess.run(["import", "-window", "root", str(extra / "sample-menu.png")], check=True, timeout=60)
    window.sample_menu.close()
    file_menu.close()

    window.view_menu.set_theme("dark")
    show("Saliency")
    yield 800
    window.grab().save(str(extra / "dark-theme.png"))
    show("Dreaming")
    yield 400
    window.grab().save(str(extra / "dark-theme-dreaming.png"))


def inside(args: argparse.Namespace) -> int:
    """In the app's process: run the app on the sample photo and play :func:`story`."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from guiapp.app import run_gui
    from guiapp.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    state = {"steps": None, "wait": None, "failed": None, "waited": 0}
    pump = QTimer()

    def finish(error: str | None = None) -> None:
        state["failed"] = error
        pump.stop()
        window = next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)), None)
        if window is not None:
            window.skip_unsaved_prompt = True
            window.close()

    def tick() -> None:
        if state["steps"] is None:
            window = next((w for w in app.topLevelWidgets() if isinstance(w, MainWindow)), None)
            if window is None:
                return
            state["steps"] = story(window, args.out, args.extra)
        wait = state["wait"]
        if isinstance(wait, int):
            state["waited"] += pump.interval()
            if state["waited"] < wait:
                return
        elif callable(wait) and not wait():
            state["waited"] += pump.interval()
            if state["waited"] > 300_000:
                finish("timed out waiting")
            return
        try:
            state["wait"], state["waited"] = next(state["steps"]), 0
        except StopIteration:
            finish()
        except Exception as exc:  # noqa: BLE001 - report and close the window
            finish(f"{type(exc).__name__}: {exc}")

    pump.timeout.connect(tick)
    pump.start(100)
    code = run_gui(files=[str(SAMPLE)])
    if state["failed"]:
        print(f"screenshots: {state['failed']}", file=sys.stderr)
        return 1
    return code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--extra", type=Path, default=None, help="also the issue's extra pictures, here")
    args = parser.parse_args()
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.extra:
        args.extra = args.extra.resolve()
        args.extra.mkdir(parents=True, exist_ok=True)
    if os.environ.get("NEURAL_LENS_SHOTS_INSIDE"):
        return inside(args)
    if shutil.which("Xvfb") is None:
        raise SystemExit("needs Xvfb: apt-get install -y xvfb imagemagick libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1")
    server, display = start_xvfb()
    try:
        code = run_inside(args, display)
        if args.extra and code == 0:
            startup_message_shot(args.extra, display)
    finally:
        server.terminate()
        server.wait(10)
    for path in sorted(list(args.out.glob("*.png")) + (list(args.extra.glob("*.png")) if args.extra else [])):
        print(path)
    return code


if __name__ == "__main__":
    sys.exit(main())
