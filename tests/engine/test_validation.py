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
