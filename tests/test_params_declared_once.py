"""Every parameter is declared once (``engine.params``): the engine, the
window's generated form and the command line's generated option accept and
refuse the same values at the edges of every range."""
from __future__ import annotations

import dataclasses
import math

import pytest

from engine.captioning.jobs import DecodeOptions
from engine.captioning.solver import TrainParams
from engine.cli import build_parser
from engine.cli.common import CliError
from engine.cli.options import params_from_args
from engine.generation import ClassVizParams, DreamParams, InversionParams
from engine.gradients import FoolParams, SaliencyParams
from engine.params import specs

#: each parameter class and the command whose options are generated from it (None: no command)
CLASSES = {
    ClassVizParams: ["classviz", "--target", "1", "--out", "x.png"],
    InversionParams: ["invert", "p.png", "--layer", "blocks.1", "--out", "x.png"],
    DreamParams: ["dream", "p.png", "--layer", "blocks.1", "--out", "x.png"],
    FoolParams: ["fool", "p.png", "--target", "1", "--out", "x.png"],
    SaliencyParams: ["saliency", "p.png", "--out", "x.png"],
    TrainParams: ["caption", "train", "--cell", "rnn", "--out", "m.pt"],
    DecodeOptions: None,  # --beam / --temperature select the method; checked below
}

CASES = [(cls, name) for cls in CLASSES for name, spec in specs(cls).items() if spec.kind in ("int", "float")]


def edges(spec):
    """(accepted, refused) values at the edges of a numeric spec."""
    if spec.kind == "int":
        return [int(spec.low), int(spec.high)], [int(spec.low) - 1, int(spec.high) + 1]
    tiny = 10.0 ** -spec.decimals
    low = spec.low + tiny if spec.strict_low else spec.low
    below = spec.low if spec.strict_low else spec.low - tiny
    return [low, spec.high], [below, spec.high + tiny * 10, math.nan]


def engine_accepts(cls, name, value) -> bool:
    base = cls()
    try:
        dataclasses.replace(base, **{name: value})
    except ValueError:
        return False
    return True


def cli_accepts(cls, name, value) -> bool | None:
    argv = CLASSES[cls]
    spec = specs(cls)[name]
    if argv is None or not spec.cli:
        return None
    parser = build_parser()
    try:
        args = parser.parse_args([*argv, f"{spec.option}={value}"])
    except SystemExit:
        return False
    try:
        params_from_args(cls, args)
    except CliError:
        return False
    return True


@pytest.mark.parametrize("cls, name", CASES, ids=[f"{c.__name__}.{n}" for c, n in CASES])
def test_engine_cli_and_form_agree_at_the_edges(qapp, cls, name):
    from guiapp.widgets.param_form import INT_LIMIT, ParamForm

    spec = specs(cls)[name]
    accepted, refused = edges(spec)
    for value in accepted:
        assert engine_accepts(cls, name, value), (value, "engine")
        assert cli_accepts(cls, name, value) in (True, None), (value, "cli")
    for value in refused:
        assert not engine_accepts(cls, name, value), (value, "engine")
        assert cli_accepts(cls, name, value) in (False, None), (value, "cli")
    form = ParamForm(cls(), only=[name])
    widget = form.widgets[name]
    lo, hi = accepted
    assert widget.minimum() == pytest.approx(lo) and engine_accepts(cls, name, widget.minimum())
    if hi <= INT_LIMIT:
        assert widget.maximum() == pytest.approx(hi)
    assert engine_accepts(cls, name, widget.maximum())
    if widget.maximum() < INT_LIMIT:
        widget.setValue(widget.maximum() + 1)  # a form cannot hold a value the engine refuses
    if widget.minimum() > -INT_LIMIT:
        widget.setValue(widget.minimum() - 1)
    assert engine_accepts(cls, name, form.value(name))


def test_every_declared_field_has_a_label_and_help():
    for cls in CLASSES:
        for name, spec in specs(cls).items():
            assert spec.label and spec.help, f"{cls.__name__}.{name}"
            if spec.kind in ("int", "float"):
                assert spec.low is not None and spec.high is not None and spec.low < spec.high


def test_decoding_options_on_the_command_line_follow_the_spec():
    from engine.cli.caption_decode import _decoder

    parser = build_parser()
    base = ["caption", "sample", "m.pt", "--split", "val"]
    spec = specs(DecodeOptions)
    assert _decoder(parser.parse_args([*base, "--beam", str(int(spec["beam_width"].high))]))
    for argv in (["--beam", str(int(spec["beam_width"].high) + 1)], ["--beam", "0"], ["--temperature", "0"],
                 ["--temperature", str(spec["temperature"].high * 2)]):
        with pytest.raises(CliError, match=argv[0]):
            _decoder(parser.parse_args([*base, *argv]))
