"""``tools/real_photo_folder.py``'s pure parts on generated pictures: the
flattening onto white, the resize to the shorter side, the exact and near
duplicate skipping, the licence matched in a Debian copyright file, the
install hint, and a build that gives the same bytes twice."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PIL import Image

from tools import real_photo_folder as tool


def _picture(seed: int, size=(300, 200)) -> Image.Image:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)  # blocky, so resizing keeps its hash
    return Image.fromarray(small).resize(size, Image.Resampling.NEAREST)


def test_fit_flattens_transparency_onto_white_and_sets_the_shorter_side():
    rgba = Image.new("RGBA", (400, 100), (255, 0, 0, 0))
    rgba.paste((0, 0, 255, 255), (0, 0, 200, 100))
    out = tool.fit(rgba, 64)
    assert out.mode == "RGB" and out.size == (256, 64)
    pixels = np.asarray(out)
    assert tuple(pixels[32, 10]) == (0, 0, 255) and tuple(pixels[32, 250]) == (255, 255, 255)
    assert tool.fit(_picture(0, (120, 500)), 100).size == (100, 417)


def test_select_skips_unreadable_exact_and_near_duplicates_in_order():
    a, b, c = _picture(1), _picture(2), _picture(3)
    near_a = Image.fromarray(np.clip(np.asarray(a).astype(int) + 6, 0, 255).astype(np.uint8))
    assert tool.average_hash(near_a) == tool.average_hash(a)
    kept = tool.select([("a", a), ("bad", None), ("a again", a.copy()), ("near a", near_a), ("b", b), ("c", c)], 2)
    assert kept == ["a", "b"]
    assert tool.select([("a", a), ("b", b), ("c", c)], 5) == ["a", "b", "c"]
    assert tool.select([("a", a), ("near a", near_a), ("a again", a.copy())], 5, near_bits=-1) == ["a", "near a"]


COPYRIGHT = """Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/

Files: *
Copyright: someone
License: GPL-2+
 long text

Files: 16.04/Bridge.jpg
       16.04/Wine_*.jpg
License: CC-BY-4.0

Files: debian/*
License: Expat
"""


def test_the_licence_is_the_last_matching_files_stanza():
    assert tool.licence_for(COPYRIGHT, "16.04/Bridge.jpg") == "CC-BY-4.0"
    assert tool.licence_for(COPYRIGHT, "16.04/Wine_by_X.jpg") == "CC-BY-4.0"
    assert tool.licence_for(COPYRIGHT, "20.04/Bridge.jpg") == "GPL-2+"
    assert tool.licence_for("Files: debian/*\nLicense: Expat\n", "x.jpg") == ""


def test_photo_names_say_what_the_photo_is_when_the_file_name_does_not():
    assert tool.photo_name(Path("/usr/share/palapeli/collection/Citrus Fruits.jpg")) == "citrus_fruits"
    assert tool.photo_name(Path("/usr/share/wallpapers/ColdRipple/contents/images/1920x1080.jpg")) == "coldripple"
    assert tool.photo_name(Path("/x/examples/hfs/data/002.jpg")) == "hfs_002"


def test_missing_packages_are_named_with_the_command_that_installs_them():
    sources = [tool.Source("no-such-photos-deb", "deb", "/nonexistent/photos", ("a.jpg",)),
               tool.Source("nosuchpippackage", "pip", "nosuchpippackage/data", ("b.png",))]
    found, missing = tool.candidates(sources)
    assert found == [] and [s.package for s in missing] == ["no-such-photos-deb", "nosuchpippackage"]
    assert tool.install_hint(missing) == ("apt-get install -y no-such-photos-deb && "
                                          "python -m pip install nosuchpippackage")


def test_build_writes_the_same_folder_twice_with_its_sources(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for i in range(4):
        _picture(10 + i).save(src / f"p{i}.png")
    _picture(10).save(src / "p0_copy.png")
    found = [tool.Candidate("pkg", p, "CC0") for p in sorted(src.glob("*.png"))]
    first = tool.build(tmp_path / "out", found, count=4, size=64)
    files = sorted((tmp_path / "out").glob("*.jpg"))
    data = [f.read_bytes() for f in files]
    again = tool.build(tmp_path / "out", found, count=4, size=64)
    assert first == again and [f.read_bytes() for f in sorted((tmp_path / "out").glob("*.jpg"))] == data
    assert [r["file"] for r in first] == ["000_p0.jpg", "001_p1.jpg", "002_p2.jpg", "003_p3.jpg"]
    assert all(min(Image.open(f).size) == 64 for f in files)
    with open(tmp_path / "out" / "SOURCES.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["original"] for r in rows] == [str(src / f"p{i}.png") for i in range(4)]
    assert {r["licence"] for r in rows} == {"CC0"} and rows[0]["original_size"] == "300x200"
