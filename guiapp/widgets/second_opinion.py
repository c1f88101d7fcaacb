"""``SecondOpinion``: another bundled network classifies the current result.

A box with a judge chooser and an *Ask* button; the working network's top-5
for the result and the judge's top-5 side by side, and one line saying
whether the judge sees the target too (for a fooling image: Szegedy et al.'s
question whether it transfers to another network).  The judge is loaded once
in the background (:func:`engine.models.judge.second_opinion_job`).
"""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QWidget
from superqt.utils import signals_blocked

from engine.jobs import Control
from engine.models.judge import Opinion, default_judge, judge_choices, second_opinion_job

from ..context import AppContext
from ..jobrunner import JobRunner
from .predictions import PredictionList

__all__ = ["SecondOpinion"]


class SecondOpinion(QGroupBox):
    """``set_result(image, target)`` remembers a result (and asks at once with
    ``auto``); :meth:`ask` classifies it with the chosen judge.  ``show_working``:
    also list the working network's top-5 (off where the tab lists it already)."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, auto: bool = False,
                 show_working: bool = True) -> None:
        super().__init__("Second opinion", parent)
        self.ctx = ctx
        self.auto = auto
        self.image: np.ndarray | None = None
        self.target: int | None = None
        self.last: Opinion | None = None  # the last answer
        self.judge = QComboBox()
        self.judge.setToolTip("Another bundled network classifies the result")
        self.ask_button = QPushButton("Ask")
        self.ask_button.setToolTip("Classify the result with the chosen network too")
        self.working_title, self.judge_title = QLabel("This network"), QLabel("Judge")
        self.working_list, self.judge_list = PredictionList(), PredictionList()
        for lst in (self.working_list, self.judge_list):
            lst.setMinimumHeight(60)
            lst.setMaximumHeight(lst.height_for(5))  # the top 5, no empty space below
        self.verdict = QLabel("Finish a result, then Ask.")
        self.verdict.setWordWrap(True)
        self.runner = JobRunner(self)

        top = QHBoxLayout()
        top.addWidget(QLabel("Judge"))
        top.addWidget(self.judge, 1)
        top.addWidget(self.ask_button)
        grid = QGridLayout(self)
        grid.addLayout(top, 0, 0, 1, 2)
        grid.addWidget(self.working_title, 1, 0)
        grid.addWidget(self.judge_title, 1, 1)
        grid.addWidget(self.working_list, 2, 0)
        grid.addWidget(self.judge_list, 2, 1)
        grid.addWidget(self.verdict, 3, 0, 1, 2)
        for w in (self.working_title, self.working_list):  # hidden where the tab lists them already
            w.setVisible(show_working)

        self.ask_button.clicked.connect(self.ask)
        self.judge.currentIndexChanged.connect(lambda _i: self._clear_answer())
        self.runner.connect_slots(frame=self._on_frame, failed=lambda m: ctx.error("Second opinion failed", m),
                                  running=lambda _r: self._update())
        ctx.model_changed.connect(self._on_model)
        self._on_model(ctx.model)

    # -- inputs ----------------------------------------------------------------
    def _on_model(self, model) -> None:
        name = getattr(model, "name", None)
        current = self.judge.currentData()
        with signals_blocked(self.judge):
            self.judge.clear()
            for choice in judge_choices(name):
                self.judge.addItem(choice.replace("efficientnet_", "EfficientNet-").replace("lite", "Lite"), choice)
            wanted = current if current in judge_choices(name) else default_judge(name)
            self.judge.setCurrentIndex(max(0, self.judge.findData(wanted)))
        self._clear_answer()

    def set_result(self, image: np.ndarray | None, target: int | None = None) -> None:
        """A new result (``None``: none); ``target`` is the class it was made for, if any."""
        self.image, self.target = image, target
        self._clear_answer()
        if image is not None and self.auto:
            self.ask()

    def _clear_answer(self) -> None:
        if self.runner.is_running:
            self.runner.discard()
        self.last = None
        self.working_list.set_predictions([])
        self.judge_list.set_predictions([])
        self.verdict.setText("Ask for another network's view of this result." if self.image is not None
                             else "Finish a result, then Ask.")
        self._update()

    def _update(self) -> None:
        ready = self.image is not None and self.ctx.model is not None and self.judge.count() > 0
        self.ask_button.setEnabled(ready and not self.runner.is_running)

    # -- asking ----------------------------------------------------------------
    def ask(self) -> bool:
        model, image, judge = self.ctx.model, self.image, self.judge.currentData()
        if model is None or image is None or not judge:
            return False
        control, target, device = Control(), self.target, self.ctx.device
        self.verdict.setText(f"Asking {judge}…")
        self.runner.start(lambda: second_opinion_job(judge, image, device, control, working=model, target=target),
                          control)
        self._update()
        return True

    def _on_frame(self, frame) -> None:
        opinion: Opinion = frame.info
        self.last = opinion
        self.working_title.setText(opinion.working or "This network")
        self.judge_title.setText(f"{opinion.judge} (judge)")
        self.working_list.set_predictions(opinion.working_predictions, highlight=self.target)
        self.judge_list.set_predictions(opinion.predictions, highlight=self.target if opinion.same_classes else None)
        self.verdict.setText(self.describe(opinion, self.target))

    @staticmethod
    def describe(opinion: Opinion, target: int | None) -> str:
        """One line: does the judge see what the working network sees (or the target)?"""
        judge_top = opinion.predictions[0]
        if not opinion.same_classes:  # its class 3 is not the working network's class 3
            return (f"{opinion.judge} says: {judge_top.label} ({judge_top.prob:.1%}); it knows other classes"
                    + (", so it cannot judge the target." if target is not None else "."))
        if target is None:
            own = opinion.working_predictions or [None]
            same = own[0] is not None and own[0].index == judge_top.index
            return (f"{opinion.judge} {'agrees' if same else 'says'}: {judge_top.label} ({judge_top.prob:.1%}).")
        prob = opinion.target_prob or 0.0
        if judge_top.index == target:
            return f"{opinion.judge} sees it too: {judge_top.label} ({prob:.1%}) is its top class."
        return (f"{opinion.judge} does not see the target: its top class is {judge_top.label} "
                f"({judge_top.prob:.1%}); the target has {prob:.2%}.")

    def shutdown(self) -> None:
        self.runner.stop()
        self.runner.wait(2000)
