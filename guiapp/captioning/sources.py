"""Where captioning data comes from: each :class:`Source` has a label, a help
line, an options widget and turns the options into a :class:`SourceRequest`
(a label and a job building the classic data dict in the background)."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QFormLayout, QSpinBox, QWidget

from engine.captioning.data.shapes import ShapesConfig, build_shapes, default_feature_spec
from engine.jobs import Control, Frame

__all__ = ["Source", "SourceRequest", "SOURCES", "ScenesOptions", "scenes_request"]

#: ``job(cnn, control)``: ``cnn(name)`` returns the classifier called ``name``
Job = Callable[[Callable[[str], Any], Control], Iterator[Frame]]


@dataclass(frozen=True)
class SourceRequest:
    label: str
    job: Job


@dataclass(frozen=True)
class Source:
    label: str
    help: str
    make_options: Callable[[QWidget], QWidget]
    request: Callable[[QWidget], SourceRequest]


def _spin(lo: int, hi: int, value: int, step: int) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setValue(value)
    s.setSingleStep(step)
    return s


class ScenesOptions(QWidget):
    """Options of the built-in dataset."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.n_train = _spin(20, 100000, 3000, 500)
        self.image_size = _spin(32, 256, 96, 16)
        self.seed = _spin(0, 10**6, 0, 1)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Training images", self.n_train)
        form.addRow("Image size (px)", self.image_size)
        form.addRow("Seed", self.seed)

    def config(self) -> ShapesConfig:
        n = self.n_train.value()
        return ShapesConfig(seed=self.seed.value(), n_train=n, n_val=max(10, n // 10), n_test=max(10, n // 10),
                            image_size=self.image_size.value())


def scenes_request(config: ShapesConfig) -> SourceRequest:
    spec = default_feature_spec(config)

    def job(cnn: Callable[[str], Any], control: Control) -> Iterator[Frame]:
        return (yield from build_shapes(lambda: cnn(spec.cnn), config, spec, control))

    return SourceRequest(f"Built-in scenes ({config.n_train} training images, seed {config.seed})", job)


SOURCES: list[Source] = [
    Source(
        label="Built-in scenes of shapes",
        help="Generated pictures of coloured shapes with several captions each; nothing to download. "
             "Some colour-shape pairs are held out of training to test generalisation. "
             "The CNN features are cached, so the second load is instant.",
        make_options=ScenesOptions,
        request=lambda page: scenes_request(page.config()),
    ),
]
