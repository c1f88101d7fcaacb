"""Reading a model file a user brings, without running code from it.

* ``.pth``/``.pt``/``.bin``/``.ckpt``: ``torch.load(..., weights_only=True)``: a
  state dict, or a checkpoint dict holding one under ``state_dict``/``model``/
  ``model_state_dict`` (its other entries, e.g. ``classes`` or ``arch``, are kept
  as metadata);
* ``.safetensors``: :mod:`safetensors` (its string metadata is kept);
* ``.pt2``: :func:`torch.export.load` (a program, no pickled code);
* ``.onnx``: converted to PyTorch modules with ``onnx2torch`` (gradients exist);
* a whole pickled model (``torch.save(model)``) runs code when unpickled: it is
  refused (:class:`CodeRefused`) unless ``trust_code`` is given;
* TorchScript (``torch.jit.save``) is refused with a message: it is deprecated
  and hooks cannot see inside it.
"""
from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

__all__ = ["ModelFile", "CodeRefused", "read_model_file", "file_hash", "STATE_KEYS"]

STATE_KEYS = ("state_dict", "model_state_dict", "model", "net", "weights")
_PREFIXES = ("module.", "_orig_mod.", "model.", "net.")


class CodeRefused(ValueError):
    """The file holds pickled Python code: loading it needs explicit consent."""


@dataclass
class ModelFile:
    """What a model file holds: a state dict (``state``) or a network
    (``module``), what kind of file it was, and its metadata (class names,
    architecture, input shape where the file says)."""

    path: Path
    kind: str  # "state dict", "pickled model", "torch.export program", "ONNX"
    state: dict[str, torch.Tensor] | None = None
    module: nn.Module | None = None
    meta: dict = field(default_factory=dict)
    input_shape: tuple[int, ...] | None = None  # (N, C, H, W) when the file says
    sha256: str = ""


def file_hash(path: str | Path) -> str:
    """SHA-256 of a file (hex), read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fail(path: Path, why: str) -> ValueError:
    return ValueError(f"{path}: {why}")


def _is_tensor_dict(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, torch.Tensor) for v in value.values())


def strip_prefixes(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove a prefix every key shares (``module.`` from DataParallel,
    ``_orig_mod.`` from torch.compile, ``model.``/``net.`` from training wrappers)."""
    changed = True
    while changed:
        changed = False
        for prefix in _PREFIXES:
            if all(k.startswith(prefix) for k in state):
                state = {k[len(prefix):]: v for k, v in state.items()}
                changed = True
    return state


def split_checkpoint(obj, path: Path) -> tuple[dict[str, torch.Tensor], dict]:
    """A state dict and the checkpoint's other entries (metadata)."""
    if _is_tensor_dict(obj):
        return strip_prefixes(obj), {}
    if isinstance(obj, dict):
        for key in STATE_KEYS:
            if _is_tensor_dict(obj.get(key)):
                meta = {k: v for k, v in obj.items() if k != key and not isinstance(v, torch.Tensor)}
                return strip_prefixes(obj[key]), meta
        tensors = {k: v for k, v in obj.items() if isinstance(v, torch.Tensor)}
        if tensors and len(tensors) >= len(obj) - 8:  # a state dict with a few extra entries (e.g. "classes")
            return strip_prefixes(tensors), {k: v for k, v in obj.items() if k not in tensors}
    raise _fail(path, "holds no state dict of tensors (looked at the file itself and under "
                      + ", ".join(repr(k) for k in STATE_KEYS) + ")")


def _is_torchscript(path: Path) -> bool:
    try:
        with zipfile.ZipFile(path) as z:
            return any(n.split("/", 1)[-1].startswith("code/") or n.endswith("/constants.pkl") for n in z.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


def _read_torch(path: Path, trust_code: bool) -> ModelFile:
    if _is_torchscript(path):  # torch.load would hand it to torch.jit.load
        raise _fail(path, "is a TorchScript file (torch.jit.save), which is deprecated and opaque to layer hooks; "
                          "save model.state_dict() or use torch.export.save")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - every failure is explained below
        if "Unsupported global" not in str(exc):
            raise _fail(path, "is not a PyTorch weight file, or is damaged or truncated") from None
        if not trust_code:
            raise CodeRefused(
                f"{path} is a pickled Python object (torch.save(model)): loading it runs code from the file. "
                f"Open it only if you trust its author (CLI: --trust-code), or save the weights instead: "
                f"torch.save(model.state_dict(), 'weights.pth')") from None
        obj = torch.load(path, map_location="cpu", weights_only=False)  # consent given: code may run
    if isinstance(obj, nn.Module):
        return ModelFile(path, "pickled model", module=obj)
    if isinstance(obj, dict) and isinstance(obj.get("model"), nn.Module):
        return ModelFile(path, "pickled model", module=obj["model"], meta={k: v for k, v in obj.items() if k != "model"})
    state, meta = split_checkpoint(obj, path)
    return ModelFile(path, "state dict", state=state, meta=meta)


def _read_safetensors(path: Path) -> ModelFile:
    from safetensors import SafetensorError, safe_open
    from safetensors.torch import load_file

    try:
        state = load_file(str(path), device="cpu")
        with safe_open(str(path), framework="pt") as f:
            meta = dict(f.metadata() or {})
    except (SafetensorError, OSError, ValueError) as exc:
        raise _fail(path, f"is not a readable safetensors file ({exc})") from None
    return ModelFile(path, "state dict", state=strip_prefixes(state), meta=meta)


def _read_export(path: Path) -> ModelFile:
    try:
        program = torch.export.load(str(path))
    except Exception as exc:  # noqa: BLE001
        raise _fail(path, f"is not a torch.export program ({type(exc).__name__}: {str(exc)[:200]})") from None
    shape = None
    for node in program.graph.nodes:
        value = node.meta.get("val") if node.op == "placeholder" else None
        if node.op == "placeholder" and node.name in program.graph_signature.user_inputs and value is not None:
            shape = tuple(int(d) if isinstance(d, int) else -1 for d in value.shape)
            break
    try:  # the module hierarchy back (hooks on layers fire; ``program.module()`` inlines them)
        module = torch.export.unflatten(program)
    except Exception:  # noqa: BLE001 - a program unflatten cannot handle still runs, without layers
        module = program.module()
    return ModelFile(path, "torch.export program", module=module, input_shape=shape)


def read_model_file(path: str | Path, *, trust_code: bool = False) -> ModelFile:
    """Read ``path`` (see the module docstring).  Raises ``ValueError`` naming
    the file and the problem, :class:`CodeRefused` for a pickled model
    without ``trust_code``."""
    path = Path(path)
    if not path.exists():
        raise _fail(path, "does not exist")
    if path.is_dir():
        raise _fail(path, "is a folder, not a model file")
    suffix = path.suffix.lower()
    if suffix == ".onnx":
        from .onnx_import import read_onnx

        module, meta, shape = read_onnx(path)
        found = ModelFile(path, "ONNX", module=module, meta=meta, input_shape=shape)
    elif suffix == ".safetensors":
        found = _read_safetensors(path)
    elif suffix == ".pt2":
        found = _read_export(path)
    else:
        found = _read_torch(path, trust_code)
    found.sha256 = file_hash(path)
    return found
