"""Opening a model file a user brings as a :class:`Classifier`, like the
bundled networks: state dicts of any torchvision or timm classifier (the
architecture found from the keys and shapes), ``torch.export`` programs, ONNX
files, and pickled whole models (only with ``trust_code``).  Class names and
preprocessing come from the checkpoint, the sidecar ``<model>.json``, timm's
``pretrained_cfg`` or torchvision's weight metadata, else defaults
(:mod:`engine.models.sidecar`, :mod:`engine.models.preprocessing`)."""
from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch import nn

from ..device import choose_device
from .arch_catalog import TIMM_PREFIX, build, is_timm
from .arch_detect import ArchFit, NoArchitecture, find_architectures
from .classifier import Classifier
from .input_adapters import FixedInput, GreyInput, first_conv, set_in_channels
from .layer_choice import default_layers, probe_layers
from .model_file import CodeRefused, ModelFile, read_model_file
from .preprocessing import SIDECAR_KEYS, Preprocessing
from .sidecar import find_labels, fitted_labels, read_labels_file, read_sidecar
from .token_grid import expose_nhwc_grids, expose_token_grids

__all__ = ["open_model_file", "SeveralArchitectures", "CodeRefused", "ModelSource", "MODEL_SUFFIXES"]

MODEL_SUFFIXES = (".pth", ".pt", ".bin", ".ckpt", ".safetensors", ".pt2", ".onnx")


class SeveralArchitectures(ValueError):
    """Several architectures fit the weights; ``choices`` lists them (pass one as ``arch``)."""

    def __init__(self, path: Path, choices: list[str]) -> None:
        super().__init__(f"{path}: the weights fit several architectures: {', '.join(choices)}; choose one "
                         f"(CLI: --arch NAME, or \"arch\" in the sidecar {path.with_suffix('.json').name})")
        self.path, self.choices = path, choices


@dataclass(frozen=True)
class ModelSource:
    """Where a user's model came from: file, SHA-256, what kind of file, architecture, preprocessing, labels' origin."""

    path: str
    sha256: str
    kind: str
    arch: str
    preprocessing: Preprocessing
    labels_from: str
    #: where the preprocessing came from ("" when nothing said: the ImageNet defaults were assumed)
    preprocessing_from: str = ""

    @property
    def short_hash(self) -> str:
        return self.sha256[:10]


def _choose_fit(mf: ModelFile, arch: str | None, sidecar: dict) -> ArchFit:
    wanted = arch or sidecar.get("arch")
    hinted = mf.meta.get("arch") if isinstance(mf.meta.get("arch"), str) else None
    if wanted:
        return find_architectures(mf.state, only=wanted)[0]
    if hinted:
        for name in (hinted, TIMM_PREFIX + hinted):
            try:
                return find_architectures(mf.state, only=name)[0]
            except Exception:  # noqa: BLE001 - a checkpoint's "arch" is a hint, not a promise
                continue
    fits = find_architectures(mf.state)
    if len(fits) > 1:
        raise SeveralArchitectures(mf.path, [f.arch for f in fits])
    return fits[0]


def _network_from_state(mf: ModelFile, fit: ArchFit) -> nn.Module:
    # timm ViTs: any input size (position embeddings interpolated, the image padded to whole patches); Swins: the size
    options = ({"dynamic_img_size": True, "dynamic_img_pad": True}, {"dynamic_img_size": True}) if is_timm(fit.arch) else ()
    for extra in options:
        try:
            net = build(fit.arch, fit.num_classes, **extra)
            break
        except TypeError:  # a timm model without these options
            continue
    else:
        net = build(fit.arch, fit.num_classes)
    if fit.grey_stem:
        set_in_channels(net, fit.grey_stem, 1)
    try:
        net.load_state_dict(mf.state, strict=True)
    except RuntimeError as exc:
        raise ValueError(f"{mf.path}: does not load into {fit.arch} ({str(exc).splitlines()[0]})") from None
    if getattr(net, "aux_logits", False):  # torchvision googlenet/inception: the aux heads are for training only
        net.aux_logits, net.AuxLogits = False, None
        net.aux1 = net.aux2 = None
    return net


def _arch_preprocessing(arch: str, net: nn.Module) -> tuple[Preprocessing, str]:
    """The architecture's own preprocessing (timm's ``pretrained_cfg``, torchvision's
    weight transforms) and where it came from ("": neither says)."""
    if is_timm(arch):
        cfg = getattr(net, "pretrained_cfg", None) or {}
        if not cfg:
            return Preprocessing(), ""
        size = cfg.get("input_size", (3, 224, 224))
        return Preprocessing(input_size=size[-1], mean=cfg.get("mean", (0.485, 0.456, 0.406)),
                             std=cfg.get("std", (0.229, 0.224, 0.225)),
                             crop_fraction=cfg.get("crop_pct", 0.875)), "timm's pretrained_cfg"
    try:
        from torchvision.models import get_model_weights

        transforms = list(get_model_weights(arch.replace("-noaux", "")))[0].transforms()
        crop, resize = transforms.crop_size[0], transforms.resize_size[0]
        return (Preprocessing(input_size=crop, mean=transforms.mean, std=transforms.std, crop_fraction=crop / resize),
                "torchvision's weight transforms")
    except (ValueError, IndexError, AttributeError, TypeError):
        return Preprocessing(), ""


def _file_size(mf: ModelFile) -> tuple[Preprocessing, str]:
    shape = mf.input_shape
    if shape and len(shape) == 4 and shape[-1] > 0 and shape[-1] == shape[-2]:
        return Preprocessing(input_size=shape[-1]), "the file's input shape"
    return Preprocessing(), ""


def _preprocessing(base: tuple[Preprocessing, str], channels: int, sidecar: dict, override: Preprocessing | None,
                   path: Path) -> tuple[Preprocessing, str]:
    """The preprocessing to use, and where it came from ("": the defaults, nothing said)."""
    try:
        chosen = override if override is not None else base[0].updated(sidecar)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path.with_suffix('.json')}: {exc}") from None
    if chosen.channels != channels:
        if "channels" in sidecar or override is not None:
            raise ValueError(f"{path}: the preprocessing says {chosen.channels} channel(s), the network reads {channels}")
        chosen = replace(chosen, channels=channels)
    if override is not None:
        return chosen, "chosen"
    return chosen, path.with_suffix(".json").name if any(k in sidecar for k in SIDECAR_KEYS) else base[1]


def _output_classes(net: nn.Module, channels: int, size: int, path: Path) -> int:
    with torch.no_grad():
        out = net(torch.zeros((1, channels, size, size)))
    if not isinstance(out, torch.Tensor) or out.dim() != 2:
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise ValueError(f"{path}: the network's output is {shape}, not a (batch, classes) vector of class scores")
    return int(out.shape[1])


def _labels(path: Path, mf: ModelFile, sidecar: dict, labels: str | list[str] | None, count: int) -> tuple[list[str], str]:
    """Class names and their origin: ``labels`` (a file, or the names themselves), else what the files say."""
    if isinstance(labels, (list, tuple)):
        names, origin = list(labels), "names you chose"
    elif labels:
        names, origin = read_labels_file(Path(labels)), Path(labels).name
    else:
        names, origin = find_labels(path, mf.meta, sidecar)
    if names is None:
        return [f"class {i}" for i in range(count)], "none (class 0..N-1)"
    try:
        return fitted_labels(names, count, origin), origin
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _static(mf: ModelFile) -> tuple[bool, bool]:
    """(batch fixed at 1, size fixed) as the exported file says."""
    shape = mf.input_shape or ()
    return (len(shape) == 4 and shape[0] == 1), (len(shape) == 4 and shape[-1] > 0)


def _network(mf: ModelFile, arch: str | None, sidecar: dict) -> tuple[nn.Module, str, tuple[Preprocessing, str]]:
    if mf.state is not None:
        fit = _choose_fit(mf, arch, sidecar)
        net = _network_from_state(mf, fit)
        return net, fit.arch, _arch_preprocessing(fit.arch, net)
    if arch and arch != type(mf.module).__name__:   # (a recipe names the whole network's own class)
        raise ValueError(f"{mf.path}: --arch applies to state dicts; this file holds a whole network ({mf.kind})")
    return mf.module, type(mf.module).__name__, _file_size(mf)


def open_model_file(path: str | os.PathLike, device: str | torch.device | None = None, *, arch: str | None = None,
                    trust_code: bool = False, labels: str | list[str] | None = None, sidecar: str | None = None,
                    preprocessing: Preprocessing | None = None) -> Classifier:
    """A user's model file as a :class:`Classifier` (see the module docstring).

    ``arch`` chooses among several fitting architectures; ``labels`` is a class
    names file, or the names themselves (a list); ``sidecar`` a settings file other than ``<model>.json``;
    ``preprocessing`` overrides everything the file and sidecar say.  Raises
    ``ValueError`` naming the file and the problem (:class:`SeveralArchitectures`
    lists the choices, :class:`CodeRefused` a pickle opened without ``trust_code``).
    """
    path = Path(path)
    mf = read_model_file(path, trust_code=trust_code)
    side = read_sidecar(path, sidecar)
    try:
        net, arch_name, base = _network(mf, arch, side)
    except NoArchitecture as exc:
        raise ValueError(f"{path}: {exc}") from None
    net = net.float().eval()
    for module in net.modules():  # in-place activations would overwrite captured layer outputs
        if getattr(module, "inplace", False) is True:
            module.inplace = False
    stem = first_conv(net)
    channels = stem.in_channels if stem is not None and stem.in_channels in (1, 3) else 3
    if mf.input_shape and len(mf.input_shape) == 4 and mf.input_shape[1] in (1, 3):
        channels = mf.input_shape[1]
    pre, pre_from = _preprocessing(base, channels, side, preprocessing, path)
    single, fixed = _static(mf)
    runnable = FixedInput(net, size=pre.input_size if fixed else None, single=single) if (single or fixed) else net
    count = _output_classes(runnable, channels, pre.input_size, path)
    names, origin = _labels(path, mf, side, labels, count)
    sides = None
    grids = expose_token_grids(net)
    swin = expose_nhwc_grids(net) if grids is None else None
    if grids is not None:
        runnable, layers = grids[0], grids[1]
    elif swin is not None:
        layers = swin
    else:
        layers, sides = probe_layers(net, (1, channels, pre.input_size, pre.input_size))  # the network's own names
    if channels == 1:
        runnable = GreyInput(runnable)
    source = ModelSource(str(path), mf.sha256, mf.kind, arch_name, pre, origin, pre_from)
    model = Classifier(
        name=f"{path.name} [{source.short_hash}]", net=runnable, labels=names, mean=pre.pixel_mean, std=pre.pixel_std,
        layers=layers, device=choose_device(device), input_size=pre.input_size, crop_fraction=pre.crop_fraction,
        description=f"{path.name} ({arch_name}, {mf.kind}, {count} classes, {pre.input_size} px, sha256 {source.short_hash})",
        source=source, layer_defaults=default_layers(list(layers), transformer=grids is not None, sides=sides),
    )
    if single:
        model.tune(batch=1)
    return model
