"""The engine must never import Qt (the one rule of docs/ARCHITECTURE.md)."""
import subprocess
import sys


def test_importing_the_whole_engine_loads_no_qt():
    code = (
        "import importlib, pkgutil, sys, engine\n"
        "for m in pkgutil.walk_packages(engine.__path__, 'engine.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in {'PySide6','PyQt5','PyQt6','shiboken6','qtpy','superqt','pyqtgraph'})\n"  # noqa: E501
        "print(','.join(bad)); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"engine imported Qt modules: {result.stdout} {result.stderr[-2000:]}"
