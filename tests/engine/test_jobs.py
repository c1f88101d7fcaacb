import dataclasses
import math
import threading

import pytest

from engine.jobs import Control, Frame, run_to_end


@dataclasses.dataclass(frozen=True)
class Params:
    lr: float = 1.0
    steps: int = 10

    def __post_init__(self):
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive finite number, got {self.lr}")


def counting_job(control):
    seen = []
    for step in range(control.params.steps):
        seen.append(control.params.lr)
        if control.should_emit():
            yield Frame(step=step + 1, total=control.params.steps, metrics={"lr": control.params.lr})
        if control.cancelled:
            return seen
    return seen


def test_update_replaces_snapshot_and_validates():
    c = Control(Params())
    assert c.update(lr=0.5).lr == 0.5
    assert c.version == 1
    for bad in (float("nan"), float("inf"), -1.0, 0.0):
        with pytest.raises(ValueError):
            c.update(lr=bad)
    assert c.params.lr == 0.5 and c.version == 1
    with pytest.raises(ValueError, match="unknown"):
        c.update(momentum=0.9)


def test_dict_params_and_unknown_keys():
    c = Control({"a": 1})
    assert c.update(a=2) == {"a": 2}
    with pytest.raises(ValueError):
        c.update(b=3)
    with pytest.raises(ValueError):
        Control().update(a=1)


def test_a_change_mid_run_takes_effect_on_the_next_step():
    c = Control(Params(lr=1.0, steps=6), emit_every=1)
    gen = counting_job(c)
    next(gen), next(gen)
    c.update(lr=0.25)
    last, seen = run_to_end(gen)
    assert seen == [1.0, 1.0, 0.25, 0.25, 0.25, 0.25]
    assert last.step == 6 and last.fraction == 1.0


def test_cancel_stops_at_the_next_step():
    c = Control(Params(steps=1000), emit_every=1)
    gen = counting_job(c)
    next(gen)
    c.cancel()
    _, seen = run_to_end(gen)
    assert len(seen) == 1 and c.cancelled  # no step ran after the cancel


def test_time_throttle_uses_the_clock():
    now = [0.0]
    c = Control(emit_interval=0.1, clock=lambda: now[0])
    assert c.should_emit()          # first call always emits
    assert not c.should_emit()
    now[0] = 0.05
    assert not c.should_emit()
    now[0] = 0.11
    assert c.should_emit()
    assert not c.should_emit()


def test_step_throttle():
    c = Control(emit_every=3)
    assert [c.should_emit() for _ in range(7)] == [True, False, False, True, False, False, True]
    with pytest.raises(ValueError):
        Control(emit_every=0)


def test_updates_from_another_thread_are_consistent():
    c = Control(Params())
    errors = []

    def writer():
        for i in range(2000):
            c.update(lr=1.0 + i % 7, steps=10 + i % 7)

    def reader():
        for _ in range(2000):
            p = c.params
            if p.steps - 10 != p.lr - 1.0:   # both fields come from the same update
                errors.append(p)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_interrupt_here_stops_the_forward_and_the_backward_pass_of_the_current_job():
    import torch

    from engine.jobs import Cancelled, Control, interrupt_here

    control = Control()
    x = torch.ones(3, requires_grad=True)
    assert interrupt_here(x) is x  # no current job: nothing happens
    with control.active():
        y = interrupt_here(x * 2)
        control.cancel()
        with pytest.raises(Cancelled):
            interrupt_here(y)  # on the way forward
        with pytest.raises(Cancelled):
            y.sum().backward()  # on the way back, at y
    assert x.grad is None
