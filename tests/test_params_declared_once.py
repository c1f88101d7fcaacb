"""Every parameter is declared once (``engine.params``): the engine, the
window's generated form and the command line's generated option accept and
refuse the same values at the edges of every range."""
from __future__ import annotations

import dataclasses
import math

import pytest

from engine.captioning.config import TrainConfig
from engine.captioning.jobs import DecodeOptions
from engine.captioning.solver import TrainParams
from engine.cli import build_parser
from engine.cli.common import CliError
from engine.cli.options import params_from_args
from engine.generation import ClassVizParams, DreamParams, InversionParams
from engine.gradients import FoolParams, SaliencyParams
from engine.gradients.shapes_roar import RoarParams
from engine.params import specs

#: each parameter class and the command whose options are generated from it (None: no command)
CLASSES = {
    ClassVizParams: ["classviz", "--target", "1", "--out", "x.png"],
    InversionParams: ["invert", "p.png", "--layer", "blocks.1", "--out", "x.png"],
    DreamParams: ["dream", "p.png", "--layer", "blocks.1", "--out", "x.png"],
    FoolParams: ["fool", "p.png", "--target", "1", "--out", "x.png"],
    SaliencyParams: ["saliency", "p.png", "--out", "x.png"],
    TrainParams: ["caption", "train", "--cell", "rnn", "--out", "m.pt"],
    TrainConfig: ["caption", "train", "--out", "m.pt"],
    DecodeOptions: None,  # --beam / --temperature select the method; checked below
    RoarParams: None,     # the window's ROAR page (tools/shapes_roar.py has its own options)
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


CHOICES = [(cls, name) for cls in CLASSES for name, spec in specs(cls).items() if spec.kind == "choice"]


@pytest.mark.parametrize("cls, name", CHOICES, ids=[f"{c.__name__}.{n}" for c, n in CHOICES])
def test_engine_cli_and_form_offer_the_same_choices(qapp, cls, name):
    from guiapp.widgets.param_form import ParamForm

    spec = specs(cls)[name]
    for value in spec.values:
        assert engine_accepts(cls, name, value) and cli_accepts(cls, name, value) in (True, None), value
    assert not engine_accepts(cls, name, "bogus") and cli_accepts(cls, name, "bogus") in (False, None)
    combo = ParamForm(cls(), only=[name]).widgets[name]
    assert [combo.itemData(i) for i in range(combo.count())] == list(spec.values)


def test_the_train_page_and_caption_train_are_made_from_train_config(qapp, tmp_path):
    """The Train page's fields and ``caption train``'s options come from TrainConfig (no second declaration)."""
    from PySide6.QtCore import QSettings

    from engine.captioning.config import FORM_FIELDS
    from guiapp.captioning.session import CaptioningSession
    from guiapp.captioning.train_panel import TrainPanel
    from guiapp.context import AppContext
    from guiapp.widgets.param_form import widget_range

    declared = specs(TrainConfig)
    assert set(FORM_FIELDS) <= set(declared)
    args = build_parser().parse_args(["caption", "train", "--out", "m.pt", "--hidden", "2048", "--wordvec=4",
                                      "--update", "sgd", "--word-dropout", "0.3"])
    config = params_from_args(TrainConfig, args)
    assert (config.hidden_size, config.wordvec_size, config.update_rule, config.word_dropout) == (2048, 4, "sgd", 0.3)
    with pytest.raises(CliError, match="--hidden/--hidden-size"):
        params_from_args(TrainConfig, build_parser().parse_args(["caption", "train", "--out", "m.pt", "--hidden", "2049"]))
    ctx = AppContext(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), device="cpu")
    panel = TrainPanel(CaptioningSession(ctx, tmp_path / "autosave.pt"))
    shown = {"cell": panel.cell, "hidden_size": panel.hidden, "wordvec_size": panel.wordvec, "learning_rate": panel.lr,
             "lr_decay": panel.decay, "batch_size": panel.batch, "epochs": panel.epochs,
             "word_dropout": panel.word_dropout, "update_rule": panel.rule}
    assert list(shown) == list(FORM_FIELDS)
    for name, widget in shown.items():
        spec = declared[name]
        if spec.kind == "choice":
            assert [widget.itemData(i) for i in range(widget.count())] == list(spec.values)
        else:
            assert (widget.minimum(), widget.maximum()) == pytest.approx(widget_range(spec)), name
    assert panel.form.params() == TrainConfig(word_dropout=0.0)
    panel.deleteLater()
