"""A result's recipe: how a saved picture was made, exactly enough to make it again.

The recipe is JSON under the key ``"recipe"`` of the PNG's ``neural-lens``
text chunk (:func:`engine.imaging.save_png`), beside the older descriptive
fields.  Format version :data:`FORMAT_VERSION`; the fields (README "Recipes"):

* ``format``: the version; a newer one is refused, named.
* ``job``: ``classviz``, ``inversion``, ``deepdream``, ``guided``,
  ``fooling``, ``fullsize`` (a fooling image carried onto the photo at its
  own size; ``continues`` is its fooling run), ``diverse`` (a strip of
  visualizations pushed apart) or ``saliency``
  (:data:`engine.recipe_jobs.JOBS`); ``output``: ``image`` (or
  ``difference``: a fooling run's magnified difference; ``overlay`` or
  ``map`` for a saliency map).
* ``model``: ``name`` and ``weights_sha256`` (of the network's state dict:
  tensor names, shapes, dtypes and bytes, so any copy of the same weights
  matches); for a user's own model file also ``file``: its ``path``,
  ``sha256`` and ``arch``.
* ``inputs``: ``target`` (a class index), ``objective`` (a unit objective
  such as ``blocks.8:12``) or ``layer``, as the job needs; a saliency map
  also its colour map ``cmap`` and overlay ``opacity``.
* ``files``: ``source`` / ``guide``, each ``path`` (absolute, or ``null`` for
  a picture that came from no file), ``sha256`` of the file and
  ``pixels_sha256`` of the decoded picture the job used.
* ``seed``: the seed of every random choice the job makes (0 for fooling,
  and for saliency, whose SmoothGrad noise seed is its parameter ``seed``).
* ``params``: the parameters the job *started* with (every declared field).
* ``timeline``: what the job saw while it ran (:class:`engine.job_record.JobRecord`):
  each live change with the job's read at which it took effect, the read
  at which it saw a Stop, the frames it emitted.
* ``steps_done``; ``continues``: the recipe of the picture a Continue started
  from (``null`` for a fresh run).
* ``made_with``: app, python, torch, torchvision and numpy versions, device,
  torch threads and the network's memory layout: what must match for
  identical pixels.

Reading (:mod:`engine.recipe_read`) checks every field, the parameters
through the same :class:`engine.params.Params` validation as every other
input, and refuses anything else with a :class:`RecipeError` naming the field.
"""
from __future__ import annotations

import hashlib
import os
import platform
import weakref
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .job_record import JobRecord

__all__ = ["FORMAT_VERSION", "RECIPE_KEY", "Recipe", "FileRef", "RecipeError", "made_with", "model_file_of",
           "weights_sha256", "pixels_sha256", "file_sha256", "file_ref", "WHOLE_NETWORK_SUFFIXES"]

FORMAT_VERSION = 1
RECIPE_KEY = "recipe"
RECIPE_FIELDS = {"format", "job", "output", "model", "inputs", "files", "seed", "params", "timeline", "steps_done",
           "continues", "made_with"}
MADE_WITH = {"app": str, "python": str, "torch": str, "torchvision": str, "numpy": str, "device": str,
             "torch_threads": int, "channels_last": bool, "fold_batchnorm": bool}


class RecipeError(ValueError):
    """A recipe that cannot be read or replayed; the message names the field or the file."""


@dataclass(frozen=True)
class FileRef:
    """A photo a job used: where it was, the file's SHA-256, the decoded picture's SHA-256."""

    path: str | None
    sha256: str | None
    pixels_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256, "pixels_sha256": self.pixels_sha256}


@dataclass(frozen=True)
class Recipe:
    """A validated recipe (see the module docstring); ``params`` is the job's parameter class instance."""

    job: str
    model: str
    weights_sha256: str
    params: Any
    seed: int
    inputs: dict[str, Any] = field(default_factory=dict)
    files: dict[str, FileRef] = field(default_factory=dict)
    timeline: JobRecord = JobRecord()
    steps_done: int = 0
    output: str = "image"
    continues: Recipe | None = None
    made_with: dict[str, Any] = field(default_factory=dict)
    model_file: dict[str, Any] | None = None   # a user's model file: path, sha256, arch (, preprocessing)

    def as_dict(self) -> dict[str, Any]:
        model = {"name": self.model, "weights_sha256": self.weights_sha256}
        if self.model_file is not None:
            model["file"] = dict(self.model_file)
        return {"format": FORMAT_VERSION, "job": self.job, "output": self.output, "model": model,
                "inputs": dict(self.inputs), "files": {k: f.as_dict() for k, f in self.files.items()},
                "seed": self.seed, "params": self.params.as_dict(), "timeline": self.timeline.as_dict(),
                "steps_done": self.steps_done, "continues": self.continues.as_dict() if self.continues else None,
                "made_with": dict(self.made_with)}


# -- fingerprints ------------------------------------------------------------------
_weights_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def weights_sha256(model) -> str:
    """SHA-256 of the network's state dict (names, shapes, dtypes, bytes), computed once per network."""
    import torch

    net = model.net
    known = _weights_cache.get(net)
    if known is None:
        digest = hashlib.sha256()
        for name, tensor in net.state_dict().items():
            t = tensor.detach().to("cpu").contiguous()
            digest.update(f"{name}:{tuple(t.shape)}:{t.dtype}\n".encode())
            digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes())
        known = _weights_cache[net] = digest.hexdigest()
    return known


def pixels_sha256(image: np.ndarray) -> str:
    """SHA-256 of a picture's shape and uint8 bytes."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    return hashlib.sha256(f"{image.shape}".encode() + image.tobytes()).hexdigest()


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_ref(path: str | os.PathLike | None, image: np.ndarray) -> FileRef:
    """The :class:`FileRef` of a picture a job used, read from ``path`` (``None``: no file)."""
    if path is None or not os.path.isfile(path):
        return FileRef(None, None, pixels_sha256(image))
    return FileRef(str(Path(path).resolve()), file_sha256(path), pixels_sha256(image))


#: model files that hold a whole network, never a state dict: their command line needs no ``--arch``
WHOLE_NETWORK_SUFFIXES = (".pt2", ".onnx")


def model_file_of(model) -> dict[str, Any] | None:
    """``{"path", "sha256", "arch"}`` of a user's model file (``None`` for a named network), and its
    ``preprocessing`` when it was chosen in the window (Model ▸ Preprocessing…: no file says it)."""
    source = getattr(model, "source", None)
    if source is None:
        return None
    info: dict[str, Any] = {"path": str(Path(source.path).resolve()), "sha256": source.sha256, "arch": source.arch}
    if source.preprocessing_from == "chosen":
        info["preprocessing"] = source.preprocessing.as_dict()
    return info


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def made_with(model) -> dict[str, Any]:
    """What must match for identical pixels: versions, device, threads, the network's layout."""
    import torch

    tuning = getattr(model, "tuning", None)
    return {"app": _version("neural-lens"), "python": platform.python_version(), "torch": torch.__version__,
            "torchvision": _version("torchvision"), "numpy": np.__version__, "device": str(model.device),
            "torch_threads": torch.get_num_threads(),
            "channels_last": bool(getattr(tuning, "channels_last", False)),
            "fold_batchnorm": bool(getattr(tuning, "fold_batchnorm", False))}
