"""The Data page's imports, through the real widgets: a tiny folder in the
course's ``coco_captioning`` layout, and a captions JSON with an image folder
holding a broken file (listed as a problem, not fatal)."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from PySide6.QtCore import Qt

from guiapp.captioning.data_panel import DataPanel
from guiapp.captioning.session import CaptioningSession

WORDS = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "on", "mat", "dog"]


pytestmark = pytest.mark.usefixtures("one_torch_thread_per_module")


@pytest.fixture
def panel(qtbot, ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    session = CaptioningSession(ctx, tmp_path / "autosave.pt")
    widget = DataPanel(session)
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    widget.shutdown()


def choose(panel, label_start):
    index = next(i for i, s in enumerate(panel.sources) if s.label.startswith(label_start))
    panel.source.setCurrentIndex(index)
    assert panel.pages.currentIndex() == index
    return panel.pages.currentWidget()


def make_coco_folder(root, n_train=6, n_val=3, dim=12):
    import h5py

    root.mkdir()
    w = {x: i for i, x in enumerate(WORDS)}
    rng = np.random.default_rng(0)

    def caps(n):
        rows = [[w["<START>"], w["a"], w["cat" if i % 2 else "dog"], w["on"], w["a"], w["mat"], w["<END>"], 0]
                for i in range(n)]
        return np.asarray(rows, dtype=np.int32)

    with h5py.File(root / "coco2014_captions.h5", "w") as f:
        f["train_captions"] = caps(2 * n_train)
        f["train_image_idxs"] = np.repeat(np.arange(n_train), 2).astype(np.int32)
        f["val_captions"] = caps(n_val)
        f["val_image_idxs"] = np.arange(n_val, dtype=np.int32)
    for split, n in (("train", n_train), ("val", n_val)):
        with h5py.File(root / f"{split}2014_vgg16_fc7_pca.h5", "w") as f:
            f["features"] = rng.normal(size=(n, dim)).astype(np.float32)
        (root / f"{split}2014_urls.txt").write_text(
            "\n".join(f"http://images.cocodataset.org/{split}2014/{i:06d}.jpg" for i in range(n)) + "\n")
    (root / "coco2014_vocab.json").write_text(json.dumps({"idx_to_word": WORDS, "word_to_idx": w}))
    return root


def test_importing_a_coco_captioning_folder(qtbot, panel, tmp_path):
    folder = make_coco_folder(tmp_path / "coco_captioning")
    options = choose(panel, "coco_captioning")
    options.folder.edit.setText(str(folder))
    options.max_train.setValue(0)                       # "all"
    with qtbot.waitSignal(panel.session.data_changed, timeout=30000) as blocker:
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    data = blocker.args[0]
    assert data["train_features"].shape == (6, 12) and data["train_captions"].shape[0] == 12
    assert "coco_captioning" in panel.summary.text() and "(12-d)" in panel.summary.text()
    assert panel.session.data_spec is None               # features cannot be recomputed for photos
    browser = panel.browser
    assert browser.current_split == "val" and browser.model.rowCount() == 3
    text = browser.model.data(browser.model.index(1))
    assert text == "http://images.cocodataset.org/val2014/000001.jpg\n• a cat on a mat"
    assert browser.model.data(browser.model.index(1), Qt.ItemDataRole.DecorationRole) is None


def test_a_folder_that_is_not_coco_is_refused_with_its_name(qtbot, panel, tmp_path):
    messages = []
    panel.ctx.status.connect(lambda text, _ms: messages.append(text))
    options = choose(panel, "coco_captioning")
    options.folder.edit.setText(str(tmp_path))
    assert not panel.load()
    assert any(str(tmp_path) in m and "coco2014_captions.h5" in m for m in messages)
    assert panel.session.data is None and not panel.runner.is_running


def test_importing_captions_json_lists_unreadable_images(qtbot, panel, tmp_path, photo_dir):
    images = tmp_path / "photos"
    images.mkdir()
    for name in ("chelsea.png", "coffee.png", "astronaut.png", "rocket.jpg", "camera.png"):
        shutil.copy(photo_dir / name, images / name)
    (images / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    entries = [{"image": "chelsea.png", "captions": ["a cat looking at the camera"], "split": "train"},
               {"image": "coffee.png", "captions": ["a cup of coffee on a saucer"], "split": "train"},
               {"image": "astronaut.png", "captions": ["a woman in a space suit"], "split": "train"},
               {"image": "broken.jpg", "captions": ["a broken picture"], "split": "train"},
               {"image": "rocket.jpg", "captions": ["a rocket on the launch pad"], "split": "val"},
               {"image": "camera.png", "captions": ["a man with a camera"], "split": "test"}]
    captions = tmp_path / "captions.json"
    captions.write_text(json.dumps(entries))
    options = choose(panel, "Captions JSON")
    options.json.edit.setText(str(captions))
    options.images.edit.setText(str(images))
    with qtbot.waitSignal(panel.session.data_changed, timeout=60000) as blocker:
        qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    data = blocker.args[0]
    assert data["train_features"].shape[0] == 3 and data["val_features"].shape[0] == 1
    assert panel.problems_box.isVisibleTo(panel) and panel.problems.count() == 1
    assert "broken.jpg" in panel.problems.item(0).text()
    assert panel.session.data_spec is not None and panel.session.data_spec.cnn == "efficientnet_lite0"
    browser = panel.browser
    browser.split.setCurrentIndex(browser.split.findData("train"))
    assert browser.model.rowCount() == 3
    assert browser.model.data(browser.model.index(0), Qt.ItemDataRole.DecorationRole).width() == 72
    assert "a cat looking at the camera" in browser.model.data(browser.model.index(0))
