"""The mutation-testing table for README.md, from mutmut's results (``mutants/**/*.meta``).

    python tools/mutation_table.py            (after `make mutate`, or while it runs)

One row per mutated module: mutants, checked so far (``complete`` when every mutant was tried,
``partial`` when the run was stopped part way, ``not run``), killed (a test failed or the mutant
timed out), survived, no test covering it; score = killed / checked.  Survivors: ``mutmut results``,
``mutmut show NAME``.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

KILLED = {1, 3, 24, -24, 36, 152, 255}  # mutmut's exit codes for "killed" and "timeout"
NO_TESTS = {5, 33}


def rows(root: Path = Path("mutants")) -> list[tuple[str, int, int, int, int, int]]:
    """(module, mutants, checked, killed, survived, no tests) per ``.meta`` file under ``root``."""
    out = []
    for meta in sorted(root.rglob("*.py.meta")):
        codes = Counter(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].values())
        total = sum(codes.values())
        checked = total - codes[None]
        killed = sum(n for code, n in codes.items() if code in KILLED)
        no_tests = sum(n for code, n in codes.items() if code in NO_TESTS)
        out.append((str(meta.relative_to(root))[: -len(".meta")], total, checked, killed, codes[0], no_tests))
    return out


def main() -> int:
    table = rows()
    if not table:
        raise SystemExit("no mutmut results under mutants/: run `make mutate` first")
    print("| module | mutants | checked | killed | survived | no test | killed / checked |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for module, total, checked, killed, survived, no_tests in table:
        score = f"{killed / checked:.0%}" if checked else "–"
        run = "complete" if checked == total else "partial" if checked else "not run"
        print(f"| `{module}` | {total} | {checked}, {run} | {killed} | {survived} | {no_tests} | {score} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
