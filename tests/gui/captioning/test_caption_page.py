"""The Caption page through its real widgets: a reason it could not caption
is shown under the picture's name only until it can ("No model yet" went on
standing under the caption the newly trained model wrote)."""
from __future__ import annotations

import pytest
from captioning_fixtures import configure, load_data

pytestmark = pytest.mark.usefixtures("one_torch_thread_per_module")


def test_no_model_yet_goes_away_once_a_model_captions_the_photo(qtbot, tab, photo_dir):
    load_data(qtbot, tab)
    captions = tab.caption_panel
    tab.open_file(str(photo_dir / "chelsea.png"))
    assert captions.source_label.text().startswith("chelsea.png")
    assert "No model yet" in captions.source_label.text() and captions.caption_label.text() == ""

    configure(tab.train_panel, epochs=1)
    with qtbot.waitSignal(captions.caption_ready, timeout=60000):
        tab.train_panel.start()
    qtbot.waitUntil(lambda: not tab.train_panel.is_running and not captions.runner.is_running, timeout=60000)
    assert captions.caption_label.text() == (captions.result.caption or "(empty caption)") != ""
    assert captions.source_label.text().startswith("chelsea.png")
    assert "No model yet" not in captions.source_label.text()

    captions.random_image()                                           # a dataset image: its name, no reason
    assert "No model yet" not in captions.source_label.text() and "split)" in captions.source_label.text()
