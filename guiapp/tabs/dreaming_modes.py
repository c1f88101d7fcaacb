"""The Dreaming tab's modes as a table: for each, its title, its parameters,
what it needs (a layer or a class, a source photo, a guide) and the engine
job it starts; and :class:`RunInfo`, what made a result.  Adding a mode is
adding a row."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

import numpy as np

from engine.generation import ClassVizParams, DreamParams, InversionParams, class_visualization, deepdream, feature_inversion
from engine.generation.accentuation import AccentParams, accentuate
from engine.generation.classviz import recommended_parameterization
from engine.jobs import Control, Frame

__all__ = ["follow_network", "frame_status",
           "CLASSVIZ", "ACCENTUATE", "INVERSION", "DREAM", "GUIDED", "MODES", "MODE_TABLE", "Mode", "Inputs", "RunInfo"]

#: the modes' keys (what code and saved files use; the titles are for people)
CLASSVIZ, ACCENTUATE, INVERSION, DREAM, GUIDED = ("classviz", "accentuate", "inversion", "deepdream", "guided")


@dataclass(frozen=True)
class Inputs:
    """What a mode's job is made from: the tab's choices when Start is pressed."""

    model: object
    source: np.ndarray | None
    guide: np.ndarray | None
    layer: str
    target: int
    seed: int
    init: np.ndarray | None  # warm start (Continue)


@dataclass(frozen=True)
class Mode:
    """One row of the Dreaming tab's table of modes."""

    title: str                             # shown in the mode box, messages and the history strip
    defaults: Callable[[], object]         # the mode's parameters when the tab opens
    job: Callable[[Inputs, Control], Iterator[Frame]]
    uses_layer: bool = True
    uses_source: bool = True
    uses_guide: bool = False
    preferred_layer: str | None = None
    shows_importance: bool = False         # frames carry the importance mask (extra["importance"])


MODE_TABLE: dict[str, Mode] = {
    CLASSVIZ: Mode("Class visualization", lambda: ClassVizParams.defaults("fourier"), uses_layer=False, uses_source=False,
                   job=lambda i, c: class_visualization(i.model, i.target, control=c, seed=i.seed, init=i.init),
                   shows_importance=True),
    ACCENTUATE: Mode("Feature accentuation", AccentParams.defaults, uses_layer=False, shows_importance=True,
                     job=lambda i, c: accentuate(i.model, i.init if i.init is not None else i.source, i.target,
                                                 control=c, seed=i.seed)),
    INVERSION: Mode("Feature inversion", InversionParams, preferred_layer="blocks.5",
                    job=lambda i, c: feature_inversion(i.model, i.source, i.layer, control=c, seed=i.seed, init=i.init)),
    DREAM: Mode("DeepDream", DreamParams, preferred_layer="blocks.8",
                job=lambda i, c: deepdream(i.model, i.init if i.init is not None else i.source, i.layer, control=c,
                                           seed=i.seed)),
    GUIDED: Mode("Guided DeepDream", DreamParams, uses_guide=True, preferred_layer="blocks.8",
                 job=lambda i, c: deepdream(i.model, i.init if i.init is not None else i.source, i.layer, control=c,
                                            guide=i.guide, seed=i.seed)),
}
MODES = tuple(MODE_TABLE)


def follow_network(params: dict, model_name: str) -> bool:
    """Class visualization settings nobody changed (``params[CLASSVIZ]`` one of the
    recommended recipes, at any size) become those of the network ``model_name``'s own
    parameterisation (MACO where it names more classes), at the same size (the size
    follows the model's input size: :mod:`.dreaming_follow`); whether they changed."""
    size = params[CLASSVIZ].size
    if params[CLASSVIZ] not in {ClassVizParams.defaults(kind, size=size) for kind in ("fourier", "maco")}:
        return False
    params[CLASSVIZ] = ClassVizParams.defaults(recommended_parameterization(model_name), size=size)
    return True


def frame_status(frame: Frame, octave) -> str:
    """The status line of a running job's ``frame``: its step, DeepDream's
    ``octave`` (:class:`~engine.generation.deepdream.Octave`, or ``None``) and its metrics."""
    metrics = " · ".join(f"{k} {v:.4g}" for k, v in frame.metrics.items() if k != "octave")
    where = f" · {octave.describe()}" if octave is not None else ""
    return f"step {frame.step}/{frame.total}{where} · {metrics}"


@dataclass(frozen=True)
class RunInfo:
    """What made a Dreaming result: saved in its PNG, shown in the history strip."""

    mode: str                     # a key of MODE_TABLE
    model: str
    seed: int
    warm_start: bool
    layer: str | None = None      # the modes that use a layer
    target: int | None = None     # class visualization
    label: str | None = None
    source: str | None = None     # file names of the photos used
    guide: str | None = None

    @property
    def title(self) -> str:
        return MODE_TABLE[self.mode].title

    @property
    def subject(self) -> str:
        """The class or the layer: what the picture is of."""
        return self.label or self.layer or ""

    def as_dict(self) -> dict:
        """The fields that apply (for PNG metadata), the mode as its title as before."""
        return {k: v for k, v in asdict(self).items() if v is not None} | {"mode": self.title, "mode_key": self.mode}
