"""Code a person can read (DESIGN.md, issue #24): no function in the engine or
the window over 60 lines, no source file over 400 lines.  The function count
is `tools/long_functions.py`'s (``python tools/long_functions.py`` lists them)."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "guiapp")
MAX_FUNCTION_LINES = 60
MAX_FILE_LINES = 400


def _tool():
    spec = importlib.util.spec_from_file_location("long_functions", ROOT / "tools" / "long_functions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_function_over_60_lines():
    tool = _tool()
    found = [f"{path.relative_to(ROOT)}:{line} {name} ({length} lines)"
             for package in PACKAGES for path in tool.python_files(ROOT / package)
             for line, length, name in tool.long_functions(path, MAX_FUNCTION_LINES)]
    assert not found, "split these into named pieces:\n" + "\n".join(found)


def test_the_count_sees_a_long_function_nested_or_in_a_class(tmp_path):
    """The check itself: 61 lines is too long, 60 is not; decorators are not counted; methods are
    found, and a nested function counts in its parent's length and on its own."""
    def function(name: str, lines: int, indent: str = "") -> str:
        body = "".join(f"{indent}    x{i} = {i}\n" for i in range(lines - 2))
        return f"{indent}def {name}():\n{body}{indent}    return 0\n"

    source = ("@staticmethod\n" + function("sixty", 60) + "\n"
              + "class C:\n" + function("method", 61, "    ") + "\n"
              + "def outer():\n" + function("inner", 61, "    ") + "    return inner\n")
    path = tmp_path / "m.py"
    path.write_text(source, encoding="utf-8")
    found = {name: length for _line, length, name in _tool().long_functions(path, MAX_FUNCTION_LINES)}
    assert found == {"C.method": 61, "outer": 63, "outer.inner": 61}


def test_no_source_file_over_400_lines():
    found = [f"{path.relative_to(ROOT)} ({n} lines)" for package in PACKAGES
             for path in sorted((ROOT / package).rglob("*.py"))
             if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_FILE_LINES]
    assert not found, "split these into modules named for what they do:\n" + "\n".join(found)
