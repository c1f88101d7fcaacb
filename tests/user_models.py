"""Model files a user might bring, built by the tests themselves (random
weights, nothing downloaded): a 5-class ResNet-18 state dict with a
``labels.txt``, a timm ViT checkpoint with its class names, a small CNN as
ONNX, as a ``torch.export`` program and as a pickled whole model, and a
greyscale (1-channel) ResNet-18.  ``user_model_files`` (session fixture)
returns ``{kind: path}``."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

SMALL = 64  # px: the CLI runs stay fast


class SmallCNN(nn.Module):
    """A custom network no catalogue knows (so only whole-network formats can carry it)."""

    def __init__(self, classes: int = 4) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 16, 3, padding=1), nn.ReLU(),
        )
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.pool(self.features(x)).flatten(1))


def small_cnn(seed: int = 0) -> SmallCNN:
    torch.manual_seed(seed)
    return SmallCNN().eval()


def _sidecar(path: Path, **values) -> None:
    path.with_suffix(".json").write_text(json.dumps(values))


def write_resnet(folder: Path) -> Path:
    import torchvision

    torch.manual_seed(1)
    net = torchvision.models.resnet18(num_classes=5)
    path = folder / "resnet18_5cls.pth"
    torch.save(net.state_dict(), path)
    (folder / "labels.txt").write_text("apple\nbanana\ncherry\ndate\nelder\n")
    _sidecar(path, input_size=SMALL)
    return path


def write_vit(folder: Path) -> Path:
    import timm

    torch.manual_seed(2)
    net = timm.create_model("test_vit", num_classes=3, pretrained=False)
    path = folder / "vit" / "tiny_vit.pt"
    path.parent.mkdir()
    torch.save({"model_state_dict": net.state_dict(), "classes": ["ant", "bee", "cat"], "epoch": 3}, path)
    _sidecar(path, input_size=SMALL)
    return path


def write_grey(folder: Path) -> Path:
    import torchvision

    torch.manual_seed(3)
    net = torchvision.models.resnet18(num_classes=2)
    net.conv1 = nn.Conv2d(1, 64, 7, 2, 3, bias=False)
    path = folder / "grey" / "xray.safetensors"
    path.parent.mkdir()
    from safetensors.torch import save_file

    save_file({k: v.contiguous() for k, v in net.state_dict().items()}, str(path))
    (path.parent / "classes.txt").write_text("normal\nfracture\n")
    _sidecar(path, input_size=SMALL, preset="0..1")
    return path


def _onnx(path: Path, **options) -> Path:
    """The small CNN exported to ONNX at ``path`` (its folder made)."""
    path.parent.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(small_cnn(), (torch.zeros(1, 3, SMALL, SMALL),), str(path), dynamo=False,
                          input_names=["image"], output_names=["logits"], **options)
    return path


def write_onnx(folder: Path) -> Path:
    path = _onnx(folder / "onnx" / "small.onnx")
    (path.parent / "labels.json").write_text(json.dumps({"0": "w", "1": "x", "2": "y", "3": "z"}))
    return path


def write_plain_onnx(folder: Path) -> Path:
    """The small CNN as ONNX for any input size, alone in its folder: nothing says its preprocessing or classes."""
    return _onnx(folder / "plain" / "plain.onnx", dynamic_axes={"image": {0: "batch", 2: "height", 3: "width"}})


def write_export(folder: Path) -> Path:
    path = folder / "export" / "small.pt2"
    path.parent.mkdir()
    program = torch.export.export(small_cnn(), (torch.zeros(1, 3, SMALL, SMALL),))
    torch.export.save(program, str(path))
    return path


def write_pickle(folder: Path) -> Path:
    path = folder / "pickle" / "whole.pt"
    path.parent.mkdir()
    torch.save(small_cnn(), path)
    _sidecar(path, input_size=SMALL)
    return path


class BlocksNet(nn.Module):
    """A stem and twelve blocks, named as EfficientNet's are (``blocks.5``, ``blocks.8``),
    so a tab that prefers EfficientNet's layers over the model's own defaults shows it."""

    def __init__(self, classes: int = 3) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.blocks = nn.Sequential(*(nn.Sequential(nn.Conv2d(8, 8, 3, padding=1), nn.ReLU()) for _ in range(12)))
        self.fc = nn.Linear(8, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.blocks(self.stem(x)).mean((2, 3)))


def write_blocks(folder: Path) -> Path:
    """``BlocksNet`` as a ``torch.export`` program with three class names beside it."""
    torch.manual_seed(4)
    path = folder / "blocks" / "blocks.pt2"
    path.parent.mkdir()
    torch.export.save(torch.export.export(BlocksNet().eval(), (torch.zeros(1, 3, 32, 32),)), str(path))
    (path.parent / "labels.txt").write_text("red\ngreen\nblue\n")
    return path


WRITERS = {"resnet": write_resnet, "vit": write_vit, "grey": write_grey, "onnx": write_onnx, "pt2": write_export,
           "pickle": write_pickle}


@pytest.fixture(scope="session")
def user_model_files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("user_models")
    return {kind: write(folder) for kind, write in WRITERS.items()}
