"""ImageNet class names (from torchvision's weight metadata, no file needed)
and turning a user's class spec (an index or a name) into an index."""
from __future__ import annotations

import difflib
from functools import lru_cache

__all__ = ["imagenet_labels", "class_index"]


@lru_cache(maxsize=1)
def imagenet_labels() -> tuple[str, ...]:
    """The 1000 ILSVRC-2012 class names in the standard index order."""
    from torchvision.models import ResNet18_Weights

    return tuple(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def class_index(spec: str | int, labels: tuple[str, ...] | list[str]) -> int:
    """Resolve ``spec`` to a class index.

    Accepts an integer, a string of digits, or a label (case-insensitive,
    surrounding spaces and ``_``/``-`` versus space ignored).  A unique label
    prefix is accepted too.  Raises ``ValueError`` with close matches.
    """
    n = len(labels)
    if isinstance(spec, bool):
        raise ValueError(f"not a class: {spec!r}")
    if isinstance(spec, int):
        if 0 <= spec < n:
            return spec
        raise ValueError(f"class index {spec} is out of range 0..{n - 1}")
    text = str(spec).strip()
    if text.lstrip("-").isdigit():
        return class_index(int(text), labels)

    def norm(s: str) -> str:
        return " ".join(s.lower().replace("_", " ").replace("-", " ").split())

    key = norm(text)
    if not key:
        raise ValueError("empty class name")
    normalised = [norm(label) for label in labels]
    if key in normalised:
        return normalised.index(key)
    starts = [i for i, label in enumerate(normalised) if label.startswith(key)]
    if len(starts) == 1:
        return starts[0]
    close = difflib.get_close_matches(key, normalised, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(labels[normalised.index(c)]) for c in close)}?" if close else ""
    if len(starts) > 1:
        hint = f"; it could be {', '.join(repr(labels[i]) for i in starts[:5])}"
    raise ValueError(f"unknown class {text!r}{hint}")
