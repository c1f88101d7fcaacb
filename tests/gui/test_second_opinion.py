"""A second opinion in the window: at the end of a fooling run another bundled
network classifies the fooling image by itself (does it fool that one too?);
in the Dreaming tab one click asks it about the finished result."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from engine.models import Prediction
from engine.models.judge import Opinion, cached_model
from guiapp.tabs.dreaming_tab import DreamingTab
from guiapp.tabs.fooling_tab import FoolingTab
from guiapp.widgets.second_opinion import SecondOpinion


def test_the_fooling_tab_asks_another_network_at_the_end_of_a_run(qtbot, open_tab, ctx, photo_dir):
    tab = open_tab(FoolingTab)
    assert [tab.opinion.judge.itemData(i) for i in range(tab.opinion.judge.count())] == [
        "efficientnet_lite1", "efficientnet_lite2"]
    assert not tab.opinion.ask_button.isEnabled()  # nothing to judge yet
    assert tab.open_file(str(photo_dir / "coffee.png"))
    qtbot.waitUntil(lambda: len(tab.classify.predictions) == 5, timeout=30000)
    tab.picker.set_class(ctx.model.class_index("tarantula"))
    tab.run_button.click()
    qtbot.waitUntil(lambda: tab.result is not None and not tab.runner.is_running, timeout=60000)
    qtbot.waitUntil(lambda: bool(tab.opinion.last), timeout=60000)
    answer = tab.opinion.last
    assert answer.judge == "efficientnet_lite1" and len(answer.predictions) == 5
    assert 0.0 <= answer.target_prob <= 1.0
    assert len(tab.opinion.judge_list.predictions) == 5
    assert "efficientnet_lite1" in tab.opinion.verdict.text()
    tab.open_file(str(photo_dir / "chelsea.png"))  # a new photo: the old answer goes
    qtbot.waitUntil(lambda: not tab.opinion.last and not tab.opinion.judge_list.predictions, timeout=30000)


def test_the_dreaming_tab_asks_in_one_click(qtbot, open_tab):
    tab = open_tab(DreamingTab)
    tab.picker.set_class(1)
    tab.form.widgets["size"].setValue(64)
    tab.form.widgets["steps"].setValue(3)
    assert tab.start()
    qtbot.waitUntil(lambda: not tab.runner.is_running and tab.history.count() == 1, timeout=60000)
    assert tab.opinion.ask_button.isEnabled() and not tab.opinion.last
    tab.opinion.judge.setCurrentIndex(tab.opinion.judge.findData("efficientnet_lite2"))
    tab.opinion.ask_button.click()
    qtbot.waitUntil(lambda: bool(tab.opinion.last), timeout=60000)
    assert tab.opinion.last.judge == "efficientnet_lite2" and tab.opinion.last.working == "efficientnet_lite0"
    assert len(tab.opinion.working_list.predictions) == len(tab.opinion.judge_list.predictions) == 5


def test_the_choices_follow_the_working_network(qtbot, ctx):
    box = SecondOpinion(ctx)
    qtbot.addWidget(box)
    lite1 = cached_model("efficientnet_lite1", "cpu")
    ctx.model_changed.emit(lite1)
    choices = [box.judge.itemData(i) for i in range(box.judge.count())]
    assert choices == ["efficientnet_lite0", "efficientnet_lite2"] and box.judge.currentData() == "efficientnet_lite0"
    opinion = Opinion("efficientnet_lite0", [Prediction(3, "tiger shark", 0.4)], target_prob=0.01)
    assert "does not see the target" in SecondOpinion.describe(opinion, target=2)
    assert "sees it too" in SecondOpinion.describe(replace(opinion, target_prob=0.4), target=3)
    other = replace(opinion, working="fruit.pth", target_prob=None, same_classes=False)  # a user's 5-class network
    assert SecondOpinion.describe(other, target=3) == (
        "efficientnet_lite0 says: tiger shark (40.0%); it knows other classes, so it cannot judge the target.")
    assert "agrees" not in SecondOpinion.describe(other, target=None)
    box.set_result(np.zeros((8, 8, 3), np.uint8))
    assert box.ask_button.isEnabled()
    box.shutdown()


@pytest.fixture(autouse=True)
def _lite0_back(ctx, lite0):
    yield
    ctx.model = lite0
