"""Helpers shared by the CLI subcommands: errors, model/image loading with
clear messages, class specs, JSON output and a terminal progress bar."""
from __future__ import annotations

import json
import sys
import time
from typing import Any, TextIO

import numpy as np

from ..imaging import ImageLoadError, load_image
from ..jobs import Frame
from ..validation import check_number

__all__ = ["CliError", "open_model", "add_model_options", "open_judge", "report", "add_judge_option", "open_image",
           "resolve_class", "print_json", "ProgressBar", "finite", "check_seed",
           "MAX_SEED"]


class CliError(Exception):
    """A user-facing error: printed as one line on stderr, exit code ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_model_options(p: Any) -> None:
    """``--model`` and the options for a model file of the user's own (every command that runs a classifier)."""
    p.add_argument("--model", default=None, metavar="NAME|FILE",
                   help="model name (see `models`) or a model file: a state dict of a torchvision or timm classifier "
                        "(.pth/.pt/.bin/.safetensors), a torch.export .pt2, an .onnx file (README: 'Use your own model')")
    p.add_argument("--arch", default=None, metavar="NAME",
                   help="the architecture of a state dict when several fit (e.g. resnet18, timm/vit_tiny_patch16_224)")
    p.add_argument("--labels", default=None, metavar="FILE", help="class names for a model file (one per line, or JSON)")
    p.add_argument("--sidecar", default=None, metavar="FILE",
                   help="settings for a model file (default: <model>.json beside it; schema in the README)")
    p.add_argument("--trust-code", action="store_true",
                   help="open a pickled whole model (torch.save(model)); unpickling runs code from the file")


def open_model(args: Any):
    """Load ``args.model`` (default model when absent) on ``args.device``,
    with the model-file options of :func:`add_model_options`."""
    from ..models import ModelLoadError, load_model

    options = {key: getattr(args, key, None) for key in ("arch", "labels", "sidecar", "trust_code")}
    try:
        return load_model(getattr(args, "model", None), device=getattr(args, "device", None), **options)
    except (ModelLoadError, ValueError) as exc:
        raise CliError(str(exc)) from None
    finally:
        restart_clock()


def chosen_layer(model: Any, name: str | None, tool: str) -> str:
    """``--layer`` (checked), or without it the model's own layer for ``tool``
    (:meth:`~engine.models.classifier.Classifier.default_layer`: ``dream``, ``layers``),
    named with its reason in one line on stderr; a network that recommends none needs ``--layer``."""
    if name is None:
        chosen = model.default_layer(tool)
        if chosen is None:
            raise CliError(f"--layer is required for {model.name} (see `layers`)")
        print(f"layer {chosen.layer} (the model's default; --layer to choose another): {chosen.reason}", file=sys.stderr)
        return chosen.layer
    try:
        model.layer(name)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return name


def add_judge_option(p: Any) -> None:
    p.add_argument("--judge", default=None, metavar="MODEL",
                   help="a second network (e.g. lite1) classifies the saved PNG: its top-5 goes into the output")


def open_judge(args: Any):
    """Load the ``--judge`` network (before the run, so a bad name fails at
    once) as ``args.judge_model`` for :func:`report`; ``None`` without the option."""
    args.judge_model = None
    if not getattr(args, "judge", None):
        return None
    from ..models import ModelLoadError, load_model

    try:
        args.judge_model = load_model(args.judge, device=getattr(args, "device", None))
    except (ModelLoadError, ValueError) as exc:
        raise CliError(f"--judge: {exc}") from None
    return args.judge_model


def report(args: Any, payload: dict, text: str, image: np.ndarray | None = None) -> None:
    """Print ``payload`` as one JSON object with ``--json``, else ``text``;
    with a judge (``--judge``, :func:`open_judge`), its top-5 of ``image``
    (the saved PNG read back) is added to both (JSON key ``judge``)."""
    judge = getattr(args, "judge_model", None)
    if judge is not None and image is not None:
        from ..models.judge import second_opinion

        top = second_opinion(judge, image, 5)
        payload = {**payload, "judge": {"model": judge.name, "top": [p.as_dict() for p in top]}}
        text += f"\nsecond opinion ({judge.name}): " + ", ".join(f"{p.label} {p.prob:.1%}" for p in top[:3])
    if getattr(args, "json", False):
        print_json(payload)
    else:
        print(text)


def open_image(path: str) -> np.ndarray:
    try:
        return load_image(path)
    except ImageLoadError as exc:
        raise CliError(str(exc)) from None


def resolve_class(model: Any, spec: str) -> int:
    try:
        return model.class_index(spec)
    except ValueError as exc:
        raise CliError(str(exc)) from None


def finite(name: str, value: float, *, low: float | None = None, high: float | None = None, strict_low: bool = False) -> float:
    """Validate a numeric option: finite and in range, else a clear CliError."""
    try:
        return check_number(f"--{name}", value, low=low, high=high, strict_low=strict_low)
    except ValueError as exc:
        raise CliError(str(exc)) from None


#: Largest random seed accepted (torch, numpy and Python generators all take 0..2**63-1).
MAX_SEED = 2**63 - 1


def check_seed(value: int | None, option: str = "seed") -> int | None:
    """Validate a seed option: an integer in 0..2**63-1 (``None`` passes), else a clear CliError."""
    if value is not None and not 0 <= value <= MAX_SEED:
        raise CliError(f"--{option} must be between 0 and 2**63-1, got {value}")
    return value


_clock_start = [time.perf_counter()]


def restart_clock() -> None:
    """Start timing a command's job here: when the command starts, and again
    once its model, checkpoint or dataset is loaded (so ``"seconds"`` in the
    JSON leaves out process start and loading)."""
    _clock_start[0] = time.perf_counter()


def job_seconds() -> float:
    """Seconds since :func:`restart_clock`."""
    return time.perf_counter() - _clock_start[0]


def print_json(obj: Any, stream: TextIO | None = None) -> None:
    """One JSON object; a dict gets ``"seconds"``, the compute time of the
    job (:func:`job_seconds`), unless it has one already."""
    if isinstance(obj, dict) and "seconds" not in obj:
        obj = {**obj, "seconds": round(job_seconds(), 4)}
    print(json.dumps(obj), file=stream or sys.stdout)


class ProgressBar:
    """A one-line progress bar on stderr, drawn only when stderr is a terminal
    (so ``--json`` output and logs stay clean).  Use as ``on_frame`` callback."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.start = time.monotonic()

    def __call__(self, frame: Frame) -> None:
        if not self.enabled:
            return
        frac = frame.fraction or 0.0
        filled = int(round(frac * self.width))
        metrics = " ".join(f"{k}={v:.4g}" for k, v in list(frame.metrics.items())[:3])
        elapsed = time.monotonic() - self.start
        total = f"/{frame.total}" if frame.total else ""
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {frame.step}{total} {elapsed:.1f}s {metrics}\x1b[K")  # noqa: E501
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()
