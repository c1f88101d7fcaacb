"""Saving and resuming a captioning model (and its solver), atomically.

A checkpoint is one ``torch.save`` file holding only tensors and plain
dicts / lists / tuples / str / int / float / bool / None, so it loads with
``torch.load(path, weights_only=True)`` (no arbitrary code runs)::

    {"format": "neural-lens/captioning", "version": 1,
     "params": {name: tensor}, "word_to_idx": {word: id},
     "config": {"input_dim", "wordvec_dim", "hidden_dim", "cell_type", "dtype",
                "cnn_name", "feature_layer", ...},   (+ "regions" for the attention cell)
     "solver": {... CaptioningSolver.state_dict() ...} or None,
     "metadata": {...}}

Saving writes a temporary file in the target folder and renames it over the
target (:func:`os.replace`), so a crash never leaves a half-written file.
Loading checks the content and raises :class:`CheckpointError` naming the
file and the problem.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..atomic import atomic_write
from .model import CELL_TYPES, CaptioningRNN

__all__ = ["CheckpointError", "Checkpoint", "save_checkpoint", "load_checkpoint", "FORMAT", "VERSION"]

FORMAT = "neural-lens/captioning"
VERSION = 1
_PARAM_NAMES = ("W_proj", "b_proj", "W_embed", "Wx", "Wh", "b", "W_vocab", "b_vocab")
_ATTENTION_NAMES = ("W_pos", "W_att", "Wz")


class CheckpointError(Exception):
    """A checkpoint that cannot be written or read: ``path`` and ``reason``."""

    def __init__(self, path: str | os.PathLike, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass
class Checkpoint:
    """The loaded content of a checkpoint file."""

    path: str
    params: dict[str, torch.Tensor]
    word_to_idx: dict[str, int]
    config: dict[str, Any]
    solver_state: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def build_model(self, *, device: torch.device | str | None = None,
                    dtype: torch.dtype | None = None) -> CaptioningRNN:
        """A :class:`CaptioningRNN` with this checkpoint's vocabulary, config and weights."""
        cfg = self.config
        model = CaptioningRNN(self.word_to_idx, input_dim=cfg["input_dim"], wordvec_dim=cfg["wordvec_dim"],
                              hidden_dim=cfg["hidden_dim"], cell_type=cfg["cell_type"],
                              dtype=dtype or _dtype(cfg.get("dtype", "float32")), device=device, seed=0,
                              regions=int(cfg.get("regions", 1)))
        try:
            model.load_params(self.params)
        except ValueError as exc:
            raise CheckpointError(self.path, str(exc)) from None
        return model

    def feature_spec(self):
        """How photos become this model's features (a :class:`~.data.features.FeatureSpec`),
        or ``None`` for a model trained on precomputed features; a malformed
        spec is a :class:`CheckpointError` (the CLI and the window read it alike)."""
        from .data.features import FeatureSpec

        raw = self.metadata.get("feature_spec") or self.config.get("feature_spec")
        if not raw:
            return None
        try:
            return FeatureSpec.from_dict(dict(raw))
        except (TypeError, ValueError) as exc:
            raise CheckpointError(self.path, f"bad feature spec in the checkpoint ({exc})") from None


def _dtype(name: str) -> torch.dtype:
    return {"float32": torch.float32, "float64": torch.float64}.get(str(name), torch.float32)


def _plain(obj: Any, where: str = "checkpoint") -> Any:
    """A copy of ``obj`` made only of what ``weights_only`` loading accepts."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().clone()
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.array(obj))
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, dict):
        return {str(k): _plain(v, f"{where}.{k}") for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        items = [_plain(v, where) for v in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot store a {type(obj).__name__} in {where}")


def save_checkpoint(path: str | os.PathLike, model: CaptioningRNN, solver: Any = None, *,
                    cnn_name: str | None = None, feature_layer: str | None = None,
                    metadata: dict[str, Any] | None = None) -> Path:
    """Write ``model`` (and ``solver.state_dict()`` when given) to ``path``
    atomically.  ``cnn_name`` / ``feature_layer`` record which CNN layer
    produced the image features.  Returns the path."""
    path = Path(path)
    config = {**model.config(), "cnn_name": cnn_name, "feature_layer": feature_layer}
    payload = {
        "format": FORMAT, "version": VERSION,
        "params": _plain(model.params, "params"), "word_to_idx": dict(model.word_to_idx),
        "config": _plain(config, "config"),
        "solver": _plain(solver.state_dict(), "solver") if solver is not None else None,
        "metadata": _plain(dict(metadata or {}), "metadata"),
    }
    try:
        with atomic_write(path) as fh:
            torch.save(payload, fh)
    except OSError as exc:
        raise CheckpointError(path, f"cannot write the checkpoint ({exc.strerror or exc})") from None
    return path


def load_checkpoint(path: str | os.PathLike, *, map_location: Any = "cpu") -> Checkpoint:
    """Read and validate a checkpoint written by :func:`save_checkpoint`.

    Uses ``torch.load(..., weights_only=True)`` only.  Raises
    :class:`CheckpointError` for a missing, unreadable, truncated or foreign
    file, a file carrying a pickled object, or inconsistent content.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "no such file")
    try:
        data = torch.load(path, weights_only=True, map_location=map_location)
    except Exception as exc:  # truncated zip, pickle payload, not a torch file...
        if isinstance(exc, (PermissionError, FileNotFoundError, IsADirectoryError)):
            reason = f"cannot be read ({exc.strerror or exc})"
        elif "Unsupported global" in str(exc):
            reason = "refused: the file contains Python objects other than tensors and plain data"
        else:  # torch's own text here suggests weights_only=False: never pass that on
            reason = "not a readable checkpoint (damaged or truncated, or not a PyTorch file)"
        raise CheckpointError(path, reason) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise CheckpointError(path, "not a Neural Lens captioning checkpoint")
    version = data.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise CheckpointError(path, f"checkpoint version {version!r} is newer than this program understands")
    vocab = _check_vocab(path, data)  # first: the parameter shapes depend on it
    params = _check_params(path, data)
    for key, kind in (("metadata", "metadata"), ("solver", "solver state")):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise CheckpointError(path, f"the {kind} is malformed (not a dict)")
    return Checkpoint(path=str(path), params=params, word_to_idx=vocab,
                      config=data["config"], solver_state=data.get("solver"), metadata=data.get("metadata") or {})


def _check_vocab(path: Path, data: dict) -> dict[str, int]:
    vocab = data.get("word_to_idx")
    if not isinstance(vocab, dict) or not all(isinstance(k, str) and isinstance(v, int) for k, v in vocab.items()):
        raise CheckpointError(path, "the vocabulary (word_to_idx) is missing or malformed")
    if sorted(vocab.values()) != list(range(len(vocab))):
        raise CheckpointError(path, "the vocabulary ids are not 0..V-1")
    return vocab


def _check_params(path: Path, data: dict) -> dict[str, torch.Tensor]:
    params, cfg = data.get("params"), data.get("config")
    if not isinstance(cfg, dict):
        raise CheckpointError(path, "the model config is missing")
    try:
        D, W, H = int(cfg["input_dim"]), int(cfg["wordvec_dim"]), int(cfg["hidden_dim"])
        cell = cfg["cell_type"]
        R = int(cfg.get("regions", 1))
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(path, "the model config lacks input_dim / wordvec_dim / hidden_dim / cell_type") from None
    if cell not in CELL_TYPES:
        raise CheckpointError(path, f"unknown cell type {cell!r}")
    if cell == "attention" and (R < 2 or D % R):
        raise CheckpointError(path, f"an attention model needs regions >= 2 dividing input_dim, got {R}")
    names = _PARAM_NAMES + (_ATTENTION_NAMES if cell == "attention" else ())
    if not isinstance(params, dict) or set(params) != set(names):
        raise CheckpointError(path, f"the parameters must be exactly {', '.join(names)}")
    if not all(isinstance(v, torch.Tensor) for v in params.values()):
        raise CheckpointError(path, "a parameter is not a tensor")
    V = len(data.get("word_to_idx") or {})
    G = H if cell == "rnn" else 4 * H
    expected = {"W_proj": (D // R if cell == "attention" else D, H), "b_proj": (H,), "W_embed": (V, W),
                "Wx": (W, G), "Wh": (H, G), "b": (G,), "W_vocab": (H, V), "b_vocab": (V,)}
    if cell == "attention":
        expected.update(W_pos=(R, H), W_att=(H, H), Wz=(H, G))
    for name, shape in expected.items():
        if tuple(params[name].shape) != shape:
            raise CheckpointError(path, f"parameter {name} has shape {tuple(params[name].shape)}, expected {shape}")
        if not bool(torch.isfinite(params[name]).all()):
            raise CheckpointError(path, f"parameter {name} contains NaN or infinite values")
    return params


def describe(ckpt: Checkpoint) -> str:
    """A one-line human summary (for CLI listings)."""
    cfg = ckpt.config
    it = (ckpt.solver_state or {}).get("iteration")
    return json.dumps({"cell": cfg.get("cell_type"), "hidden": cfg.get("hidden_dim"), "vocab": len(ckpt.word_to_idx),
                       "cnn": cfg.get("cnn_name"), "iteration": it})
