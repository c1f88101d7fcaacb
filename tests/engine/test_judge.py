"""The second opinion: another bundled network classifies a result."""
import numpy as np
import pytest

from engine.jobs import run_to_end
from engine.models import load_model
from engine.models.judge import cached_model, default_judge, judge_choices, judge_view, second_opinion, second_opinion_job
from engine.models.registry import canonical_name


@pytest.fixture(scope="module")
def lite1():
    return cached_model("efficientnet_lite1", "cpu")


def test_short_names_and_choices():
    assert canonical_name("lite1") == "efficientnet_lite1" and canonical_name("resnet18") == "resnet18"
    assert load_model("lite2", device="cpu").name == "efficientnet_lite2"
    assert judge_choices("efficientnet_lite0") == ["efficientnet_lite1", "efficientnet_lite2"]
    assert default_judge("efficientnet_lite0") == "efficientnet_lite1"
    assert default_judge("efficientnet_lite1") == "efficientnet_lite0"
    assert default_judge("resnet18") == "efficientnet_lite1"
    assert cached_model("efficientnet_lite1", "cpu") is cached_model("efficientnet_lite1", "cpu")


def test_the_judge_sees_the_whole_result_at_its_own_size(lite0, lite1, photo):
    """A 224-px result of Lite0 is resized whole to Lite1's 240 px (no crop), and
    a photo the working network recognises is recognised by the judge too."""
    view = lite0.prepare(photo("coffee.png"))
    assert judge_view(lite1, view).shape == (240, 240, 3)
    edge = view.copy()
    edge[:, :8] = 0  # the edge the 88 % centre crop would cut away must reach the judge
    assert not np.array_equal(judge_view(lite1, edge), judge_view(lite1, view))
    top = second_opinion(lite1, view, 5)
    assert len(top) == 5 and top[0].label in {"espresso", "cup"}


def test_the_job_loads_the_judge_once_and_reports_its_top5(lite0, photo):
    image = lite0.prepare(photo("chelsea.png"))
    last, predictions = run_to_end(second_opinion_job("efficientnet_lite1", image, "cpu"))
    assert last.final and last.info.judge == "efficientnet_lite1"
    assert predictions == last.info.predictions and len(predictions) == 5
    assert predictions[0].label in {"tabby", "tiger cat", "Egyptian cat"}


def test_a_network_with_other_classes_is_not_judged_on_its_target(lite0, photo):
    """A user's network with its own classes: its class 1 is not the judge's
    (ImageNet's goldfish), so no target probability is reported."""
    import copy

    working = copy.copy(lite0)
    working.labels = tuple(f"fruit {i}" for i in range(len(lite0.labels)))
    image = lite0.prepare(photo("chelsea.png"))
    last, _ = run_to_end(second_opinion_job("efficientnet_lite1", image, "cpu", working=working, target=1))
    assert not last.info.same_classes and last.info.target_prob is None
    assert last.info.working_target_prob is not None
    same, _ = run_to_end(second_opinion_job("efficientnet_lite1", image, "cpu", working=lite0, target=1))
    assert same.info.same_classes and 0.0 <= same.info.target_prob <= 1.0
