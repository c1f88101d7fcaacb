"""Helpers of the command-line tests: the session's model for every command, a
one-line error check, a tiny captioner trained once per module."""
from __future__ import annotations

import contextlib
import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import torch

from engine.cli import main


@pytest.fixture
def shared_model(monkeypatch, lite0):
    """Every command uses the session's model instead of loading one."""
    for command in ("channels", "classify", "fool", "generate", "saliency"):
        monkeypatch.setattr(f"engine.cli.{command}.open_model", lambda args: lite0)
    return lite0


@pytest.fixture
def rerun_model(monkeypatch, lite0):
    """``rerun`` uses the session's model instead of loading the recipe's."""
    monkeypatch.setattr("engine.cli.rerun._open_model", lambda name, device, **options: lite0)
    return lite0


@pytest.fixture(scope="module")
def small_photo(tmp_path_factory, photo):
    """A small source and guide photo in files (tests/recipe_fixtures.py ``small_photos``)."""
    from recipe_fixtures import small_photos

    return small_photos(tmp_path_factory.mktemp("photos"), photo)


@pytest.fixture
def fails_in_one_line(capsys):
    """``fails_in_one_line(argv, message, not_written=None)``: ``main(argv)``
    fails with one line on stderr that says ``message`` (no traceback), and
    ``not_written`` (a path) does not exist afterwards."""

    def check(argv: list[str], message: str, not_written: Path | None = None) -> None:
        assert main(argv) != 0
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
        assert not_written is None or not not_written.exists()

    return check


@pytest.fixture(scope="session")
def tiny_captioner() -> list[str]:
    """``caption train`` options of a captioner small enough to train in
    seconds on the built-in scenes (add ``--epochs``)."""
    return ["--n-train", "40", "--batch-size", "40", "--hidden", "32", "--wordvec", "16", "--threads", "1"]


@pytest.fixture(scope="session")
def train_captioner(tmp_path_factory, tiny_captioner):
    """``with train_captioner(cell, epochs) as (checkpoint, report)``: ``caption
    train --json`` of a tiny ``cell`` captioner with a private feature cache
    (kept while the block runs); the report is the parsed JSON."""

    @contextlib.contextmanager
    def train(cell: str, epochs: int):
        folder = tmp_path_factory.mktemp(f"caption_{cell}_cli")
        n = torch.get_num_threads()
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("XDG_CACHE_HOME", str(folder / "cache"))
            out = folder / f"{cell}.pt"
            buf = io.StringIO()
            with redirect_stdout(buf):
                code = main(["caption", "train", "--cell", cell, *tiny_captioner, "--epochs", str(epochs),
                             "--out", str(out), "--json"])
            assert code == 0
            yield out, json.loads(buf.getvalue())
        torch.set_num_threads(n)

    return train
