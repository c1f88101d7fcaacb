"""Training a :class:`~engine.captioning.model.CaptioningRNN`: minibatches,
update rule, learning-rate decay per epoch, validation BLEU, stop/resume.

``CaptioningSolver.run(control)`` is a generator of :class:`engine.jobs.Frame`
(the spine of every long job): the GUI runs it on a thread and may change the
learning rate between iterations through ``control.update(learning_rate=...)``;
the CLI runs the same generator with a progress bar.  Stopping (``control.
cancel()``) keeps the solver's ``iteration``, ``epoch``, ``loss_history`` and
optimiser state, so calling ``run`` again continues where it stopped.

``data`` is a :class:`~.data.caption_data.CaptionData` with a ``train``
split (features ``(Nimg, D)``, captions ``(Ncap, T)`` int, image_idxs
``(Ncap,)``) and optionally a ``val`` split, or the course's classic dict
(``train_features``, ``train_captions``, ``train_image_idxs``, ``val_...``,
``word_to_idx``, ``idx_to_word``); arrays may be numpy arrays, torch
tensors or h5py datasets (read with sorted indices).  A dataset may
recommend word dropout with ``word_dropout`` (probability) and
``dropout_words`` (the built-in scenes do, for their colour words).

**Word dropout** (Bowman et al. 2016, "Generating sentences from a continuous
space", §3.2): during training each input word (of ``dropout_words``, or of
every non-special word) is replaced by ``<UNK>`` with probability
``word_dropout``; the targets stay the true next words.  The RNN then has to
predict the next word from its state (the image) more than from the word it
just read.  On the built-in scenes, dropping the colour words with p = 0.5
cuts the shortcut "red is never followed by circle" that held-out
colour-shape pairs break (see :mod:`.data.shapes`).

**Gradient-norm clipping** (Pascanu et al. 2013): when ``grad_clip > 0`` and
the norm of all gradients together exceeds it, they are scaled down to that
norm before the update.  The LSTM with attention trains with 5 by default:
measured on the built-in scenes (seed 0, Adam 5e-3), without it the loss
fell to 1.45 and then blew up at iteration ~1100 (the context path ``Wz``,
``W_att``, ``W_proj`` gradients growing together) and never recovered; with
it the run trains to the end.  The RNN and LSTM train unclipped, as measured.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..jobs import Control, Frame
from ..params import Params, param
from ..validation import check_number
from .bleu import corpus_bleu
from .data.batches import take_rows
from .data.caption_data import CaptionData
from .data.evaluation import split_references
from .decoding import greedy_decode
from .optim import UPDATE_RULES, check_learning_rate

__all__ = ["TrainParams", "CaptioningSolver", "TrainingStep", "DEFAULT_GRAD_CLIP"]

#: cell type -> gradient-norm clipping used when the solver is not told (0: none)
DEFAULT_GRAD_CLIP = {"rnn": 0.0, "lstm": 0.0, "attention": 5.0}


@dataclass(frozen=True)
class TrainParams(Params):
    """What may change while training runs: the learning rate (read every
    iteration) and the factor it is multiplied by after every epoch."""

    learning_rate: float = param(5e-3, "Learning rate", low=0.0, strict_low=True, high=10.0, step=1e-3, decimals=6,
                                 help="May be changed while training runs: the next minibatch uses it")
    lr_decay: float = param(0.9, "LR decay per epoch", low=0.0, strict_low=True, high=1.0, step=0.01, decimals=3,
                            help="The learning rate is multiplied by this after every epoch",
                            slider=(0.5, 1.0))


def _length(array: Any) -> int:
    return int(array.shape[0])


@dataclass(frozen=True)
class TrainingStep:
    """Where a training frame of :meth:`CaptioningSolver.run` stands: the
    epoch, the iteration, whether it ends an epoch, the fraction of the
    epoch done, and the gradient norm of each hidden state of the last
    batch (one per time step; empty before the first)."""

    epoch: int
    iteration: int
    epoch_end: bool
    epoch_progress: float
    hidden_grad_norms: list[float]


class CaptioningSolver:
    """Minibatch training of a captioning model with SGD or Adam.

    ``optim_config`` is copied for every parameter (e.g. ``{'learning_rate':
    5e-3}``); ``lr_decay`` multiplies the learning rate after every epoch;
    ``seed`` makes the minibatch order reproducible; ``val_bleu_samples``
    caps the number of validation images captioned for the per-epoch BLEU-4
    (0 switches it off).  ``word_dropout`` and ``dropout_words`` (see the
    module docstring) default to the data's recommendation, else none.
    ``grad_clip`` (see the module docstring; 0: none) defaults to
    :data:`DEFAULT_GRAD_CLIP` of the model's cell.
    """

    def __init__(self, model, data: Mapping[str, Any], *, update_rule: str = "adam",
                 optim_config: Mapping[str, Any] | None = None, lr_decay: float = 1.0, batch_size: int = 100,
                 num_epochs: int = 10, seed: int | None = None, val_bleu_samples: int = 100,
                 word_dropout: float | None = None, dropout_words: Sequence[str] | None = None,
                 grad_clip: float | None = None) -> None:
        if update_rule not in UPDATE_RULES:
            raise ValueError(f"unknown update rule {update_rule!r}; choose from {', '.join(UPDATE_RULES)}")
        data = CaptionData.of(data)
        if not data.has_split("train"):
            raise ValueError("the data has no training split (train features, captions and image ids)")
        train = data.train
        if _length(train.captions) != _length(train.image_idxs):
            raise ValueError("the training captions and their image ids have different lengths")
        if train.n_captions == 0:
            raise ValueError("there are no training captions")
        if data.word_to_idx and data.word_to_idx != model.word_to_idx:
            raise ValueError("the model's vocabulary differs from the data's word_to_idx")
        if int(batch_size) < 1 or int(num_epochs) < 0:
            raise ValueError("batch_size must be >= 1 and num_epochs >= 0")
        self.model = model
        self.data = data
        self.update_rule = update_rule
        self.optim_config = dict(optim_config or {})
        self.learning_rate = check_learning_rate(self.optim_config.get("learning_rate", 1e-3))
        self.lr_decay = TrainParams(self.learning_rate, lr_decay).lr_decay
        self.batch_size = int(batch_size)
        self.num_epochs = int(num_epochs)
        self.val_bleu_samples = int(val_bleu_samples)
        if grad_clip is None:
            grad_clip = DEFAULT_GRAD_CLIP.get(getattr(model, "cell_type", ""), 0.0)
        self.grad_clip = check_number("gradient clipping", grad_clip, low=0, high=1e6)
        self.rng = np.random.default_rng(seed)
        self.iteration = 0
        self.epoch = 0
        self.loss_history: list[float] = []
        self.val_bleu_history: list[tuple[int, float]] = []
        self.optim_configs = {name: dict(self.optim_config) for name in model.params}
        self.set_word_dropout(data.word_dropout if word_dropout is None else word_dropout,
                              data.dropout_words if dropout_words is None else dropout_words)
        self._reference_cache: dict[str, tuple[torch.Tensor, list[list[list[str]]]]] = {}

    # ------------------------------------------------------------------ bookkeeping
    @property
    def num_train(self) -> int:
        return self.data.train.n_captions

    @property
    def iterations_per_epoch(self) -> int:
        return max(self.num_train // self.batch_size, 1)

    @property
    def total_iterations(self) -> int:
        return self.num_epochs * self.iterations_per_epoch

    def set_word_dropout(self, p: float, words: Sequence[str] | None = None) -> None:
        """Drop input words with probability ``p`` from the next minibatch on:
        the ``words`` given (each must be in the vocabulary), or every word
        but ``<NULL>``/``<START>``/``<END>``/``<UNK>`` when ``None``."""
        p = check_number("word dropout", p, low=0, high=0.95)
        model = self.model
        if p > 0 and model.unk_idx is None:
            raise ValueError("word dropout needs an <UNK> token in the vocabulary")
        if words is None:
            special = {model.null_idx, model.start_idx, model.end_idx, model.unk_idx}
            ids = [i for i in range(model.vocab_size) if i not in special]
        else:
            words = [str(w) for w in words]
            unknown = [w for w in words if w not in model.word_to_idx]
            if unknown:
                raise ValueError(f"dropout words not in the vocabulary: {', '.join(unknown[:5])}")
            ids = [model.word_to_idx[w] for w in words]
        self.word_dropout = p
        self.dropout_words = None if words is None else list(words)
        self._dropout_ids = torch.tensor(sorted(set(ids)), dtype=torch.long)

    def _dropped_inputs(self, captions: Any) -> torch.Tensor | None:
        """The minibatch's input words with dropout applied (``None`` when off)."""
        if self.word_dropout <= 0:
            return None
        words = torch.as_tensor(np.asarray(torch.as_tensor(captions).cpu()))[:, :-1].long().clone()
        coin = torch.from_numpy(self.rng.random(tuple(words.shape)) < self.word_dropout)
        words[coin & torch.isin(words, self._dropout_ids)] = self.model.unk_idx
        return words

    def default_params(self) -> TrainParams:
        """The parameters a run starts with when no control is given."""
        return TrainParams(learning_rate=self.learning_rate, lr_decay=self.lr_decay)

    def has_split(self, split: str) -> bool:
        return self.data.has_split(split) and self.data.split(split).n_captions > 0

    # ------------------------------------------------------------------ training
    def _minibatch(self) -> tuple[Any, Any]:
        n = self.num_train
        idx = self.rng.choice(n, size=self.batch_size, replace=self.batch_size > n)
        train = self.data.train
        captions = take_rows(train.captions, idx)
        image_idxs = np.asarray(take_rows(train.image_idxs, idx).tolist(), dtype=np.int64)
        features = take_rows(train.features, image_idxs)
        return features, captions

    def step(self, learning_rate: float) -> float:
        """One minibatch: loss, gradients, parameter update.  Returns the loss.
        Raises ``FloatingPointError`` (before touching the weights) when the
        loss is not finite."""
        features, captions = self._minibatch()
        loss, grads = self.model.loss(features, captions, input_words=self._dropped_inputs(captions))
        if not math.isfinite(loss):
            raise FloatingPointError(f"training diverged (loss {loss}) at iteration {self.iteration + 1}; "
                                     "lower the learning rate")
        if self.grad_clip > 0:
            norm = math.sqrt(sum(float((g * g).sum()) for g in grads.values()))
            if norm > self.grad_clip:
                grads = {name: g * (self.grad_clip / norm) for name, g in grads.items()}
        rule = UPDATE_RULES[self.update_rule]
        for name, w in self.model.params.items():
            config = self.optim_configs[name]
            config["learning_rate"] = learning_rate
            self.model.params[name], self.optim_configs[name] = rule(w, grads[name], config)
        self.iteration += 1
        self.loss_history.append(loss)
        return loss

    @staticmethod
    def _read(control: Control, fallback: TrainParams) -> tuple[float, float]:
        p = control.params
        if p is None:
            return fallback.learning_rate, fallback.lr_decay
        if isinstance(p, Mapping):
            return float(p["learning_rate"]), float(p.get("lr_decay", fallback.lr_decay))
        return float(p.learning_rate), float(getattr(p, "lr_decay", fallback.lr_decay))

    def run(self, control: Control | None = None) -> Iterator[Frame]:
        """Train until ``num_epochs`` are done or ``control`` is cancelled.

        Yields a :class:`Frame` when ``control.should_emit()``, at every epoch
        end (with ``val_bleu4`` when there is a validation split) and at the
        end (also when it stops early: the last frame is at the last iteration
        done): ``metrics = {'loss', 'lr'[, 'val_bleu4']}``, ``info`` a
        :class:`TrainingStep`.  The learning rate
        is read from ``control.params`` every iteration; after every epoch it
        is multiplied by ``lr_decay`` and written back with ``control.update``.
        """
        if control is None:
            control = Control(self.default_params())
        total = self.total_iterations
        if self.iteration >= total:
            yield self._frame(total, float("nan"), self.learning_rate, epoch_end=False, final=True)
            return
        while self.iteration < total:
            lr, decay = self._read(control, self.default_params())
            loss = self.step(lr)
            self.learning_rate = lr
            emit = control.should_emit()
            epoch_end = self.iteration % self.iterations_per_epoch == 0
            bleu = None
            if epoch_end:
                self.epoch += 1
                self.learning_rate = lr * decay
                if decay != 1.0 and control.params is not None:
                    control.update(learning_rate=self.learning_rate)
                bleu = self._epoch_bleu()
            final = self.iteration >= total
            stopping = control.cancelled
            if emit or epoch_end or final or stopping:   # a stopped run reports the iteration it stopped at
                yield self._frame(total, loss, lr, epoch_end=epoch_end, final=final, bleu=bleu)
            if stopping or control.cancelled:
                return

    def _frame(self, total: int, loss: float, lr: float, *, epoch_end: bool, final: bool,
               bleu: float | None = None) -> Frame:
        metrics = {"loss": float(loss), "lr": float(lr)}
        if bleu is not None:
            metrics["val_bleu4"] = bleu
        norms = self.model.last_hidden_grad_norms
        info = TrainingStep(self.epoch, self.iteration, epoch_end, self.iteration / self.iterations_per_epoch,
                            [] if norms is None else norms.tolist())
        return Frame(step=self.iteration, total=total, metrics=metrics, info=info, final=final)

    # ------------------------------------------------------------------ evaluation
    def _epoch_bleu(self) -> float | None:
        if self.val_bleu_samples <= 0 or not self.has_split("val"):
            return None
        bleu4 = self.evaluate_bleu("val", max_images=self.val_bleu_samples)["bleu4"]
        self.val_bleu_history.append((self.epoch, bleu4))
        return bleu4

    def _references(self, split: str, max_images: int | None):
        """``(features, reference word lists, caption length)`` of the images
        BLEU is measured on (read once per split and size)."""
        key = f"{split}:{max_images}"
        if key not in self._reference_cache:
            part = self.data.split(split)
            images, refs = split_references(self.data, split, max_images,
                                            idx_to_word=self.data.idx_to_word or self.model.idx_to_word)
            features = torch.as_tensor(take_rows(part.features, images)).cpu()
            self._reference_cache[key] = (features, [[r.split() for r in rs] for rs in refs], part.caption_length)
        return self._reference_cache[key]

    def evaluate_bleu(self, split: str = "val", *, max_images: int | None = None, batch: int = 500) -> dict[str, float]:
        """Corpus BLEU-1..4 of greedy captions of (up to ``max_images``) images
        of ``split`` against all their reference captions."""
        if not self.has_split(split):
            raise ValueError(f"the data has no {split!r} split")
        features, refs, length = self._references(split, max_images)
        words: list[list[str]] = []
        for start in range(0, features.shape[0], batch):
            words += greedy_decode(self.model, features[start:start + batch], max_length=max(1, length - 1),
                                   top_k=0).words
        return corpus_bleu(refs, words)

    # ------------------------------------------------------------------ stop / resume
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume (plain data and tensors only)."""
        return {"update_rule": self.update_rule, "optim_config": dict(self.optim_config),
                "optim_configs": {k: dict(v) for k, v in self.optim_configs.items()},
                "learning_rate": self.learning_rate, "lr_decay": self.lr_decay, "batch_size": self.batch_size,
                "num_epochs": self.num_epochs, "iteration": self.iteration, "epoch": self.epoch,
                "loss_history": list(self.loss_history),
                "val_bleu_history": [list(x) for x in self.val_bleu_history],
                "word_dropout": self.word_dropout, "dropout_words": self.dropout_words,
                "grad_clip": self.grad_clip,
                "rng_state": json.dumps(self.rng.bit_generator.state)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue from :meth:`state_dict` (e.g. a checkpoint's ``solver_state``)."""
        try:
            self.update_rule = str(state["update_rule"])
            self.optim_configs = {k: dict(v) for k, v in state["optim_configs"].items()}
            self.learning_rate = float(state["learning_rate"])
            self.lr_decay = float(state["lr_decay"])
            self.iteration, self.epoch = int(state["iteration"]), int(state["epoch"])
            self.loss_history = [float(x) for x in state["loss_history"]]
            self.val_bleu_history = [(int(e), float(b)) for e, b in state.get("val_bleu_history", [])]
            if "rng_state" in state:
                self.rng.bit_generator.state = json.loads(state["rng_state"])
            if "grad_clip" in state:
                self.grad_clip = check_number("gradient clipping", state["grad_clip"], low=0, high=1e6)
            if "word_dropout" in state:
                self.set_word_dropout(state["word_dropout"], state.get("dropout_words"))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"incomplete solver state ({exc})") from None
        if set(self.optim_configs) != set(self.model.params):
            raise ValueError("the solver state belongs to a model with other parameters")
