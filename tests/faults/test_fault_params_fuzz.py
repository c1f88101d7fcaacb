"""Property-based fuzzing of parameter validation (hypothesis): any value for
any field of the engine's parameter dataclasses (NaN, infinities, huge,
negative, booleans, None, text) either gives a usable snapshot or raises
``ValueError`` — never another exception — and ``Control.update`` with a
refused value keeps the running job's previous snapshot."""
from __future__ import annotations

import dataclasses
import math
import operator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.captioning.data.features import FeatureSpec
from engine.captioning.data.shapes import ShapesConfig
from engine.captioning.jobs import DecodeOptions
from engine.captioning.solver import TrainParams
from engine.generation import AccentParams, ClassVizParams, DreamParams, InversionParams
from engine.gradients import FoolParams, SaliencyParams
from engine.jobs import Control

SPECIAL = [0, 1, -1, 2, 16, 2**31, 2**63, 2**64, 10**12, -(10**12), 0.5, 1e-300, 5e-324, 1e308, -1e308,
           float("nan"), float("inf"), float("-inf"), -0.0, True, False, None, "", "1", "0.5", "nan", "abc",
           [1, 2], (3,), {}]
ANY = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from(SPECIAL),
)
TEXT = st.one_of(ANY, st.text(max_size=12))

#: (class, required arguments, choices for the text fields)
CLASSES = {
    "SaliencyParams": (SaliencyParams, {}, {"method": ["vanilla", "smoothgrad", "integrated-gradients", "gradcam"],
                                             "reduction": ["max", "sum"], "baseline": ["black", "blurred"],
                                             "layer": [None, "head", "blocks.3"]}),
    "FoolParams": (FoolParams, {}, {}),
    "ClassVizParams": (ClassVizParams, {}, {"parameterization": ["fourier", "maco", "pixels"]}),
    "AccentParams": (AccentParams, {}, {"parameterization": ["fourier", "maco", "pixels"], "space": ["pixels", "features"]}),
    "InversionParams": (InversionParams, {}, {"parameterization": ["fourier", "maco", "pixels"]}),
    "DreamParams": (DreamParams, {}, {}),
    "TrainParams": (TrainParams, {"learning_rate": 1e-3}, {}),
    "FeatureSpec": (FeatureSpec, {}, {"cnn": ["efficientnet_lite0"], "layers": [("embed",), ("blocks.5", "head")]}),
    "ShapesConfig": (ShapesConfig, {}, {}),
    "DecodeOptions": (DecodeOptions, {}, {"method": ["greedy", "sample", "beam"]}),
}
SKIP = {"held_out", "mean", "std"}  # structured fields, fuzzed separately below


def fields_of(cls):
    return [f for f in dataclasses.fields(cls) if f.name not in SKIP]


def value_strategy(cls, name, choices):
    if name in choices:
        return st.one_of(st.sampled_from(choices[name]), TEXT)
    return ANY


def changes(name):
    cls, _, choices = CLASSES[name]
    return st.fixed_dictionaries({}, optional={f.name: value_strategy(cls, f.name, choices) for f in fields_of(cls)})


def default_of(cls, name, required):
    f = next(f for f in dataclasses.fields(cls) if f.name == name)
    if f.default is not dataclasses.MISSING:
        return f.default
    return required[name]


def assert_usable(name, params):
    """Every numeric field is a finite number; a field whose default is an int is an int."""
    cls, required, choices = CLASSES[name]
    for f in fields_of(cls):
        value, default = getattr(params, f.name), default_of(cls, f.name, required)
        if f.name in choices:
            continue  # checked by the class itself against its choices
        if isinstance(default, bool) or default is None:
            continue
        if isinstance(default, int):
            assert not isinstance(value, bool), (f.name, value)
            operator.index(value)  # an int, usable for range() and sizes
        elif isinstance(default, float):
            assert not isinstance(value, (bool, str)), (f.name, value)
            assert math.isfinite(float(value)), (f.name, value)


def construct(name, kwargs):
    cls, required, _ = CLASSES[name]
    try:
        params = cls(**{**required, **kwargs})
    except ValueError as exc:
        assert str(exc), "a ValueError without a message"
        return None
    assert_usable(name, params)
    return params


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_any_values_validate_or_raise_value_error(name):
    @FUZZ
    @given(kwargs=changes(name))
    def check(kwargs):
        construct(name, kwargs)

    check()


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_control_update_keeps_the_old_snapshot_when_refused(name):
    cls, required, _ = CLASSES[name]
    control = Control(cls(**required))

    @FUZZ
    @given(kwargs=changes(name))
    def check(kwargs):
        before, version = control.params, control.version
        try:
            after = control.update(**kwargs)
        except ValueError:
            assert control.params is before and control.version == version
            return
        assert control.params is after and control.version == version + 1
        assert_usable(name, after)

    check()


@FUZZ
@given(mean=st.lists(ANY, max_size=3), std=st.lists(ANY, max_size=3))
def test_feature_spec_standardization_statistics(mean, std):
    try:
        spec = FeatureSpec(mean=tuple(mean), std=tuple(std))
    except ValueError:
        return
    assert all(math.isfinite(v) for v in spec.mean) and all(math.isfinite(v) and v > 0 for v in spec.std)


@FUZZ
@given(interval=ANY, every=ANY)
def test_control_emission_settings(interval, every):
    try:
        control = Control(emit_interval=interval, emit_every=every)
    except ValueError:
        return
    emitted = [control.should_emit() for _ in range(5)]
    assert emitted[0], "a job must show its first frame"


@FUZZ
@given(held=st.one_of(ANY, st.lists(st.one_of(ANY, st.tuples(TEXT, TEXT), st.sampled_from([("red", "circle")])),
                                    max_size=3)))
def test_shapes_held_out_pairs(held):
    try:
        config = ShapesConfig(held_out=held)
    except ValueError:
        return
    assert all(isinstance(c, str) and isinstance(s, str) for c, s in config.held_out)
    assert len(config.allowed) >= 2
