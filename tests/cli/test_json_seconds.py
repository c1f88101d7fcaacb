"""Every ``--json`` result carries ``"seconds"``: the compute time of the
job, without the process start and the model loading (issue #14, item 5)."""
import json
import time

import pytest

from engine.cli import common, main


@pytest.fixture
def slow_load(monkeypatch):
    """Model loading that takes 1.5 s: it must not count."""
    from engine import models

    real = models.load_model

    def load(*args, **kwargs):
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(models, "load_model", load)


@pytest.mark.parametrize("argv", [
    ["classify", "{img}", "--json"],
    ["layers", "--json"],
    ["models", "--json"],
    ["saliency", "{img}", "--out", "{out}", "--points", "3", "--json"],
    ["fool", "{img}", "--target", "1", "--max-iter", "1", "--out", "{out}", "--json"],
    ["dream", "{img}", "--layer", "stem", "--steps", "1", "--octaves", "1", "--out", "{out}", "--json"],
])
def test_json_has_the_job_seconds_without_loading(argv, photo_dir, tmp_path, capsys, slow_load):
    args = [a.format(img=photo_dir / "coffee.png", out=tmp_path / "o.png") for a in argv]
    start = time.perf_counter()
    assert main(["--device", "cpu", *args]) == 0
    wall = time.perf_counter() - start
    seconds = json.loads(capsys.readouterr().out)["seconds"]
    assert isinstance(seconds, float) and 0 <= seconds < wall
    if argv[0] != "models":  # loads the model: its 1.5 s are left out
        assert seconds < wall - 1.4


def test_print_json_adds_seconds_unless_given(capsys):
    common.restart_clock()
    common.print_json({"a": 1})
    common.print_json({"a": 1, "seconds": 7})
    common.print_json([1, 2])
    first, second, third = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert set(first) == {"a", "seconds"} and 0 <= first["seconds"] < 1
    assert second["seconds"] == 7 and third == [1, 2]
