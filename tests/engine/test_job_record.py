"""Control's exact record of what a job saw, and its replay (engine/job_record.py)."""
from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass

import pytest

from engine.job_record import JobRecord, ranges
from engine.jobs import Control, Frame, interruptibly, run_to_end
from engine.params import Params, param


@dataclass(frozen=True)
class ToyParams(Params):
    lr: float = param(1.0, "Learning rate", low=0, high=10)
    steps: int = param(400, "Steps", low=1, high=10_000)


def toy_job(control: Control, seed: int = 0):
    """A job whose result depends on every value it read, when, and where it stopped;
    a frame reads the parameters once more (as the real loop does)."""
    rng = random.Random(seed)
    x, step = 0.0, 0
    while True:
        p = control.params
        if step >= p.steps or control.cancelled:
            break
        x = x * 0.999 + p.lr * rng.random()
        step += 1
        time.sleep(0.0003)
        if control.should_emit():
            yield Frame(step=step, total=control.params.steps, metrics={"x": x})
    return (round(x, 12), step)


def _run(control: Control):
    return run_to_end(interruptibly(lambda: toy_job(control), control))


def test_a_raced_run_replays_exactly():
    control = Control(ToyParams(), emit_interval=0.002)
    out = {}
    thread = threading.Thread(target=lambda: out.setdefault("run", _run(control)))
    thread.start()
    for lr in (2.0, 0.5, 3.25):  # the window's thread changes the rate and stops, whenever it likes
        time.sleep(0.01)
        control.update(lr=lr)
        assert control.params.lr == lr  # the window reads too: not counted
    time.sleep(0.01)
    control.cancel()
    thread.join()
    record = control.record()
    value, steps = out["run"][1]
    assert 0 < steps < 400 and record.stop_at is not None
    assert [values for _e, values in record.changes] == [{"lr": 2.0}, {"lr": 0.5}, {"lr": 3.25}]
    again = JobRecord.from_dict(json.loads(json.dumps(record.as_dict())))
    assert again == record
    replay = Control(ToyParams(), replay=again)
    assert _run(replay)[1] == (value, steps)
    assert replay.record().events == record.events
    # the same values at other moments give another result: the record's events matter
    shifted = JobRecord(tuple((e + 7, v) for e, v in record.changes), record.stop_at, record.emits, record.events)
    assert _run(Control(ToyParams(), replay=shifted))[1] != (value, steps)


def test_a_replayed_control_takes_no_live_changes_and_validates_its_values():
    record = JobRecord(changes=((3, {"lr": 2.0}),), events=10)
    control = Control(ToyParams(), replay=record)
    with pytest.raises(ValueError, match="replayed"):
        control.update(lr=1.0)
    with pytest.raises(ValueError, match="lr"):
        Control(ToyParams(), replay=JobRecord(changes=((3, {"lr": 99.0}),), events=10))
    with pytest.raises(ValueError, match="unknown parameter"):
        Control(ToyParams(), replay=JobRecord(changes=((3, {"rate": 1.0}),), events=10))


@pytest.mark.parametrize("data, field", [
    ([], "timeline must be an object"),
    ({"changes": [{"event": -1, "values": {"lr": 1}}]}, "timeline.changes[0].event"),
    ({"changes": [{"event": 5, "values": {"lr": 1}}, {"event": 2, "values": {"lr": 1}}], "events": 9},
     "timeline.changes[1].event"),
    ({"changes": [{"event": 1, "values": {}}], "events": 2}, "timeline.changes[0].values"),
    ({"stop_at": "3"}, "timeline.stop_at"),
    ({"emits": [[3, 2]]}, "timeline.emits[0]"),
    ({"emits": [[0, 2], [1, 4]]}, "timeline.emits[1]"),
    ({"surprise": 1}, "unknown field"),
])
def test_a_damaged_record_is_refused_naming_the_field(data, field):
    with pytest.raises(ValueError) as info:
        JobRecord.from_dict(data)
    assert field in str(info.value)


def test_ranges():
    assert ranges([0, 1, 2, 5, 7, 8]) == ((0, 3), (5, 6), (7, 9))
    assert ranges([]) == ()
