"""One current image for the window (issue #12, items 2-4): a photo opened in
any tab, from the command line, Open Recent or Open Sample becomes the
current image of every tab that takes one; Dreaming's guide stays its own."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from guiapp import launch_args
from guiapp.image_sync import PHOTO_PANELS
from guiapp.recent_files import MAX_RECENT, RecentFiles
from guiapp.samples import sample_photos
from guiapp.tabs.fooling_tab import FOOLING_IMAGE

PHOTO_TABS = tuple(PHOTO_PANELS)   # Saliency, Fooling, Dreaming (source), Captioning (Caption page), Layers


def photo_of(window, title):
    panel = window.tab_widgets[title]
    for name in PHOTO_PANELS[title].split("."):
        panel = getattr(panel, name)
    return panel


def test_every_tab_that_takes_a_photo_shares_it(window):
    assert {"Saliency", "Fooling", "Dreaming", "Captioning"} <= set(PHOTO_TABS)
    assert set(window.image_sync.panels.values()) == {photo_of(window, t) for t in PHOTO_TABS if t in window.tab_widgets}
    assert window.tab_widgets["Dreaming"].guide_panel not in window.image_sync.panels.values()


def show_tab(window, title):
    window.tabs.setCurrentWidget(window.tab_widgets[title])


def test_a_photo_opened_in_one_tab_is_every_tabs_current_image(qtbot, window, photo_dir, messages):
    show_tab(window, "Saliency")
    guide = np.full((40, 40, 3), 7, np.uint8)
    window.tab_widgets["Dreaming"].guide_panel.set_image(guide)
    assert window.open_path(str(photo_dir / "coffee.png"))
    shown = photo_of(window, "Saliency").image
    assert shown.shape == (400, 600, 3)
    assert sorted(window.image_sync.pending_tabs()) == sorted(set(PHOTO_TABS) - {"Saliency"})  # given when shown
    for title in PHOTO_TABS:
        show_tab(window, title)
        panel = photo_of(window, title)
        assert panel.image is not None and np.array_equal(panel.image, shown), title
        assert panel.path == str(photo_dir / "coffee.png")
    assert window.image_sync.pending_tabs() == []
    assert np.array_equal(window.tab_widgets["Dreaming"].guide_panel.image, guide)   # the guide stays
    assert window.tab_widgets["Fooling"].classify.image is not None                  # its top-5 follows
    # a photo dropped in Dreaming's source goes the other way
    assert window.tab_widgets["Dreaming"].source_panel.load_file(str(photo_dir / "chelsea.png"))
    show_tab(window, "Saliency")
    assert photo_of(window, "Saliency").image.shape == (300, 451, 3)
    classify = window.tab_widgets["Saliency"].classify
    qtbot.waitUntil(lambda: classify.predictions and classify.predictions[0].label in ("tabby", "tiger cat", "Egyptian cat"),
                    timeout=30000)      # the cat's top-5, not the coffee's


def test_an_unsaved_fooling_image_keeps_its_photo_until_saved(qtbot, window, photo_dir, messages):
    show_tab(window, "Fooling")
    fooling = window.tab_widgets["Fooling"]
    assert window.open_path(str(photo_dir / "coffee.png"))
    fooling.mark_unsaved(FOOLING_IMAGE)   # as after a successful run that was not saved
    show_tab(window, "Saliency")
    assert window.open_path(str(photo_dir / "chelsea.png"))
    show_tab(window, "Fooling")
    assert fooling.classify.image.shape == (400, 600, 3)       # still the coffee
    assert any("Fooling keeps its photo" in m for m in messages)
    fooling.mark_saved(FOOLING_IMAGE)
    show_tab(window, "Saliency")
    show_tab(window, "Fooling")
    assert fooling.classify.image.shape == (300, 451, 3)


def test_open_recent_keeps_the_last_ten_and_drops_missing_files(qtbot, window, photo_dir, tmp_path, messages):
    copies = []
    for i in range(MAX_RECENT + 2):
        path = tmp_path / f"photo{i}.png"
        shutil.copy(photo_dir / "chelsea.png", path)
        copies.append(str(path))
        assert window.open_path(str(path))
    recent = RecentFiles(window.settings)
    assert recent.paths() == copies[::-1][:MAX_RECENT]
    window.recent_menu.rebuild()
    labels = [a.text() for a in window.recent_menu.actions() if a.data()]
    assert len(labels) == MAX_RECENT and labels[0].endswith("photo11.png")
    os.remove(copies[-1])
    gone = next(a for a in window.recent_menu.actions() if a.data() == copies[-1])
    gone.trigger()
    assert copies[-1] not in recent.paths() and len(recent.paths()) == MAX_RECENT - 1
    assert any("photo11.png no longer exists" in m for m in messages)
    current = photo_of(window, window.tabs.tabText(window.tabs.currentIndex()))
    assert current.path == copies[-1] and current.image is not None        # what was shown stays
    window.recent_menu.actions()[0].trigger()          # the newest file that is still there opens
    assert current.path == copies[-2]


def test_open_sample_lists_the_shipped_photos_and_opens_them(qtbot, window):
    samples = sample_photos()
    assert 6 <= len(samples) <= 10
    assert all(p.stat().st_size < 200_000 for _, p in samples)
    actions = [a for a in window.sample_menu.actions() if a.data()]
    assert [a.text() for a in actions] == [t for t, _ in samples]
    show_tab(window, "Dreaming")
    cat = next(a for a in actions if "chelsea" in a.data())
    cat.trigger()
    assert window.tab_widgets["Dreaming"].source_panel.path == cat.data()
    licence = (samples[0][1].parent / "LICENSE.txt").read_text(encoding="utf-8")
    for _, path in samples:
        assert path.name in licence          # every photo's source and licence is written down
    assert RecentFiles(window.settings).paths()[0] == cat.data()


def test_empty_photo_panels_point_at_the_samples(window):
    for title in PHOTO_TABS:
        assert "Open Sample" in photo_of(window, title)._hint.text(), title


def test_command_line_photos_open_in_the_window(qtbot, window, photo_dir, tmp_path, messages):
    second = tmp_path / "second.png"
    shutil.copy(photo_dir / "coffee.png", second)
    window.tabs.setCurrentWidget(window.tab_widgets["Captioning"])   # a fresh window's first tab, no captioner
    assert window.open_paths([str(photo_dir / "chelsea.png"), str(second)])
    current = window.tabs.tabText(window.tabs.currentIndex())
    assert current == "Saliency"   # where a photo shows something at once
    assert photo_of(window, current).path == str(photo_dir / "chelsea.png")
    assert RecentFiles(window.settings).paths()[:2] == [str(photo_dir / "chelsea.png"), str(second)]
    assert any("are in File ▸ Open Recent" in m for m in messages)
    # a missing or non-image file: the usual message, the current image stays
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    assert not window.open_paths([str(text)])
    assert not window.open_paths([str(tmp_path / "missing.jpg")])
    assert any("notes.txt" in m for m in messages) and any("missing.jpg" in m for m in messages)
    assert photo_of(window, current).path == str(photo_dir / "chelsea.png")
    # a bad file first: it gets its message and the next photo opens
    messages.clear()
    assert window.open_paths([str(text), str(second)])
    assert photo_of(window, current).path == str(second) and any("notes.txt" in m for m in messages)


@pytest.mark.parametrize("argv, expected", [
    ([], launch_args.GuiLaunch()),
    (["--device", "cpu"], launch_args.GuiLaunch("cpu", [])),
    (["photo.jpg"], launch_args.GuiLaunch(None, ["photo.jpg"])),
    (["photo.jpg", "more.png", "--device=cpu"], launch_args.GuiLaunch("cpu", ["photo.jpg", "more.png"])),
    (["--device", "cpu", "~/Pictures/x"], launch_args.GuiLaunch("cpu", ["~/Pictures/x"])),
    (["classify", "photo.jpg"], None),
    (["--device", "cpu", "fool", "photo.jpg"], None),
    (["--help"], None),
    (["clasify"], None),                       # a mistyped subcommand: the CLI says so
])
def test_arguments_choose_the_window_or_the_cli(argv, expected):
    assert launch_args.parse_gui_args(argv, is_subcommand=lambda n: n in {"classify", "fool"}) == expected


def test_a_file_named_like_a_subcommand_is_the_subcommand(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").write_text("")
    (tmp_path / "cat").write_bytes(b"")
    assert launch_args.parse_gui_args(["models"]) is None
    assert launch_args.parse_gui_args(["cat"]) == launch_args.GuiLaunch(None, ["cat"])


def test_main_routes_photos_to_the_window_and_subcommands_to_the_cli(monkeypatch):
    import engine.cli
    import guiapp.app as app

    calls = []
    monkeypatch.setattr(app, "run_gui", lambda device=None, files=None: calls.append(("gui", device, files)) or 0)
    monkeypatch.setattr(engine.cli, "main", lambda argv: calls.append(("cli", argv)) or 0)
    assert app.main(["photo.jpg", "b.png"]) == 0
    assert app.main(["--device", "cpu"]) == 0
    assert app.main(["models"]) == 0
    assert calls == [("gui", None, ["photo.jpg", "b.png"]), ("gui", "cpu", []), ("cli", ["models"])]
