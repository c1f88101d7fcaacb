"""Per-user folders through platformdirs, the MPS device chosen like CUDA, and file names with
spaces and non-ASCII characters."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import platformdirs
import pytest
import torch

from engine.captioning.data.features import cache_dir
from engine.cli import main as cli_main
from engine.device import choose_device
from engine.imaging import load_image, read_png_params, save_png

ODD = Path("photos été") / "my photo ü.png"


# ------------------------------------------------------------------ cache folder
def test_cache_dir_honours_xdg_cache_home(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "neural-lens" / "captioning"


def test_cache_dir_otherwise_uses_platformdirs(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    asked = []

    def user_cache_dir(appname, *args, **kwargs):
        asked.append(appname)
        return str(tmp_path / "platform cache" / appname)

    monkeypatch.setattr(platformdirs, "user_cache_dir", user_cache_dir)
    assert cache_dir() == tmp_path / "platform cache" / "neural-lens" / "captioning"
    assert asked == ["neural-lens"]
    assert cache_dir(tmp_path / "mine") == tmp_path / "mine"


# ------------------------------------------------------------------ device
@pytest.fixture
def fake_devices(monkeypatch):
    def set_available(cuda: bool, mps: bool) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)

    return set_available


@pytest.mark.parametrize("cuda, mps, expected", [
    (True, True, "cuda"),       # CUDA first
    (False, True, "mps"),       # then Apple silicon's GPU
    (False, False, "cpu"),
])
@pytest.mark.parametrize("preference", [None, "", "auto"])
def test_auto_picks_cuda_then_mps_then_cpu(fake_devices, cuda, mps, expected, preference):
    fake_devices(cuda=cuda, mps=mps)
    assert choose_device(preference).type == expected


def test_explicit_mps(fake_devices):
    fake_devices(cuda=False, mps=True)
    assert choose_device("mps").type == "mps"
    fake_devices(cuda=False, mps=False)
    with pytest.raises(ValueError, match="MPS"):
        choose_device("mps")


# ------------------------------------------------------------------ odd file names
def test_load_and_save_png_with_spaces_and_accents(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    path = tmp_path / ODD
    path.parent.mkdir()
    written = save_png(path, image, {"note": "été ü"})
    assert Path(written) == path and path.is_file()
    assert np.array_equal(load_image(path), image)
    assert np.array_equal(load_image(str(path)), image)
    assert read_png_params(path)["note"] == "été ü"


def test_cli_classify_a_photo_in_a_folder_with_spaces_and_accents(photo_dir, tmp_path, capsys):
    path = tmp_path / ODD
    path.parent.mkdir()
    shutil.copyfile(photo_dir / "chelsea.png", path)
    assert cli_main(["--device", "cpu", "classify", str(path), "--top", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["predictions"][0]["index"] in (281, 282, 285)   # a cat
    assert cli_main(["classify", str(path.with_name("absent ü.png"))]) != 0
    assert "absent ü.png" in capsys.readouterr().err
