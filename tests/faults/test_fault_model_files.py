"""Model and checkpoint loading in the engine: broken classifier weight files
(ModelLoadError naming the file), broken captioning checkpoints
(CheckpointError naming the file and the problem); a pickled payload is
refused and never runs."""
from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path

import pytest
import torch
from badfiles import NON_UTF8_NAME, make_weight_files, unreadable

from engine.captioning import CaptioningRNN, CheckpointError, load_checkpoint, save_checkpoint
from engine.models import ModelLoadError, load_model

WORDS = {"<NULL>": 0, "<START>": 1, "<END>": 2, "<UNK>": 3, "cat": 4}


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    return make_weight_files(tmp_path_factory.mktemp("weights"))


@pytest.mark.parametrize("case, reason", [
    ("corrupt", "not a PyTorch weight file"), ("truncated", "damaged or truncated"),
    ("empty", "not a PyTorch weight file"), ("pickle_payload", "refused: it holds pickled Python objects"),
    ("not_a_state_dict", "does not contain a state dict"), ("wrong_architecture", "does not match the architecture"),
    ("directory", "is a folder"),
])
def test_broken_torchvision_weight_files(case, reason, weights):
    path = weights[case]
    with pytest.raises(ModelLoadError) as info:
        load_model(str(path), device="cpu")
    assert str(path) in str(info.value) and reason in str(info.value)
    assert len(str(info.value).splitlines()) == 1
    assert "weights_only" not in str(info.value) and "trust" not in str(info.value)  # torch's advice: not for users
    assert not weights["marker"].exists(), "the pickle payload ran"


@pytest.mark.parametrize("case", ["corrupt", "pickle_payload", "wrong_architecture", "missing"])
def test_broken_weight_file_for_the_bundled_model(case, weights, tmp_path):
    path = weights.get(case, tmp_path / "nothing.pth")
    with pytest.raises(ModelLoadError) as info:
        load_model("efficientnet_lite0", device="cpu", weights_path=path)
    assert "efficientnet_lite0" in str(info.value) and str(path) in str(info.value)
    assert not weights["marker"].exists()


def test_unreadable_and_undecodable_weight_files(weights, tmp_path, monkeypatch):
    odd = Path(os.path.join(str(tmp_path), "resnet18-" + NON_UTF8_NAME + ".pth"))
    odd.write_bytes(weights["corrupt"].read_bytes())
    with pytest.raises(ModelLoadError, match="cannot read weight file"):
        load_model(str(odd), device="cpu")
    unreadable(monkeypatch, weights["wrong_architecture"])
    with pytest.raises(ModelLoadError, match="Permission denied"):
        load_model(str(weights["wrong_architecture"]), device="cpu")


def test_unknown_names_and_devices():
    with pytest.raises(ModelLoadError, match="unknown model"):
        load_model("resnet9000", device="cpu")
    with pytest.raises(ValueError, match="weights.pth: does not exist"):   # a model file: found by its keys, once it exists
        load_model(str(Path(tempfile.gettempdir()) / "no-such-dir" / "weights.pth"), device="cpu")
    for device in ("tpu", "cuda:99" if not torch.cuda.is_available() else "bogus"):
        with pytest.raises(ValueError):
            load_model(device=device)


# ---------------------------------------------------------------- captioning checkpoints
@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory):
    model = CaptioningRNN(WORDS, input_dim=6, wordvec_dim=4, hidden_dim=3, cell_type="lstm", seed=0)
    path = tmp_path_factory.mktemp("ckpt") / "good.pt"
    save_checkpoint(path, model, metadata={"label": "tiny"})
    return path


def _variant(good: Path, folder: Path, name: str, change) -> Path:
    data = torch.load(good, weights_only=True)
    data = copy.deepcopy(data)
    change(data)
    out = folder / f"{name}.pt"
    torch.save(data, out)
    return out


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _set(key, value):
    def change(d):
        d[key] = value
    return change


def _param(name, value):
    def change(d):
        d["params"][name] = value
    return change


def _config(key, value):
    def change(d):
        if value is None:
            del d["config"][key]
        else:
            d["config"][key] = value
    return change


VARIANTS = {
    "not_a_checkpoint": (lambda d: d.clear() or d.update(weights=torch.zeros(2)), "not a Neural Lens captioning"),
    "newer_version": (_set("version", 99), "newer than this program"),
    "no_params": (_set("params", None), "parameters must be exactly"),
    "extra_param": (_param("W_extra", torch.zeros(1)), "parameters must be exactly"),
    "param_not_tensor": (_param("Wx", [[1.0]]), "not a tensor"),
    "wrong_shape": (_param("Wh", torch.zeros(3, 3)), "parameter Wh has shape"),
    "nan_param": (_param("b", torch.full((12,), float("nan"))), "NaN or infinite"),
    "inf_param": (_param("W_vocab", torch.full((3, 5), float("inf"))), "NaN or infinite"),
    "no_vocab": (_set("word_to_idx", None), "vocabulary"),
    "vocab_gap": (_set("word_to_idx", {"<NULL>": 0, "<START>": 1, "<END>": 5}), "0..V-1"),
    "no_config": (_set("config", None), "config"),
    "config_missing_key": (_config("hidden_dim", None), "hidden_dim"),
    "config_bad_value": (_config("input_dim", "six"), "input_dim"),
    "config_unknown_cell": (_config("cell_type", "gru"), "unknown cell type"),
    "metadata_not_a_dict": (_set("metadata", [1, 2, 3]), "metadata"),
    "solver_not_a_dict": (_set("solver", "resume me"), "solver"),
}


@pytest.fixture(scope="module")
def bad_checkpoints(good_checkpoint, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-ckpt")
    paths = {name: _variant(good_checkpoint, folder, name, change) for name, (change, _) in VARIANTS.items()}
    raw = good_checkpoint.read_bytes()
    for name, data in {"empty": b"", "truncated": raw[: len(raw) // 2], "corrupt": os.urandom(2048),
                       "text": b"not a checkpoint\n"}.items():
        paths[name] = folder / f"{name}.pt"
        paths[name].write_bytes(data)
    marker = folder / "payload-ran.txt"
    paths["pickle_payload"] = _variant(good_checkpoint, folder, "pickle_payload",
                                       _set("metadata", {"x": _Payload(str(marker))}))
    paths["marker"] = marker
    paths["directory"] = folder / "folder.pt"
    paths["directory"].mkdir()
    paths["missing"] = folder / "missing.pt"
    return paths


BYTE_CASES = {"empty": "not a readable checkpoint", "truncated": "not a readable checkpoint",
              "corrupt": "not a readable checkpoint", "text": "not a readable checkpoint",
              "pickle_payload": "refused", "directory": "no such file", "missing": "no such file"}


@pytest.mark.parametrize("case", sorted(VARIANTS) + sorted(BYTE_CASES))
def test_broken_checkpoints_raise_checkpoint_error(case, bad_checkpoints):
    path = bad_checkpoints[case]
    reason = VARIANTS[case][1] if case in VARIANTS else BYTE_CASES[case]
    with pytest.raises(CheckpointError) as info:
        ckpt = load_checkpoint(path)
        ckpt.build_model()
    assert info.value.path == str(path) and reason in info.value.reason, str(info.value)
    assert str(info.value).startswith(str(path)) and len(str(info.value).splitlines()) == 1
    assert "weights_only" not in str(info.value) and "\x1b" not in str(info.value)
    assert not bad_checkpoints["marker"].exists(), "the pickle payload ran"


def test_unreadable_checkpoint(good_checkpoint, monkeypatch):
    unreadable(monkeypatch, good_checkpoint)
    with pytest.raises(CheckpointError, match="Permission denied"):
        load_checkpoint(good_checkpoint)


def test_the_good_checkpoint_loads(good_checkpoint):
    model = load_checkpoint(good_checkpoint).build_model()
    assert model.cell_type == "lstm" and model.hidden_dim == 3 and model.vocab_size == 5


def test_saving_over_a_folder_or_into_a_missing_one_is_a_checkpoint_error(tmp_path):
    model = CaptioningRNN(WORDS, input_dim=6, wordvec_dim=4, hidden_dim=3, seed=0)
    for target in (tmp_path, tmp_path / "missing" / "m.pt"):
        with pytest.raises(CheckpointError):
            save_checkpoint(target, model)
    assert os.listdir(tmp_path) == []
