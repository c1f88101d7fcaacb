"""The Train page through its real widgets: the Learning rate field keeps
what the user set (a run's per-epoch decay is the run's, not the field's), so
a second Start begins at the set rate; Resume continues a stopped run at its
own decayed rate unless a new rate was typed since."""
from __future__ import annotations

import pytest
from captioning_fixtures import configure, load_data
from PySide6.QtCore import Qt

pytestmark = pytest.mark.usefixtures("one_torch_thread_per_module")


def train(qtbot, panel, button):
    frames = []
    panel.frame.connect(frames.append)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.is_running, timeout=60000)
    panel.frame.disconnect(frames.append)
    return frames


def test_a_second_run_starts_at_the_rate_set_not_the_decayed_one(qtbot, tab):
    load_data(qtbot, tab)
    panel = tab.train_panel
    configure(panel, lr=0.005, decay=0.9, epochs=2)
    first = train(qtbot, panel, panel.start_button)
    solver = tab.session.solver
    assert first[0].metrics["lr"] == pytest.approx(0.005)
    assert first[-1].metrics["lr"] == pytest.approx(0.0045)          # the second epoch ran at 0.005 * 0.9
    assert solver.learning_rate == pytest.approx(0.00405)            # the run's rate after its 2 decays
    assert panel.lr.value() == pytest.approx(0.005)                  # the field keeps what was set
    assert "lr 0.00405" in panel.status.text()                       # the decayed rate is shown beside

    second = train(qtbot, panel, panel.start_button)
    assert tab.session.solver is not solver
    assert second[0].metrics["lr"] == pytest.approx(0.005)
    assert tab.session.solver.learning_rate == pytest.approx(0.00405)
    assert panel.lr.value() == pytest.approx(0.005)


def test_resume_continues_the_runs_decayed_rate_unless_a_rate_was_typed(qtbot, tab):
    load_data(qtbot, tab)
    panel = tab.train_panel
    configure(panel, lr=0.004, decay=0.5, epochs=2)                  # 12 iterations per epoch
    train(qtbot, panel, panel.start_button)
    solver = tab.session.solver
    assert solver.learning_rate == pytest.approx(0.001)
    panel.epochs.setValue(3)
    resumed = train(qtbot, panel, panel.resume_button)
    assert resumed[0].step > 24 and resumed[0].metrics["lr"] == pytest.approx(0.001)
    assert panel.lr.value() == pytest.approx(0.004)

    panel.lr.setValue(0.003)                                         # typed while stopped: Resume uses it
    panel.epochs.setValue(4)
    resumed = train(qtbot, panel, panel.resume_button)
    assert tab.session.solver is solver
    assert resumed[0].step > 36 and resumed[0].metrics["lr"] == pytest.approx(0.003)
    assert solver.learning_rate == pytest.approx(0.0015)


def test_training_ends_in_one_stated_way_through_the_lifecycle(qtbot, tab, ctx, messages):
    load_data(qtbot, tab)
    panel = tab.train_panel
    tab.show_page("Train")
    configure(panel, epochs=400)
    assert "Ctrl+Return" in panel.start_button.toolTip() and "Esc" in panel.stop_button.toolTip()
    assert tab.start_job()                                           # Run ▸ Start presses this page's Start
    qtbot.waitUntil(lambda: tab.session.solver.iteration > 5, timeout=30000)
    ctx.model_changed.emit(ctx.model)                                # another classifier: not this job's model
    assert panel.is_running
    assert tab.stop_job()                                            # Run ▸ Stop (Esc)
    qtbot.waitUntil(lambda: not panel.is_running, timeout=30000)
    solver = tab.session.solver
    first, second = panel.status.text().split("\n")
    assert first == f"Training stopped at step {solver.iteration}."
    assert second.startswith(f"iteration {solver.iteration} / {solver.total_iterations}")

    panel.epochs.setValue(1)
    assert panel.start()
    qtbot.waitUntil(lambda: not panel.is_running, timeout=30000)
    solver = tab.session.solver
    assert panel.status.text().split("\n")[0] == f"Training finished after {solver.iteration} steps."
    assert not panel.resume()                                        # nothing left to do at 1 epoch
    assert panel.status.text() == "Not started: this run has done all its epochs: raise Epochs to train further"
    assert messages[-1] == panel.status.text() and tab.session.solver.iteration == solver.iteration == 12
