"""``Classifier``: a pretrained image classifier with everything the
workbenches need around the bare network (labels, pre/de-processing, named
layers, truncated forward passes)."""
from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from ..device import Tuning, device_tuning
from ..imaging import model_view
from ..jobs import interrupt_here
from .fusion import set_batchnorm_folding
from .input_adapters import GreyInput
from .labels import class_index

__all__ = ["Classifier", "Prediction"]


@dataclass(frozen=True)
class Prediction:
    index: int
    label: str
    prob: float

    def as_dict(self) -> dict:
        return {"index": self.index, "label": self.label, "prob": self.prob}


class _StopForward(Exception):
    """Raised by a forward hook to stop the pass once the wanted layers ran."""


def _interrupt_hook(_module: nn.Module, _inputs, output):
    """After every convolution and linear layer: a place where a cancelled
    job's forward pass stops, and its backward pass (:func:`engine.jobs.interrupt_here`;
    the control is the calling thread's, so passes that other threads run on
    the shared network go on)."""
    interrupt_here(output)


def _interrupt_pre_hook(_module: nn.Module, inputs):
    """The same before the layer: at large sizes the activation and padding
    between two layers cost as much as a layer."""
    interrupt_here(inputs[0] if inputs else None)


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Classifier:
    """A frozen, eval-mode classifier on one device.

    Input space: the network sees *normalised* tensors
    ``x = (pixels - mean) / std`` with pixels in 0..255 (``mean``/``std`` per
    channel, in pixel units).  Every gradient method in the engine works in
    this normalised space; :meth:`to_pixels` / :meth:`from_pixels` convert.
    """

    def __init__(
        self,
        *,
        name: str,
        net: nn.Module,
        labels: Sequence[str],
        mean: Sequence[float],
        std: Sequence[float],
        layers: dict[str, nn.Module],
        device: torch.device,
        input_size: int = 224,
        crop_fraction: float = 0.875,
        description: str = "",
        source=None,
        layer_defaults: dict | None = None,
    ) -> None:
        self.name = name
        self.description = description or name
        self.source = source  # a user's file (engine.models.user_model.ModelSource); None for the bundled networks
        self._layer_defaults = dict(layer_defaults or {})
        self.device = torch.device(device)
        self.net = net.to(self.device).eval()
        for p in self.net.parameters():
            p.requires_grad_(False)
        self.labels = tuple(labels)
        self.input_size = int(input_size)
        self.crop_fraction = float(crop_fraction)
        self.mean = torch.tensor(mean, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self.std = torch.tensor(std, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self._layers = dict(layers)
        linears = [m for m in self.net.modules() if isinstance(m, nn.Linear)]
        self._last_linear = linears[-1] if linears else None
        for module in self.net.modules():  # the costly pieces: a Stop lands within one of them
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                module.register_forward_pre_hook(_interrupt_pre_hook)
                module.register_forward_hook(_interrupt_hook)
        self.tuning: Tuning = self.tune()

    @property
    def greyscale(self) -> bool:
        """Whether the network reads only the luma of its RGB input (a 1-channel model)."""
        return any(isinstance(m, GreyInput) for m in self.net.modules())

    # -- speed --------------------------------------------------------------
    def tune(self, *, channels_last: bool | None = None, fold_batchnorm: bool | None = None,
             batch: int | None = None) -> Tuning:
        """Run the network as :func:`engine.device.device_tuning` says for this
        device (its memory layout, BatchNorm folding, attribution batch), with
        any of those overridden; done once at load.  Maps, images and
        predictions stay the same up to float rounding either way
        (``tests/engine/test_speed_equivalence.py``).  Returns the tuning,
        also kept as :attr:`tuning`."""
        measure = self._time_pass if channels_last is None else None
        tuning = device_tuning(self.device, time_pass=measure)
        changes = {"channels_last": channels_last, "fold_batchnorm": fold_batchnorm, "batch": batch}
        tuning = replace(tuning, **{k: v for k, v in changes.items() if v is not None})
        self.net.to(memory_format=tuning.memory_format)
        set_batchnorm_folding(self.net, tuning.fold_batchnorm)
        self.tuning = tuning
        return tuning

    def _time_pass(self, channels_last: bool) -> float:
        """Seconds of one forward+backward at the input size in one layout (best of 3, after a warm-up)."""
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        self.net.to(memory_format=fmt)
        side = self.input_size
        x = torch.randn((1, 3, side, side), device=self.device).contiguous(memory_format=fmt).requires_grad_(True)
        times = []
        for _ in range(4):
            _synchronize(self.device)
            start = time.perf_counter()
            torch.autograd.grad(self.net(x).sum(), x)
            _synchronize(self.device)
            times.append(time.perf_counter() - start)
        return min(times[1:])

    def _run(self, x: torch.Tensor) -> torch.Tensor:
        """The network on ``x`` in the tuned memory layout."""
        if x.dim() == 4:
            x = x.contiguous(memory_format=self.tuning.memory_format)
        return self.net(x)

    # -- pixels <-> tensors ---------------------------------------------
    def prepare(self, image: np.ndarray) -> np.ndarray:
        """What the network sees of a photo (:func:`engine.imaging.model_view`):
        a picture already at ``input_size`` as it is, else the centre crop
        (``crop_fraction`` of the shorter side: 0.875 at 224 px, TF's
        ``size / (size + 32)`` for EfficientNet-Lite1/2) resized to ``input_size``."""
        return model_view(image, self.input_size, self.crop_fraction)

    def preprocess(self, image: np.ndarray | Sequence[np.ndarray]) -> torch.Tensor:
        """uint8 HxWx3 image (or a list of same-size images) -> normalised
        (N,3,H,W) float32 tensor on the model's device.  No resizing."""
        if isinstance(image, np.ndarray) and image.ndim == 3:
            batch = image[None]
        else:
            batch = np.stack([np.asarray(im) for im in image])
        if batch.ndim != 4 or batch.shape[-1] != 3:
            raise ValueError(f"expected HxWx3 RGB image(s), got shape {batch.shape}")
        x = torch.from_numpy(np.array(batch, dtype=np.uint8, copy=True)).to(self.device)
        x = x.permute(0, 3, 1, 2).float()
        return self.from_pixels(x)

    def deprocess(self, x: torch.Tensor) -> np.ndarray:
        """Normalised tensor (1,3,H,W) or (3,H,W) -> uint8 HxWx3 (clamped, rounded)."""
        if x.dim() == 4:
            x = x[0]
        pixels = self.to_pixels(x[None].detach())[0]
        return pixels.clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).cpu().numpy()

    def to_pixels(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std + self.mean

    def from_pixels(self, pixels: torch.Tensor) -> torch.Tensor:
        return (pixels - self.mean) / self.std

    @property
    def input_range(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel (lo, hi) of valid normalised values, shape (1,3,1,1)."""
        return self.from_pixels(torch.zeros_like(self.mean)), self.from_pixels(torch.full_like(self.mean, 255.0))

    def clamp(self, x: torch.Tensor) -> torch.Tensor:
        """Clamp a normalised tensor to the valid pixel range 0..255."""
        lo, hi = self.input_range
        return torch.maximum(torch.minimum(x, hi), lo)

    # -- prediction -------------------------------------------------------
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self._run(x)

    @torch.inference_mode()
    def probabilities(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self._run(x), dim=1)

    def top(self, probs: torch.Tensor, k: int = 5) -> list[Prediction]:
        """Top-k predictions from a (1000,) or (1,1000) probability vector."""
        probs = probs.reshape(-1)
        k = max(1, min(int(k), probs.numel()))
        values, indices = probs.topk(k)
        return [Prediction(int(i), self.labels[int(i)], float(v)) for v, i in zip(values.tolist(), indices.tolist())]

    def classify(self, image: np.ndarray, top: int = 5, *, prepared: bool = False) -> list[Prediction]:
        """Top-``top`` classes for a photo (any size; seen through :meth:`prepare` unless ``prepared``)."""
        view = image if prepared else self.prepare(image)
        return self.top(self.probabilities(self.preprocess(view))[0], top)

    def class_index(self, spec: str | int) -> int:
        """An index or a label name (case-insensitive) -> class index."""
        return class_index(spec, self.labels)

    # -- layers -----------------------------------------------------------
    @property
    def layer_names(self) -> list[str]:
        """Named layers in network order (for DeepDream, inversion, Grad-CAM)."""
        return list(self._layers)

    def default_layer(self, tool: str):
        """Where ``tool`` (``"cam"``, ``"dream"``, ``"layers"``) opens on this model: a
        :class:`~engine.models.layer_choice.LayerDefault` (layer and one-line reason), or ``None``
        when the model does not say (the tool's own rule applies)."""
        return self._layer_defaults.get(tool)

    def layer(self, name: str) -> nn.Module:
        try:
            return self._layers[name]
        except KeyError:
            raise ValueError(f"model {self.name!r} has no layer {name!r}; layers: {', '.join(self._layers)}") from None

    def features(self, x: torch.Tensor, layer: str) -> torch.Tensor:
        """Activations of one named layer, running the network only up to it."""
        return self.features_at(x, [layer])[layer]

    def features_at(self, x: torch.Tensor, layers: Sequence[str]) -> dict[str, torch.Tensor]:
        """Activations of several named layers; the forward pass stops as soon
        as the last of them has run (autograd still flows through them)."""
        wanted = {name: self.layer(name) for name in layers}
        out: dict[str, torch.Tensor] = {}
        owner = threading.get_ident()  # the network is shared: other threads' passes must not see these hooks

        def make_hook(name: str):
            def hook(_module, _inputs, output):
                if threading.get_ident() != owner:
                    return None
                out[name] = output
                if len(out) == len(wanted):
                    raise _StopForward

            return hook

        handles = [module.register_forward_hook(make_hook(name)) for name, module in wanted.items()]
        try:
            self._run(x)
        except _StopForward:
            pass
        finally:
            for h in handles:
                h.remove()
        return out

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features (N,D): the input of the last linear layer
        (1280-d for EfficientNet-Lite0, fc7 for VGG), or the global average of
        the last named layer for networks without one."""
        if self._last_linear is None:
            return self.features(x, self.layer_names[-1]).mean(dim=(2, 3))
        captured: list[torch.Tensor] = []
        owner = threading.get_ident()

        def pre_hook(_module, inputs):
            if threading.get_ident() != owner:
                return None
            captured.append(inputs[0])
            raise _StopForward

        handle = self._last_linear.register_forward_pre_hook(pre_hook)
        try:
            self._run(x)
        except _StopForward:
            pass
        finally:
            handle.remove()
        return captured[0].flatten(1)

    def __repr__(self) -> str:
        return f"Classifier({self.name!r}, device={self.device})"
