"""A narrow prediction list (the second opinion's two side by side) keeps the
class names readable: the probability bar gives up width, not the name
("blue (2)", not "blu…")."""
from __future__ import annotations

from engine.models import Prediction
from guiapp.widgets.predictions import PredictionList


def test_a_narrow_list_shows_short_class_names_whole(qtbot):
    lst = PredictionList()
    qtbot.addWidget(lst)
    lst.set_predictions([Prediction(2, "blue", 0.397), Prediction(1, "green", 0.357), Prediction(0, "red", 0.246)])
    lst.resize(180, 150)
    lst.show()
    qtbot.waitExposed(lst)
    needed = max(lst.fontMetrics().horizontalAdvance(lst.topLevelItem(i).text(0)) for i in range(3))
    assert lst.header().sectionSize(0) > needed
    lst.resize(500, 150)   # wide: the bar has its full width again
    qtbot.wait(50)
    assert lst.header().sectionSize(2) == 90
