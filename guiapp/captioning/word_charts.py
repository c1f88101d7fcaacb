"""Views of how a caption was decoded: ``TopKChart`` (for every generated
word, the k most probable words as horizontal bars) and ``BeamTree`` (for
beam search, the hypotheses kept, finished and dropped at every step)."""
from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QTreeWidget, QTreeWidgetItem, QWidget

from engine.captioning.decoding import BeamStep

__all__ = ["TopKChart", "BeamTree"]

COL_W, ROW_H, HEAD_H, PAD = 150, 20, 26, 6
CHOSEN, OTHER, END = QColor("#f0b442"), QColor("#b7cde6"), QColor("#cfcfcf")
#: the same bars under light text (a dark theme)
DARK_CHOSEN, DARK_OTHER, DARK_END = QColor("#7d5200"), QColor("#2f4d73"), QColor("#4a4d52")


def bar_colors(dark: bool) -> tuple[QColor, QColor, QColor]:
    """(chosen, other, end) bar colours that the palette's text reads on."""
    return (DARK_CHOSEN, DARK_OTHER, DARK_END) if dark else (CHOSEN, OTHER, END)


class TopKChart(QWidget):
    """One column per generated word: the word on top, below it the top-k
    candidates at that step with probability bars (the chosen one amber)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.words: list[str] = []
        self.top_k: list[list[tuple[str, float]]] = []
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(HEAD_H + ROW_H)

    def set_steps(self, chosen: Sequence[str], top_k: Sequence[Sequence[tuple[str, float]]]) -> None:
        """``chosen[t]`` the word emitted at step t (``<END>`` included),
        ``top_k[t]`` the ``(word, probability)`` pairs at that step."""
        self.words = list(chosen)
        self.top_k = [list(t) for t in top_k]
        self.updateGeometry()
        self.resize(self.sizeHint())
        self.update()

    def clear(self) -> None:
        self.set_steps([], [])

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt API
        k = max((len(t) for t in self.top_k), default=1)
        return QSize(max(1, len(self.top_k)) * COL_W + PAD, HEAD_H + k * ROW_H + PAD)

    minimumSizeHint = sizeHint

    def paintEvent(self, _event) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        bold, normal = QFont(self.font()), QFont(self.font())
        bold.setBold(True)
        text_pen = QPen(self.palette().text().color())
        chosen_bar, other_bar, end_bar = bar_colors(self.palette().window().color().lightness() < 128)
        for t, cands in enumerate(self.top_k):
            x0 = t * COL_W + PAD
            chosen = self.words[t] if t < len(self.words) else ""
            p.setFont(bold)
            p.setPen(text_pen)
            p.drawText(QRectF(x0, 2, COL_W - PAD, HEAD_H - 4), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       f"{t + 1}. {chosen}")
            p.setFont(normal)
            for r, (word, prob) in enumerate(cands):
                y = HEAD_H + r * ROW_H
                bar_w = max(1.0, (COL_W - PAD - 4) * float(prob))
                color = chosen_bar if word == chosen else (end_bar if word.startswith("<") else other_bar)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QBrush(color))
                p.drawRoundedRect(QRectF(x0, y + 2, bar_w, ROW_H - 4), 3, 3)
                p.setFont(bold if word == chosen else normal)
                p.setPen(text_pen)
                p.drawText(QRectF(x0 + 4, y, COL_W - PAD - 8, ROW_H),
                           Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, f"{word}  {prob:.0%}")
        p.end()


class BeamTree(QTreeWidget):
    """A row per step (counts), under it every hypothesis with its status and score."""

    COLORS = {"kept": QColor("#2a9d4b"), "finished": QColor("#3d7bd9"), "dropped": QColor("#9a9a9a")}  # light and dark

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Step / hypothesis", "Status", "Score (log p / length)"])
        self.setColumnWidth(0, 330)
        self.setColumnWidth(1, 80)
        self.setAlternatingRowColors(True)

    def set_steps(self, steps: Sequence[BeamStep] | None) -> None:
        self.clear()
        for step in steps or []:
            head = QTreeWidgetItem([f"step {step.step + 1}: {len(step.kept)} kept, {len(step.finished)} finished, "
                                    f"{len(step.dropped)} dropped", "", ""])
            self.addTopLevelItem(head)
            for status, beams in (("finished", step.finished), ("kept", step.kept), ("dropped", step.dropped)):
                for beam in beams:
                    words = " ".join(beam.words) + (" <END>" if status == "finished" else "")
                    item = QTreeWidgetItem([words or "(empty)", status, f"{beam.score:.3f}"])
                    for c in range(3):
                        item.setForeground(c, QBrush(self.COLORS[status]))
                    head.addChild(item)
            head.setExpanded(True)

    def counts(self) -> dict[str, int]:
        """How many hypotheses of each status the tree shows (all steps)."""
        out = {"kept": 0, "finished": 0, "dropped": 0}
        for i in range(self.topLevelItemCount()):
            head = self.topLevelItem(i)
            for j in range(head.childCount()):
                out[head.child(j).text(1)] += 1
        return out
