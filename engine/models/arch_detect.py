"""Which architecture a state dict belongs to, found from its keys and shapes.

1. The key names are hashed and looked up in the catalogue of signatures
   (:mod:`engine.models.arch_catalog`): only architectures with exactly these
   keys remain (no network is built for the others).
2. For each, the classifier head is located by building the network (on the
   ``meta`` device: shapes only) with two different class counts; the tensors
   whose shapes change are the head, and the file's shape there gives the
   number of classes.
3. The network with that many classes must then match every shape.

Several fits (e.g. ``timm/deit_tiny_patch16_224`` and
``timm/vit_tiny_patch16_224``, the same network) are returned for the caller
to choose; timm's fits give way to a torchvision network that fits (``resnet18`` over
``timm/resnet18`` and ``timm/resnetblur18``, whose blur has no weights;
``--arch`` still picks them).  No fit raises :class:`NoArchitecture` naming the
closest architecture and what differs.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch

from .arch_catalog import build, is_timm, key_hash, signatures, top_names

__all__ = ["ArchFit", "NoArchitecture", "find_architectures", "head_classes"]

_PROBE_CLASSES = (1000, 7)
MAX_CANDIDATES = 40


@dataclass(frozen=True)
class ArchFit:
    """An architecture that fits, its class count, and for a greyscale
    fine-tune the key of the first convolution's weight that reads 1 channel."""

    arch: str
    num_classes: int
    grey_stem: str | None = None


class NoArchitecture(ValueError):
    """No known architecture has this state dict's keys and shapes."""


def _shapes(net) -> dict[str, tuple[int, ...]]:
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


@lru_cache(maxsize=256)
def _meta_shapes(arch: str, num_classes: int) -> dict[str, tuple[int, ...]]:
    """The state-dict shapes of ``arch`` with ``num_classes`` classes (cached: do not change the result)."""
    try:
        return _shapes(build(arch, num_classes, meta=True))
    except NotImplementedError:  # constructors that read tensor values: build for real
        return _shapes(build(arch, num_classes))


def head_classes(arch: str, file_shapes: dict[str, tuple[int, ...]]) -> int | None:
    """The number of classes ``file_shapes`` give ``arch``'s head, ``None`` when they do not agree."""
    a, b = (_meta_shapes(arch, n) for n in _PROBE_CLASSES)
    found: set[int] = set()
    for key, shape_a in a.items():
        shape_b = b.get(key)
        if shape_b == shape_a or shape_b is None or key not in file_shapes or len(file_shapes[key]) != len(shape_a):
            continue
        for dim, (x, y) in enumerate(zip(shape_a, shape_b)):
            if x != y:
                found.add(file_shapes[key][dim])
    return found.pop() if len(found) == 1 else None


def _differences(expected: dict[str, tuple], actual: dict[str, tuple]) -> tuple[list[str], list[str], list[str]]:
    missing = [k for k in expected if k not in actual]
    unexpected = [k for k in actual if k not in expected]
    shapes = [f"{k}: file {list(actual[k])}, {list(expected[k])} expected" for k in expected
              if k in actual and expected[k] != actual[k]]
    return missing, unexpected, shapes


def _dedupe(fits: list[ArchFit]) -> list[ArchFit]:
    """torchvision's fits only, when there are any: timm's look-alikes (``resnetblur18`` has
    ``resnet18``'s tensors, ``timm/resnet18`` is the same network) are chosen with ``--arch``."""
    torchvision = [f for f in fits if not is_timm(f.arch)]
    return torchvision or fits


def _grey_stem(expected: dict, file_shapes: dict, diff: tuple) -> str | None:
    """The key of the one convolution that reads 1 channel where the architecture reads 3, if that is all that differs."""
    missing, unexpected, shapes = diff
    if missing or unexpected or len(shapes) != 1:
        return None
    key = shapes[0].split(":", 1)[0]
    want, got = expected[key], file_shapes[key]
    if len(want) == 4 and want[1] == 3 and got[1] == 1 and (want[0], *want[2:]) == (got[0], *got[2:]):
        return key
    return None


def _only_head_or_stem(default: dict, file_shapes: dict) -> bool:
    """Whether every shape that differs from the default network (1000 classes) differs where a head
    of another class count would (a 1000 there) or as a greyscale stem would (1 input channel, not 3)."""
    for key, want in default.items():
        got = file_shapes[key]
        if want == got:
            continue
        if len(want) != len(got):
            return False
        head = all(w == _PROBE_CLASSES[0] for w, g in zip(want, got) if w != g)
        stem = len(want) == 4 and (want[0], *want[2:]) == (got[0], *got[2:]) and (want[1], got[1]) == (3, 1)
        if not (head or stem):
            return False
    return True


def _try(arch: str, file_shapes: dict) -> tuple[ArchFit | None, tuple]:
    default = _meta_shapes(arch, _PROBE_CLASSES[0])
    diff = _differences(default, file_shapes)
    if diff[0] or diff[1] or not _only_head_or_stem(default, file_shapes):  # one build decides most candidates
        return None, diff
    num = head_classes(arch, file_shapes)
    expected = _meta_shapes(arch, num if num is not None else _PROBE_CLASSES[0])
    diff = _differences(expected, file_shapes)
    if num is None:
        return None, diff
    if not any(diff):
        return ArchFit(arch, num), diff
    stem = _grey_stem(expected, file_shapes, diff)
    return (ArchFit(arch, num, stem) if stem else None), diff


def find_architectures(state: dict[str, torch.Tensor], *, only: str | None = None) -> list[ArchFit]:
    """Every catalogued architecture whose network has exactly ``state``'s keys
    and shapes (``only``: just that one, checked).  Raises :class:`NoArchitecture`."""
    file_shapes = {k: tuple(v.shape) for k, v in state.items()}
    if only is not None:
        fit, diff = _try(only, file_shapes)
        if fit is None:
            raise NoArchitecture(f"the weights do not fit {only}: {_describe(diff)}")
        return [fit]
    table = signatures()
    wanted = key_hash(file_shapes)
    same_keys = [a for a, sig in table.items() if sig.get("h") == wanted]
    if not same_keys:  # perhaps an architecture newer than the shipped table
        table = signatures(complete=True)
        same_keys = [a for a, sig in table.items() if sig.get("h") == wanted]
    fits, tried = [], []
    for arch in same_keys[:MAX_CANDIDATES]:
        fit, diff = _try(arch, file_shapes)
        (fits.append(fit) if fit else tried.append((arch, diff)))
    if fits:
        return _dedupe(fits)
    raise NoArchitecture(_no_fit_message(file_shapes, table, tried))


def _describe(diff: tuple[list[str], list[str], list[str]]) -> str:
    missing, unexpected, shapes = diff
    parts = []
    if missing:
        parts.append(f"{len(missing)} tensors missing from the file (e.g. {', '.join(missing[:3])})")
    if unexpected:
        parts.append(f"{len(unexpected)} tensors the architecture does not have (e.g. {', '.join(unexpected[:3])})")
    if shapes:
        parts.append(f"{len(shapes)} of other shapes (e.g. {'; '.join(shapes[:2])})")
    return ", ".join(parts) or "the head's class count could not be read"


def _no_fit_message(file_shapes: dict, table: dict, tried: list) -> str:
    """Name the closest architecture (same keys first, else most shared top-level modules) and what differs."""
    if not tried:
        top = set(top_names(file_shapes))
        n = len(file_shapes)

        def score(item):
            sig = item[1]
            other = set(sig.get("top", []))
            return (len(top & other) / max(1, len(top | other)), -abs(sig.get("n", 0) - n))

        for arch, _sig in sorted(table.items(), key=score, reverse=True)[:3]:
            try:
                tried.append((arch, _try(arch, file_shapes)[1]))
            except Exception:  # noqa: BLE001 - a candidate that does not build is skipped
                continue
    if not tried:
        return "no torchvision or timm architecture has these weights' keys"
    arch, diff = min(tried, key=lambda t: sum(len(d) for d in t[1]))
    return (f"no torchvision or timm architecture has exactly these {len(file_shapes)} tensors; "
            f"closest: {arch} ({_describe(diff)})")
