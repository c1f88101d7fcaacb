"""JobRunner: frames stream to the GUI thread, errors arrive as messages,
stop is cooperative and prompt, nothing is left running."""
import time

from engine.jobs import Control, Frame
from guiapp.jobrunner import JobRunner


def slow_job(control, steps=200, sleep=0.005):
    for i in range(steps):
        time.sleep(sleep)
        if control.should_emit():
            yield Frame(step=i + 1, total=steps, metrics={"i": float(i)})
        if control.cancelled:
            return "stopped"
    return "finished"


def test_frames_and_return_value(qtbot):
    runner = JobRunner()
    frames, results, running = [], [], []
    assert runner.connect_slots(frame=frames.append, done=results.append, running=running.append) is runner
    control = Control(emit_every=1)
    with qtbot.waitSignal(runner.done, timeout=10000):
        runner.start(lambda: slow_job(control, steps=50, sleep=0.002), control)
    assert results == ["finished"]
    qtbot.waitUntil(lambda: running == [True, False], timeout=5000)
    assert frames and frames[-1].step == 50           # the newest frame is always delivered
    assert len(frames) < 50                            # ...but throttled, not one per step
    assert not runner.is_running


def test_stop_is_prompt(qtbot):
    runner = JobRunner()
    control = Control()
    runner.start(lambda: slow_job(control, steps=100000, sleep=0.001), control)
    qtbot.waitUntil(lambda: runner.is_running, timeout=2000)
    qtbot.wait(100)
    t0 = time.monotonic()
    runner.stop()
    assert runner.wait(2000)
    assert time.monotonic() - t0 < 1.0 and control.cancelled


def test_runtime_errors_are_reported(qtbot):
    runner = JobRunner()
    messages = []
    runner.failed.connect(messages.append)

    def broken():
        yield Frame(step=1)
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    with qtbot.waitSignal(runner.failed, timeout=5000):
        runner.start(broken, Control())
    assert "shapes cannot be multiplied" in messages[0]

    def bad_value():
        raise ValueError("lr must be positive")
        yield

    with qtbot.waitSignal(runner.failed, timeout=5000):
        runner.start(bad_value, Control())
    assert messages[1] == "lr must be positive"
