"""Replace the generated part of README.md between two markers,
``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` (written atomically), so a
tool can refresh its figures without touching the prose around them."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.atomic import atomic_write  # noqa: E402


def replace_section(path: Path, name: str, text: str) -> None:
    """Put ``text`` between the ``name`` markers of ``path`` (both must be there, once each)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    old = path.read_text(encoding="utf-8")
    if old.count(start) != 1 or old.count(end) != 1 or old.index(start) > old.index(end):
        raise SystemExit(f"{path}: needs one '{start}' line and one '{end}' line after it")
    head, rest = old.split(start)
    _, tail = rest.split(end)
    with atomic_write(path) as handle:
        handle.write(f"{head}{start}\n{text.strip()}\n{end}{tail}".encode())


def publish(text: str, summary: Path, name: str, readme: bool) -> None:
    """Write ``text`` to ``summary``, print it, and with ``readme`` put it between README.md's ``name`` markers."""
    summary.write_text(text, encoding="utf-8")
    print(text)
    if readme:
        replace_section(Path(__file__).resolve().parents[1] / "README.md", name, text)
        print("README.md updated")
