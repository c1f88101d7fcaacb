"""engine.validation: the one place parameter values are checked."""
from __future__ import annotations

import numpy as np
import pytest

from engine.validation import check_int, check_number


@pytest.mark.parametrize("value, expected", [(3, 3), (3.0, 3), (np.int64(3), 3), (np.float32(3.0), 3)])
def test_check_int_accepts_integral_numbers_numpy_included(value, expected):
    out = check_int("n", value, low=1, high=float("inf"))
    assert out == expected and type(out) is int


@pytest.mark.parametrize("value", [True, np.bool_(True), 2.5, float("nan"), float("inf"), "3", None, [3]])
def test_check_int_rejects_everything_else_with_a_value_error(value):
    with pytest.raises(ValueError, match="n must be an integer"):
        check_int("n", value)


def test_bounds_name_the_parameter():
    with pytest.raises(ValueError, match="grid must be <= 8"):
        check_int("grid", 9, low=1, high=8)
    with pytest.raises(ValueError, match="p must be >= 0"):
        check_number("p", np.float32(-0.1), low=0)
    assert check_number("p", np.float32(0.5), high=1) == 0.5
    for bad in (True, np.bool_(False), "0.5", float("nan")):
        with pytest.raises(ValueError, match="p must be"):
            check_number("p", bad)


def test_bounds_are_inclusive_and_the_messages_exact():
    from engine.validation import check_choice

    assert check_int("n", 1, low=1, high=3) == 1 and check_int("n", 3, low=1, high=3) == 3
    assert check_int("n", 10**30, low=0, high=float("inf")) == 10**30
    cases = [(lambda: check_int("n", 0, low=1, high=3), "n must be >= 1, got 0"),
             (lambda: check_int("n", 4, low=1, high=3), "n must be <= 3, got 4"),
             (lambda: check_int("n", 2.5), "n must be an integer, got 2.5"),
             (lambda: check_number("lr", 0, low=0, strict_low=True), "lr must be > 0, got 0"),
             (lambda: check_number("p", -0.5, low=0), "p must be >= 0, got -0.5"),
             (lambda: check_number("p", 1.5, high=1), "p must be <= 1, got 1.5"),
             (lambda: check_number("p", float("inf")), "p must be a finite number, got inf"),
             (lambda: check_number("p", "1"), "p must be a number, got '1'"),
             (lambda: check_choice("mode", "c", ("a", "b")), "mode must be one of a, b; got 'c'")]
    for call, message in cases:
        with pytest.raises(ValueError) as caught:
            call()
        assert str(caught.value) == message
    assert check_number("p", 0, low=0) == 0.0 and check_number("p", 1, high=1) == 1.0
    assert check_number("lr", 1e-9, low=0, strict_low=True) == 1e-9 and check_choice("mode", "b", ("a", "b")) == "b"


def test_check_fields_normalises_a_frozen_dataclass_in_place():
    from dataclasses import dataclass

    from engine.validation import check_fields

    @dataclass(frozen=True)
    class Box:
        n: object
        x: object

        def __post_init__(self):
            check_fields(self, ints={"n": (1, 5)}, numbers={"x": (0.0, 1.0)})

    box = Box(np.int64(5), np.float32(0.5))
    assert (box.n, box.x) == (5, 0.5) and type(box.n) is int and type(box.x) is float
    with pytest.raises(ValueError, match=r"^n must be <= 5, got 6$"):
        Box(6, 0.5)
    with pytest.raises(ValueError, match=r"^x must be >= 0, got -1$"):
        Box(1, -1)
    with pytest.raises(ValueError, match=r"^n must be >= 1, got 0$"):
        Box(0, 0.5)
    with pytest.raises(ValueError, match=r"^x must be <= 1, got 2$"):
        Box(1, 2)


def _declared():
    """A parameter dataclass declared at test time (``param`` runs here, not at import)."""
    from dataclasses import dataclass

    from engine.params import Params, param

    @dataclass(frozen=True)
    class P(Params):
        steps: int = param(10, "Steps", low=1, high=100)
        lr: float = param(0.5, "Learning rate", low=0.0, strict_low=True, high=2.0)
        mode: str = param("fast", "Mode", choices=("fast", ("slow", "Slow, careful")), live=False)
        name: str = param("x", "Name")
        size: float = param(1.0, "Size", decimals=4, optional=True)
        count: int = param(3, "Count", kind="float", low=0)
        seeds: int = param(1, "Seeds", low=0)

        def check(self) -> None:
            if self.mode == "slow" and self.steps < 5:
                raise ValueError("slow needs at least 5 steps")

    return P


def test_param_declares_kind_range_and_choices_in_one_place():
    from engine.params import specs

    P = _declared()
    s = specs(P)
    assert list(s) == ["steps", "lr", "mode", "name", "size", "count", "seeds"]
    assert [spec.kind for spec in s.values()] == ["int", "float", "choice", "text", "float", "float", "int"]
    assert [spec.decimals for spec in s.values()] == [0, 2, 0, 0, 4, 2, 0]
    assert s["mode"].choices == (("fast", "fast"), ("slow", "Slow, careful")) and s["mode"].values == ("fast", "slow")
    assert s["lr"].name == "lr" and s["lr"].label == "Learning rate" and s["lr"].option == "--lr"
    assert (s["steps"].low, s["steps"].high, s["lr"].strict_low, s["size"].optional) == (1, 100, True, True)
    assert P.live_fields() == {"steps", "lr", "name", "size", "count", "seeds"}
    p = P()
    assert p.as_dict() == {"steps": 10, "lr": 0.5, "mode": "fast", "name": "x", "size": 1.0, "count": 3.0, "seeds": 1}
    assert type(P(steps=np.int64(7)).steps) is int and type(p.count) is float and P(size=None).size is None
    assert specs(p) == s


def test_params_refuse_bad_values_naming_label_and_field():
    P = _declared()
    refusals = {"steps": (0, "steps must be >= 1, got 0"),
                "lr": (0, "learning rate (lr) must be > 0, got 0"),
                "count": (-1, "count must be >= 0, got -1"),
                "mode": ("medium", "mode must be one of fast, slow; got 'medium'"),
                "name": ("", "name must be a non-empty text, got ''"),
                "seeds": (-1, "seeds must be >= 0, got -1"),
                "size": ("big", "size must be a number, got 'big'")}
    for field, (value, message) in refusals.items():
        with pytest.raises(ValueError) as caught:
            P(**{field: value})
        assert str(caught.value) == message, field
    with pytest.raises(ValueError, match=r"^learning rate \(lr\) must be <= 2, got 3$"):
        P(lr=3)
    with pytest.raises(ValueError, match="^slow needs at least 5 steps$"):
        P(mode="slow", steps=4)
    assert P(mode="slow", steps=5).mode == "slow"
