"""The classification architectures a state dict may belong to, and their
key-set signatures.

An architecture id is a torchvision model name (``resnet18``; ``googlenet-noaux``
and ``inception_v3-noaux`` are the same networks built without their auxiliary
heads) or ``timm/NAME`` for any timm model.  Every network is built with
``weights=None`` / ``pretrained=False``: nothing is downloaded.

A *signature* is what can be compared without building a network: the number
of state-dict keys, a hash of the sorted key names (the keys do not depend on
the number of classes) and the set of top-level module names (for saying which
architecture is closest when none fits).  Building all ~1450 networks to learn
their keys takes minutes, so the signatures ship in
``engine/models/data/arch_signatures.json.gz`` (written by
``tools/arch_signatures.py``); architectures a newer timm or torchvision adds
are built on demand (on the ``meta`` device: no memory, no initialisation) and
their signatures kept in the per-user cache.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import torch
from torch import nn

__all__ = ["TIMM_PREFIX", "all_archs", "build", "key_hash", "signature_of", "signatures", "is_timm"]

TIMM_PREFIX = "timm/"
SHIPPED = Path(__file__).with_name("data") / "arch_signatures.json.gz"
_NOAUX = {"googlenet-noaux": "googlenet", "inception_v3-noaux": "inception_v3"}


def is_timm(arch: str) -> bool:
    return arch.startswith(TIMM_PREFIX)


@lru_cache(maxsize=1)
def torchvision_archs() -> tuple[str, ...]:
    """torchvision's image classifiers (not detection, segmentation, video, optical flow)."""
    import torchvision.models as tvm

    names = tuple(tvm.list_models(module=tvm))
    return names + tuple(v for v, base in _NOAUX.items() if base in names)


@lru_cache(maxsize=1)
def timm_archs() -> tuple[str, ...]:
    try:
        import timm
    except ImportError:
        return ()
    return tuple(TIMM_PREFIX + name for name in timm.list_models())


def all_archs() -> tuple[str, ...]:
    return torchvision_archs() + timm_archs()


def build(arch: str, num_classes: int | None = None, *, meta: bool = False, **kwargs) -> nn.Module:
    """The network ``arch`` with ``num_classes`` outputs (its default when
    ``None``), random weights; on the ``meta`` device when ``meta`` (shapes
    only: fast, no memory)."""
    extra = dict(kwargs)
    if num_classes is not None:
        extra["num_classes"] = int(num_classes)
    device = torch.device("meta") if meta else torch.device("cpu")
    with device:
        if is_timm(arch):
            import timm

            return timm.create_model(arch[len(TIMM_PREFIX):], pretrained=False, **extra)
        import torchvision.models as tvm

        name = _NOAUX.get(arch, arch)
        if name in ("googlenet", "inception_v3"):
            extra.setdefault("aux_logits", arch not in _NOAUX)
            extra.setdefault("init_weights", False)
        return tvm.get_model(name, weights=None, **extra)


def key_hash(keys: Iterable[str]) -> str:
    return hashlib.sha1("\n".join(sorted(keys)).encode()).hexdigest()[:16]


def top_names(keys: Iterable[str]) -> list[str]:
    return sorted({k.split(".", 1)[0] for k in keys})


def signature_of(arch: str) -> dict:
    """``{"n": key count, "h": key hash, "top": top-level names}`` of ``arch``."""
    try:
        net = build(arch, meta=True)
    except NotImplementedError:  # a constructor that reads tensor values (torchvision's RegNets)
        net = build(arch)
    keys = list(net.state_dict())
    return {"n": len(keys), "h": key_hash(keys), "top": top_names(keys)}


def _user_cache() -> Path:
    from platformdirs import user_cache_dir

    root = os.environ.get("XDG_CACHE_HOME")
    base = Path(root) / "neural-lens" if root else Path(user_cache_dir("neural-lens"))
    return base / "arch_signatures.json"


def _read_json(path: Path, opener=open) -> dict:
    try:
        with opener(path, "rt", encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def signatures(*, complete: bool = False) -> dict[str, dict]:
    """Signatures of the architectures installed here: the shipped ones and
    the per-user cache; with ``complete``, the missing ones are built now and
    cached (minutes when timm is much newer than the shipped table)."""
    known = {**_read_json(SHIPPED, gzip.open).get("archs", {}), **_read_json(_user_cache()).get("archs", {})}
    installed = all_archs()
    table = {a: known[a] for a in installed if a in known}
    missing = [a for a in installed if a not in known]
    if complete and missing:
        for arch in missing:
            try:
                table[arch] = signature_of(arch)
            except Exception:  # an architecture that does not build with defaults: never a candidate
                table[arch] = {"n": 0, "h": "", "top": []}
        _save_user_cache({a: table[a] for a in missing})
    return table


def _save_user_cache(new: dict) -> None:
    from ..atomic import atomic_write

    path = _user_cache()
    data = _read_json(path).get("archs", {})
    data.update(new)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as f:
            f.write(json.dumps({"archs": data}).encode())
    except OSError:  # a read-only cache folder: the signatures are built again next time
        pass
