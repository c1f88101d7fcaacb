"""``caption gradcheck``: every layer's numerical check through the CLI."""
from __future__ import annotations

import json

import pytest

from engine.captioning import layers as L
from engine.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_gradcheck_json_reports_every_gradient(capsys):
    assert main(["caption", "gradcheck", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["passed"] is True
    names = [r["name"] for r in out["results"]]
    assert len(names) == 26 + 24 + 2 * 8 + 11                # layers, attention layers, the three models
    assert {n.split(":")[0] for n in names} >= {"rnn_step_forward", "lstm_forward", "temporal_softmax_loss",
                                                "attention_forward", "attention_lstm_forward",
                                                "CaptioningRNN[rnn]", "CaptioningRNN[lstm]",
                                                "CaptioningRNN[attention]"}
    for r in out["results"]:
        assert set(r) == {"name", "rel_error", "tolerance", "passed"}
        assert r["passed"] and 0 <= r["rel_error"] < r["tolerance"]


def test_gradcheck_text_and_failure_exit_code(capsys, monkeypatch):
    assert main(["caption", "gradcheck", "--no-model"]) == 0
    text = capsys.readouterr().out
    assert "rnn_step_forward: dWx" in text and "50/50 gradients within tolerance" in text

    right = L.rnn_backward
    monkeypatch.setattr(L, "rnn_backward", lambda dh, cache: tuple(g * 1.01 for g in right(dh, cache)))
    assert main(["caption", "gradcheck", "--no-model"]) == 1
    lines = [ln for ln in capsys.readouterr().out.splitlines() if "FAIL" in ln]
    assert len(lines) == 5 and all(ln.startswith("rnn_forward:") for ln in lines)


def test_caption_without_subcommand_is_a_one_line_error(capsys):
    assert main(["caption"]) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith("error: caption needs a subcommand")
    assert "Traceback" not in err
