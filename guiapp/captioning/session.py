"""``CaptioningSession``: what the Captioning tab's panels share — the loaded
dataset, the current captioning model and its solver, the training runs, the
CNN that turns photos into features, saving and loading checkpoints."""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.captioning import CaptioningSolver
from engine.captioning.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from engine.captioning.data import CaptionData
from engine.captioning.data.features import FeatureSpec
from engine.captioning.jobs import Run
from engine.captioning.model import CELLS
from engine.models import load_model

from ..context import AppContext
from ..paths import user_data_path

__all__ = ["CaptioningSession", "default_autosave_path"]

log = logging.getLogger(__name__)


def default_autosave_path() -> Path:
    """``<user data folder>/captioning/autosave.pt`` (:func:`guiapp.paths.user_data_path`)."""
    return user_data_path("captioning", "autosave.pt")


class CaptioningSession(QObject):
    """Shared state.  Signals: ``data_changed(object)`` (the :class:`CaptionData` or
    ``None``), ``model_changed(object)`` (the :class:`CaptioningRNN` or
    ``None``), ``runs_changed()``."""

    data_changed = Signal(object)
    model_changed = Signal(object)
    runs_changed = Signal()

    def __init__(self, ctx: AppContext, autosave_path: str | os.PathLike | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.autosave_path = Path(autosave_path) if autosave_path else default_autosave_path()
        self.data: CaptionData | None = None
        self.data_label = ""
        self.model = None
        self.solver: CaptioningSolver | None = None
        self.spec: FeatureSpec | None = None        # how photos become this model's features
        self.model_label = ""
        self.runs: list[Run] = []
        self.current_run: Run | None = None
        self.saved_iteration = 0                    # solver iteration at the last explicit save/load
        self._resume_state: tuple[dict, Run] | None = None   # a loaded model's solver state, awaiting its data
        self._cnn_lock = threading.Lock()
        self._cnns: dict[str, Any] = {}

    # -- data ------------------------------------------------------------------
    def set_data(self, data: Mapping[str, Any] | None, label: str = "") -> None:
        """Use ``data`` (a :class:`CaptionData`, or the classic dict) from now on; ``None``: no data."""
        data = CaptionData.of(data) if data is not None else None
        self.data = data
        self.data_label = label
        if data is not None and data.feature_spec and self.model is None:
            self.spec = FeatureSpec.from_dict(dict(data.feature_spec))
        if self._resume_state is not None and self.solver is None and self.data_matches_model():
            state, run = self._resume_state
            self.solver, _ = self._restore_solver(self.model, state, run)
            if self.solver is not None:
                self._resume_state = None
                self.saved_iteration = self.solver.iteration
        self.data_changed.emit(data)

    @property
    def data_spec(self) -> FeatureSpec | None:
        if self.data is None or not self.data.feature_spec:
            return None
        return FeatureSpec.from_dict(dict(self.data.feature_spec))

    def data_matches_model(self, model=None) -> bool:
        """Whether the loaded data can train / be captioned by ``model`` (default: the current one)."""
        model = model if model is not None else self.model
        if self.data is None or model is None:
            return False
        return self.data.feature_dim == model.input_dim and self.data.word_to_idx == model.word_to_idx

    # -- the CNN for photos ----------------------------------------------------------
    def cnn(self, name: str):
        """The classifier called ``name`` (the window's model when it is the
        one, else loaded once and kept).  Safe to call from a worker thread."""
        current = self.ctx.model
        if current is not None and current.name == name:
            return current
        with self._cnn_lock:
            if name not in self._cnns:
                self._cnns[name] = load_model(name, self.ctx.device)
            return self._cnns[name]

    # -- model -------------------------------------------------------------------
    def set_model(self, model, solver: CaptioningSolver | None = None, *, spec: FeatureSpec | None = None,
                  label: str = "", run: Run | None = None) -> None:
        self.model, self.solver = model, solver
        self._resume_state = None
        self.spec = spec if spec is not None else self.data_spec
        self.model_label = label
        if run is not None:
            self.runs.append(run)
            self.current_run = run
            self.runs_changed.emit()
        self.saved_iteration = solver.iteration if solver is not None else 0
        self.model_changed.emit(model)

    @property
    def iteration(self) -> int:
        return self.solver.iteration if self.solver is not None else 0

    def has_unsaved_model(self) -> bool:
        return self.solver is not None and self.solver.iteration > self.saved_iteration

    def _metadata(self) -> dict[str, Any]:
        return {"feature_spec": self.spec.as_dict() if self.spec else None, "dataset": self.data_label,
                "label": self.model_label}

    def save_model(self, path: str | os.PathLike, *, explicit: bool = True) -> Path:
        """Write the model (and solver) atomically; raises :class:`CheckpointError`."""
        if self.model is None:
            raise CheckpointError(path, "there is no model to save yet")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        out = save_checkpoint(path, self.model, self.solver, cnn_name=self.spec.cnn if self.spec else None,
                              feature_layer=self.spec.description if self.spec else None, metadata=self._metadata())
        if explicit and self.solver is not None:
            self.saved_iteration = self.solver.iteration
        return out

    def autosave(self) -> Path | None:
        """Save to :attr:`autosave_path`; never raises (a failure is logged)."""
        if self.model is None:
            return None
        try:
            return self.save_model(self.autosave_path, explicit=False)
        except (CheckpointError, OSError) as exc:
            log.warning("autosave failed: %s", exc)
            return None

    def _restore_solver(self, model, state: dict, run: Run) -> tuple[CaptioningSolver | None, str]:
        """A solver on the loaded data continuing from a checkpoint's ``state``."""
        try:
            solver = CaptioningSolver(model, self.data, update_rule=str(state.get("update_rule", "adam")),
                                      optim_config=dict(state.get("optim_config", {})),
                                      batch_size=int(state.get("batch_size", 50)),
                                      num_epochs=int(state.get("num_epochs", 1)))
            solver.load_state_dict(state)
        except (ValueError, TypeError) as exc:
            return None, f" (cannot resume: {exc})"
        run.loss, run.val_bleu = solver.loss_history, solver.val_bleu_history
        run.iterations_per_epoch = solver.iterations_per_epoch
        return solver, ""

    def load_model(self, path: str | os.PathLike) -> str:
        """Load a checkpoint as the current model; returns a one-line summary.
        When the loaded data has the model's vocabulary and feature size the
        solver is restored too (training can resume).  Raises
        :class:`CheckpointError` for a bad file."""
        ckpt = load_checkpoint(path)
        model = ckpt.build_model(device=self.ctx.device)
        try:
            spec = ckpt.feature_spec()
            spec_note = ""
        except CheckpointError as exc:  # the model still captions dataset features; photos need the spec
            spec, spec_note = None, f"; photos cannot be captioned ({exc.reason})"
        solver, note = None, ""
        state = ckpt.solver_state
        label = ckpt.metadata.get("label") or Path(path).stem
        history = list((state or {}).get("loss_history", []))
        run = Run(label=f"{label} (loaded)", cell_type=model.cell_type, iterations_per_epoch=1, loss=history,
                  val_bleu=[tuple(x) for x in (state or {}).get("val_bleu_history", [])])
        if state is not None and self.data_matches_model(model):
            solver, note = self._restore_solver(model, state, run)
        elif state is not None:
            note = " (load its dataset to resume training)"
        self.set_model(model, solver, spec=spec, label=label, run=run if history else None)
        if solver is None and state is not None:
            self._resume_state = (state, run)       # restored when matching data is loaded
        it = (state or {}).get("iteration", 0)
        return (f"Loaded {Path(path).name}: {CELLS[model.cell_type].title}, hidden {model.hidden_dim}, "
                f"{model.vocab_size} words, {it} iterations{note}{spec_note}")
