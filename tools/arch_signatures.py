"""Write ``engine/models/data/arch_signatures.json.gz``: the key-set signature
of every torchvision and timm classification architecture installed here
(see :mod:`engine.models.arch_catalog`).  Run again after upgrading timm or
torchvision: ``.venv/bin/python tools/arch_signatures.py`` (minutes: every
network is built once, on the ``meta`` device)."""
from __future__ import annotations

import gzip
import json
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.models.arch_catalog import SHIPPED, all_archs, signature_of  # noqa: E402


def main() -> int:
    import timm
    import torchvision

    warnings.filterwarnings("ignore")
    table, failed = {}, []
    for i, arch in enumerate(all_archs()):
        try:
            table[arch] = signature_of(arch)
        except Exception as exc:  # noqa: BLE001 - listed, never a candidate
            failed.append(f"{arch}: {type(exc).__name__}")
        if i % 100 == 0:
            print(f"{i} {arch}", file=sys.stderr)
    data = {"timm": timm.__version__, "torchvision": torchvision.__version__, "archs": table}
    SHIPPED.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(SHIPPED, "wt", encoding="utf-8") as f:
        json.dump(data, f, separators=(",", ":"))
    print(f"{len(table)} signatures written to {SHIPPED}; {len(failed)} failed: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
