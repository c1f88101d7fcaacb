"""List functions longer than a limit (default 60 lines), outside tests/ and tools/.

    python tools/long_functions.py [--limit 60] [DIR ...]     (default: engine guiapp)

A function's length runs from its ``def`` line (decorators not counted) to its last line, nested
functions included in their parent's length and also listed on their own.  Prints
``path:line  lines  qualified.name`` longest first and a count per top-level directory.
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

SKIP_DIRS = {"tests", "tools", ".venv", ".git", "build"}


def long_functions(path: Path, limit: int) -> list[tuple[int, int, str]]:
    """(line, length, qualified name) of each function in ``path`` longer than ``limit`` lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                length = child.end_lineno - child.lineno + 1
                if length > limit:
                    found.append((child.lineno, length, name))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def python_files(root: Path):
    for path in sorted(root.rglob("*.py")):
        if not SKIP_DIRS.intersection(path.parts):
            yield path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=60, help="longest allowed function (lines)")
    parser.add_argument("dirs", nargs="*", default=["engine", "guiapp"])
    args = parser.parse_args(argv)
    counts: dict[str, int] = {}
    rows = []
    for top in args.dirs:
        counts[top] = 0
        for path in python_files(Path(top)):
            for line, length, name in long_functions(path, args.limit):
                rows.append((length, f"{path}:{line}", name))
                counts[top] += 1
    for length, where, name in sorted(rows, reverse=True):
        print(f"{where:55} {length:4}  {name}")
    for top, n in counts.items():
        print(f"{top}: {n} function(s) over {args.limit} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
