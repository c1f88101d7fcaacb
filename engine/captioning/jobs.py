"""The captioning jobs, as plain generators (no Qt): decode with chosen
options, caption one image, run the gradient checks, train with autosave and
gradient probes.

The Captioning tab runs each on a :class:`guiapp.jobrunner.JobRunner`; the
``caption`` command line uses the same decoding options and dispatch; tests
drive them with ``next()``.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from ..jobs import Control, Frame, Stage
from ..params import Params, param
from .data.caption_data import CaptionData
from .data.features import FeatureSpec, compute_features
from .decoding import DecodeResult, beam_search, greedy_decode, temperature_sample
from .gradcheck import GradCheckResult, check_attention_layers, check_layers, check_model
from .internals import caption_internals, gradient_through_time

__all__ = ["DecodeOptions", "CaptionResult", "decode", "caption_job", "gradcheck_job", "GradCheckProgress", "Run",
           "training_job", "METHODS"]

#: decoding method key -> label shown in the GUI
METHODS = {"greedy": "Greedy (most probable word)", "sample": "Temperature sampling", "beam": "Beam search"}


@dataclass(frozen=True)
class DecodeOptions(Params):
    """How to turn a model's word probabilities into a caption."""

    method: str = param("greedy", "Decoding", choices=tuple(METHODS.items()),
                        help="Greedy: the most probable word; sampling: draw at a temperature; beam search")
    temperature: float = param(0.7, "Temperature", low=0.0, strict_low=True, high=10.0, step=0.1,
                               help="Sampling: below 1 sharper, above 1 more varied",
                               slider=(0.1, 2.0))
    beam_width: int = param(3, "Beam width", low=1, high=50, help="Beam search: captions kept at every step",
                            slider=(1, 10))
    top_k: int = param(5, "Top-k shown", low=0, high=20, cli=False,
                       help="Words listed with their probabilities at every step (0: none)")
    max_length: int = param(20, "Max length", low=1, high=200, unit="words", help="Longest caption in words")
    seed: int | None = param(None, "Seed", kind="int", low=0, high=2**63 - 1, optional=True, cli=False,
                             help="Sampling: random seed (empty: a new draw each time)")


@dataclass
class CaptionResult:
    """A caption of one image: its features, the decoder's result (one row),
    the options used and where the image came from."""

    features: np.ndarray
    result: DecodeResult
    options: DecodeOptions
    source: str
    image: np.ndarray | None = None
    references: list[str] = field(default_factory=list)
    model: Any = None
    #: the word emitted at every step, ``<END>`` included (one per ``result.top_k[0]`` entry)
    steps: list[str] = field(default_factory=list)
    #: attention cell: ``(len(steps), g, g)`` weights of the grid cells before every step's word, else ``None``
    attention: np.ndarray | None = None

    @property
    def caption(self) -> str:
        return self.result.captions[0]

    @property
    def ids(self) -> list[int]:
        """The generated ids up to and including ``<END>``."""
        out = []
        for i in self.result.ids[0].tolist():
            if self.model is not None and i == self.model.null_idx:
                break
            out.append(int(i))
            if self.model is not None and i == self.model.end_idx:
                break
        return out


def decode(model, features: np.ndarray | torch.Tensor, options: DecodeOptions) -> DecodeResult:
    """Caption ``features (N, D)`` with the method in ``options``."""
    f = torch.as_tensor(np.asarray(features, dtype=np.float32)).reshape(-1, model.input_dim)
    if options.method == "greedy":
        return greedy_decode(model, f, max_length=options.max_length, top_k=options.top_k)
    if options.method == "sample":
        return temperature_sample(model, f, temperature=options.temperature, max_length=options.max_length,
                                  top_k=options.top_k, seed=options.seed)
    return beam_search(model, f, beam_width=options.beam_width, max_length=options.max_length, top_k=options.top_k)


def caption_job(model, options: DecodeOptions, *, source: str, features: np.ndarray | None = None,
                image: np.ndarray | None = None, cnn: Callable[[], Any] | None = None,
                spec: FeatureSpec | None = None, references: list[str] | None = None) -> Iterator[Frame]:
    """Job: caption one image.  Either ``features (D,)`` are given (a dataset
    image) or ``image`` (uint8 HxWx3) is turned into features by ``cnn()``
    (a callable returning the classifier, loaded on demand) through the
    :class:`FeatureSpec` the model was trained with.  Returns a
    :class:`CaptionResult`."""
    if features is None:
        if image is None or cnn is None or spec is None:
            raise ValueError("give the image's features, or the image with the CNN and feature spec")
        yield Frame(step=0, total=2, info=Stage("features"))
        features = compute_features(cnn(), spec.view(image)[None], spec)[0]
    features = np.asarray(features, dtype=np.float32).reshape(-1)
    if features.shape[0] != model.input_dim:
        raise ValueError(f"the image has {features.shape[0]} features but the model expects {model.input_dim}")
    yield Frame(step=1, total=2, info=Stage("decoding"))
    result = decode(model, features[None], options)
    yield Frame(step=2, total=2, info=Stage("done"), final=True)
    out = CaptionResult(features, result, options, source, image, list(references or []), model=model)
    out.steps = [model.idx_to_word[i] for i in out.ids]
    if getattr(model, "cell_type", None) == "attention" and out.ids:
        alpha = caption_internals(model, features, out.ids)["alpha"]       # the weights decoding used
        side = int(round(model.regions ** 0.5))
        out.attention = alpha.reshape(len(out.ids), side, side) if side * side == model.regions else alpha
    return out


@dataclass(frozen=True)
class GradCheckProgress:
    """A frame of :func:`gradcheck_job`: the group just checked and every result so far."""

    group: str
    results: list[GradCheckResult]


def gradcheck_job(control: Control | None = None, *, seed: int = 0) -> Iterator[Frame]:
    """Job: the numerical gradient check of every layer (the attention layers
    too), then of the whole model with each cell.  One frame per group whose ``info`` is a
    :class:`GradCheckProgress` (the group done, the :class:`GradCheckResult`
    list so far); returns the full list."""
    control = control or Control()
    groups: list[tuple[str, Callable[[], list[GradCheckResult]]]] = [
        ("layers", lambda: check_layers(seed=seed)),
        ("attention layers", lambda: check_attention_layers(seed=seed)),
        ("CaptioningRNN (rnn)", lambda: check_model("rnn", seed=seed)),
        ("CaptioningRNN (lstm)", lambda: check_model("lstm", seed=seed)),
        ("CaptioningRNN (attention)", lambda: check_model("attention", seed=seed)),
    ]
    results: list[GradCheckResult] = []
    for k, (name, run) in enumerate(groups):
        results += run()
        yield Frame(step=k + 1, total=len(groups), info=GradCheckProgress(name, list(results)),
                    final=k + 1 == len(groups))
        if control.cancelled:
            return results
    return results


@dataclass
class Run:
    """One training run, as the plots see it.  ``loss`` and ``val_bleu`` are
    the solver's own (append-only) lists while it trains; ``grad_norms`` the
    latest per-step hidden-gradient norms, ``backprop`` ``(iteration,
    gradient_through_time)`` pairs measured at every epoch end."""

    label: str
    cell_type: str
    iterations_per_epoch: int
    loss: list[float] = field(default_factory=list)
    val_bleu: list[tuple[int, float]] = field(default_factory=list)
    grad_norms: list[float] = field(default_factory=list)
    backprop: list[tuple[int, np.ndarray]] = field(default_factory=list)
    seconds: float = 0.0
    sequences: int = 0

    @property
    def iterations(self) -> int:
        return len(self.loss)

    @property
    def throughput(self) -> float:
        """Training sequences per second over the time spent training."""
        return self.sequences / self.seconds if self.seconds > 0 else 0.0


def probe_batch(data: Mapping[str, Any], n: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """A fixed batch of training ``(features, captions)`` for the gradient probe
    (evenly spread over the training captions)."""
    train = CaptionData.of(data).train
    count = train.n_captions
    rows = np.unique(np.linspace(0, count - 1, min(n, count)).round().astype(np.int64))
    captions = np.asarray(train.captions[rows])
    image_idxs = np.asarray(train.image_idxs[rows]).astype(np.int64)
    uniq, inverse = np.unique(image_idxs, return_inverse=True)
    features = np.asarray(train.features[uniq])[inverse]
    return features, captions


def training_job(solver, run: Run, control: Control, *, probe: tuple[np.ndarray, np.ndarray] | None = None,
                 autosave: Callable[[], Any] | None = None) -> Iterator[Frame]:
    """Job: ``solver.run(control)`` plus what the tab needs around it.

    At the start and at every epoch end the gradient probe
    (:func:`~engine.captioning.internals.gradient_through_time` on ``probe``)
    is appended to ``run.backprop`` and ``autosave()`` is called while the
    solver is paused at its ``yield`` (a consistent state).  The run's
    latest hidden-gradient norms and training speed are kept up to date.
    """
    run.loss, run.val_bleu = solver.loss_history, solver.val_bleu_history
    if probe is not None and not run.backprop:
        run.backprop.append((solver.iteration, gradient_through_time(solver.model, *probe)))
    last_time, last_iteration = time.monotonic(), solver.iteration
    for frame in solver.run(control):
        now = time.monotonic()
        run.seconds += now - last_time
        run.sequences += (solver.iteration - last_iteration) * solver.batch_size
        norms = frame.info.hidden_grad_norms
        if norms:
            run.grad_norms = list(norms)
        frame.metrics["sequences_per_s"] = run.throughput
        if frame.info.epoch_end or frame.final:
            if probe is not None:
                run.backprop.append((solver.iteration, gradient_through_time(solver.model, *probe)))
            if autosave is not None:
                autosave()
        yield frame
        last_time, last_iteration = time.monotonic(), solver.iteration
