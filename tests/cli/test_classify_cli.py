"""``classify``, ``models`` and ``layers`` from the command line."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_classify_json(photo_dir, capsys):
    assert main(["--device", "cpu", "classify", str(photo_dir / "coffee.png"), "--top", "3", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    preds = out["predictions"]
    assert len(preds) == 3 and preds[0]["label"] == "espresso" and preds[0]["index"] == 967
    assert preds[0]["prob"] > 0.5 and set(preds[0]) == {"index", "label", "prob"}


def test_classify_text(photo_dir, capsys):
    assert main(["classify", str(photo_dir / "chelsea.png")]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 5 and "cat" in lines[0]


def test_models_and_layers(capsys):
    assert main(["models", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["models"][0]["name"] == "efficientnet_lite0"
    assert main(["layers"]) == 0
    layers = capsys.readouterr().out.split()
    assert layers[0] == "stem" and layers[-1] == "head" and len(layers) == 18


@pytest.mark.parametrize("argv, message", [
    (["classify", "/no/such/file.png"], "no such file"),
    (["classify", "{text}"], "not an image"),
    (["classify", "{photo}", "--model", "nonsense"], "unknown model"),
    (["classify", "{photo}", "--top", "0"], "--top"),
    (["layers", "--model", "vgg16"], "no weight file"),
])
def test_errors_are_one_line_and_non_zero(argv, message, tmp_path, photo_dir, fails_in_one_line):
    text = tmp_path / "notes.png"
    text.write_text("hello")
    fails_in_one_line([a.format(text=text, photo=photo_dir / "chelsea.png") for a in argv], message)


def test_main_py_runs_headless_without_qt(photo_dir):
    code = ("import sys, runpy; sys.argv = ['main.py', 'classify', sys.argv[1], '--json', '--top', '1'];"
            "import guiapp.app as a; rc = a.main(sys.argv[1:]);"
            "assert not any(m.startswith('PySide6') for m in sys.modules), 'Qt loaded'; sys.exit(rc)")
    result = subprocess.run([sys.executable, "-c", code, str(photo_dir / "chelsea.png")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["predictions"][0]["index"] in (281, 282, 285)
    bad = subprocess.run([sys.executable, "main.py", "classify", "/nope.png"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and bad.stderr.strip() == "error: /nope.png: no such file"
