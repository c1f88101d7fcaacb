"""The engine's image loader on the named awkward files (the property-based
fuzzing of arbitrary bytes is in test_image_loader_fuzz.py): broken files
raise ImageLoadError naming the file and the reason; odd but valid files
read as the RGB picture they show."""
from __future__ import annotations

import io
import os

import numpy as np
import pytest
from badfiles import BAD_IMAGES, NON_UTF8_NAME, ODD_IMAGES, REASONS, bomb_png, expected_pixels, unreadable

from engine.imaging import ImageLoadError, load_image


@pytest.mark.parametrize("case", BAD_IMAGES)
def test_bad_files_raise_image_load_error_naming_file_and_reason(case, files, monkeypatch):
    if case == "unreadable":
        unreadable(monkeypatch, files[case])
    with pytest.raises(ImageLoadError) as info:
        load_image(files[case])
    assert info.value.source == str(files[case]) and REASONS[case] in info.value.reason
    assert str(info.value) == f"{files[case]}: {info.value.reason}" and "\n" not in str(info.value)


@pytest.mark.parametrize("case", ODD_IMAGES)
def test_odd_files_read_as_rgb(case, files):
    image = load_image(files[case])
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and image.flags.writeable
    want = expected_pixels(case)
    if want is not None:
        assert np.abs(image.astype(int) - want.astype(int)).max() <= 1


def test_what_the_odd_files_show(files):
    grey = load_image(files["png16_grey"])
    assert grey.shape == (32, 40, 3) and grey[0, 0].tolist() == [0, 0, 0] and grey[-1, -1].tolist() == [255] * 3
    assert (grey[..., 0] == grey[..., 2]).all() and (np.diff(grey[..., 0].ravel().astype(int)) >= 0).all()
    cmyk = load_image(files["cmyk_jpeg"])
    assert np.abs(cmyk.astype(int) - [255, 0, 0]).max() <= 3  # CMYK (0, 255, 255, 0) is red
    gif = load_image(files["animated_gif"])
    assert gif.shape == (12, 16, 3) and np.abs(gif.astype(int) - [0, 200, 0]).max() <= 2  # the first frame
    upright = load_image(files["exif_rotated"])  # stored 48 high x 40 wide, EXIF orientation 6
    assert upright.shape == (40, 48, 3)
    assert upright[0, 0, 1] > 200 and upright[0, 0, 0] < 40  # stored bottom-left (green, no red) is now top-left


def test_the_bomb_is_refused_before_decoding_even_with_a_raised_limit(files):
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(files["bomb"], max_pixels=10**12)  # Pillow's own guard still refuses 900 megapixels
    with pytest.raises(ImageLoadError, match=r"too large \(9000x9000"):
        load_image(bomb_png(9000))  # 81 megapixels: over our limit, under Pillow's


def test_sources_other_than_paths(files):
    data = files["good_png"].read_bytes()
    assert load_image(data).shape == load_image(io.BytesIO(data)).shape == load_image(memoryview(data)).shape
    with pytest.raises(ImageLoadError, match="<image data>: the file is empty"):
        load_image(b"")
    with pytest.raises(ImageLoadError, match="<image data>: .*truncated"):
        load_image(io.BytesIO(data[:100]))


def test_undecodable_names(files, tmp_path):
    assert load_image(files["non_utf8_name"]).shape == (48, 64, 3)
    missing = os.path.join(str(tmp_path), NON_UTF8_NAME)
    with pytest.raises(ImageLoadError) as info:
        load_image(missing)
    assert info.value.source == missing and info.value.reason == "no such file"
    with pytest.raises(ImageLoadError, match="no such file"):
        load_image(os.fsencode(missing).decode("latin-1"))  # the same bytes, mis-decoded: another name
