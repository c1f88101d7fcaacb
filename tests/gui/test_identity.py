"""The application's identity (issue #12, item 5): the icon (SVG and PNG
sizes) on the window, the freedesktop launcher and ``make install-desktop``,
Help ▸ About with the versions (and Copy), ``--version``."""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication, QImage

from guiapp.icon import ICON_SIZES, app_icon
from guiapp.main_window import MainWindow
from guiapp.resources import resource_path, resources_dir

ROOT = Path(__file__).resolve().parents[2]


def test_resources_are_found_beside_the_packages():
    assert resources_dir() == ROOT / "resources"
    assert resource_path("style.qss").is_file()


def test_icon_has_every_size_and_is_the_windows(qtbot, ctx):
    assert "<svg" in resource_path("icon.svg").read_text(encoding="utf-8")
    for size in ICON_SIZES:
        image = QImage(str(resource_path("icons", f"neural-lens-{size}.png")))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel() and image.pixelColor(size // 2, size // 2).alpha() == 255
    icon = app_icon()
    assert sorted(s.width() for s in icon.availableSizes()) == list(ICON_SIZES)
    window = MainWindow(ctx, load_model=False)
    qtbot.addWidget(window)
    assert not window.windowIcon().isNull()
    assert sorted(s.width() for s in window.windowIcon().availableSizes()) == list(ICON_SIZES)


def desktop_entry(path: Path) -> dict:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_the_launcher_opens_photos_with_neural_lens():
    entry = desktop_entry(resource_path("neural-lens.desktop"))
    assert entry["Type"] == "Application" and entry["Name"] == "Neural Lens"
    assert entry["Exec"] == "neural-lens %F" and entry["Icon"] == "neural-lens"
    assert entry["Categories"] == "Education;Science;Graphics;"
    assert {"image/png", "image/jpeg"} <= set(entry["MimeType"].strip(";").split(";"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a freedesktop launcher is Linux's")
def test_make_install_desktop_writes_the_launcher_and_icons(tmp_path):
    assert shutil.which("make"), "make is missing: `make test` and `make install-desktop` need it"
    done = subprocess.run(["make", "-s", "-o", ".venv/.installed", "install-desktop", f"DATA_HOME={tmp_path}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    entry = desktop_entry(tmp_path / "applications" / "neural-lens.desktop")
    assert entry["Exec"] == f'"{ROOT}/.venv/bin/neural-lens" %F'        # this checkout's venv
    assert (tmp_path / "icons/hicolor/scalable/apps/neural-lens.svg").is_file()
    for size in ICON_SIZES:
        assert (tmp_path / f"icons/hicolor/{size}x{size}/apps/neural-lens.png").is_file()


def test_about_shows_the_versions_and_copies_them(qtbot, ctx):
    import PySide6
    import torch

    window = MainWindow(ctx, load_model=False)
    qtbot.addWidget(window)
    dialog = window.show_about()
    qtbot.addWidget(dialog)
    rows = dict(dialog.lines)
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10 (requirements-dev.txt installs tomli there)
        import tomli as tomllib

    declared = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    assert rows["Neural Lens"] == declared
    assert rows["Python"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}.")
    assert rows["PySide6"] == PySide6.__version__ and rows["torch"] == torch.__version__
    assert rows["Device"] == ctx.device_description
    assert rows["Model"] == ctx.model.description
    weights = Path(rows["Weight file"])  # the bundled EfficientNet-Lite0's own file, which exists
    assert weights.is_file() and weights.suffix == ".pth" and "lite0" in weights.name
    text = dialog.text.text()
    assert "PySide6" in text and torch.__version__ in text and "Weight file" in text
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied == dialog.plain_text() and f"torch: {torch.__version__}" in copied
    assert f"Weight file: {rows['Weight file']}" in copied


def test_version_option(capsys):
    from guiapp.app import main

    assert main(["--version"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("neural-lens ") and out[0].split()[1][0].isdigit()
    assert "Python" in out[1] and "PySide6" in out[1] and "torch" in out[1]


def test_version_from_main_py_without_loading_qt_widgets_or_torch():
    code = ("import sys, runpy; sys.argv = ['main.py', '--version']\n"
            "try:\n    runpy.run_path('main.py', run_name='__main__')\nexcept SystemExit as e:\n    rc = e.code\n"
            "print('loaded:', 'torch' in sys.modules, 'PySide6.QtWidgets' in sys.modules, rc)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("neural-lens ")
    assert done.stdout.strip().endswith("loaded: False False 0")


def test_about_keeps_each_name_and_the_title_on_one_line(qtbot, ctx):
    """QA (session 7) saw "Neural Lens" and "Weight file" broken over two lines at the dialog's width."""
    from PySide6.QtGui import QTextDocument

    window = MainWindow(ctx, load_model=False)
    qtbot.addWidget(window)
    dialog = window.show_about()
    qtbot.addWidget(dialog)
    doc = QTextDocument()
    doc.setDefaultFont(dialog.text.font())
    doc.setHtml(dialog.text.text())
    doc.setTextWidth(120)  # far narrower than the dialog: only "nowrap" keeps the names whole
    doc.documentLayout()  # lays the document out
    names = {k for k, _ in dialog.lines} | {f"Neural Lens {dialog.lines[0][1]}"}
    block, seen = doc.begin(), set()
    while block.isValid():
        name = block.text().replace("\u00a0", " ").strip()
        if name in names:
            assert block.layout().lineCount() == 1, name
            seen.add(name)
        block = block.next()
    assert {"Weight file", "Neural Lens", f"Neural Lens {dialog.lines[0][1]}"} <= seen
