"""ImageNet class names (from torchvision's weight metadata, no file needed)
and turning what a user typed (an index or a name) into one class index.

The same rule serves the command line (``--target``) and every class chooser
of the window, so the class that runs is always the class that was named.
"""
from __future__ import annotations

import difflib
import re
from functools import lru_cache

__all__ = ["imagenet_labels", "class_index", "class_matches", "class_choice_text"]

_CHOICE = re.compile(r"^(?P<name>.*\S)\s*\((?P<index>\d+)\)\s*$")


@lru_cache(maxsize=1)
def imagenet_labels() -> tuple[str, ...]:
    """The 1000 ILSVRC-2012 class names in the standard index order."""
    from torchvision.models import ResNet18_Weights

    return tuple(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def class_choice_text(index: int, labels: tuple[str, ...] | list[str]) -> str:
    """How a chosen class is shown: ``"tarantula (76)"``; an unnamed class (a model whose files
    name none) just ``"class 3"``, not ``"class 3 (3)"``."""
    name = labels[index]
    return name if name == f"class {index}" else f"{name} ({index})"


def _norm(s: str) -> str:
    return " ".join(s.lower().replace("_", " ").replace("-", " ").split())


def _word_starts_with(name: str, key: str) -> bool:
    return f" {key}" in f" {name}"


def class_matches(spec: str | int, labels: tuple[str, ...] | list[str]) -> list[int]:
    """Every class index that ``spec`` could mean, best rule first.

    The rules, in order (the first that matches anything decides):

    1. an integer or a string of digits: that index (if in range);
    2. a chooser's own text, ``"tarantula (76)"``: index 76 if its name agrees;
    3. a whole name, case-insensitive, ``_``/``-`` read as spaces (``Tarantula``);
       a name two classes share (``crane``) gives both;
    4. the start of a name or of a word in it (``taran``, ``white shark``;
       ``cat`` gives catamaran and the cats).

    One index means ``spec`` is resolved; several mean it is ambiguous; none,
    that it names no class.
    """
    n = len(labels)
    if isinstance(spec, bool):
        return []
    if isinstance(spec, int):
        return [spec] if 0 <= spec < n else []
    text = str(spec).strip()
    if text.isdigit():
        return class_matches(int(text), labels)
    choice = _CHOICE.match(text)
    if choice and int(choice["index"]) < n and _norm(labels[int(choice["index"])]) == _norm(choice["name"]):
        return [int(choice["index"])]
    key = _norm(text)
    if not key:
        return []
    normalized = [_norm(label) for label in labels]
    for rule in (str.__eq__, _word_starts_with):
        found = [i for i, label in enumerate(normalized) if rule(label, key)]
        if found:
            return found
    return []


def class_index(spec: str | int, labels: tuple[str, ...] | list[str]) -> int:
    """Resolve ``spec`` to exactly one class index (rules: :func:`class_matches`).

    Raises ``ValueError`` saying why: out of range, empty, ambiguous (with a
    few of the candidates), or unknown (with close spellings).
    """
    n = len(labels)
    if isinstance(spec, bool):
        raise ValueError(f"not a class: {spec!r}")
    text = str(spec).strip()
    if isinstance(spec, int) or text.lstrip("-").isdigit():
        index = int(text)
        if 0 <= index < n:
            return index
        raise ValueError(f"class index {index} is out of range 0..{n - 1}")
    if not _norm(text):
        raise ValueError("empty class name")
    found = class_matches(text, labels)
    if len(found) == 1:
        return found[0]
    if found:
        listed = ", ".join(class_choice_text(i, labels) for i in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        raise ValueError(f"{text!r} matches {len(found)} classes: {listed}{more}; type more of the name or the index")
    normalized = [_norm(label) for label in labels]
    close = difflib.get_close_matches(_norm(text), normalized, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(labels[normalized.index(c)]) for c in close)}?" if close else ""
    raise ValueError(f"unknown class {text!r}{hint}")
