"""What an index was made with: the network's weights and how a photo becomes its input.  An index is
refused when these differ from the model at hand."""
from __future__ import annotations

import hashlib
from collections.abc import Sequence

import torch

from ..models import Classifier

__all__ = ["model_sha256", "preprocessing", "layer_shapes"]


def model_sha256(model: Classifier) -> str:
    """SHA-256 of the network's weights and buffers (names, shapes, dtypes and bytes, in state-dict
    order): the same for the same weights whatever file or package they came from."""
    digest = hashlib.sha256()
    for name, tensor in model.net.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tuple(t.shape)}:{t.dtype}\n".encode())
        digest.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return digest.hexdigest()


def preprocessing(model: Classifier) -> dict:
    """How a photo becomes the network's input (:meth:`Classifier.prepare` then normalisation)."""
    return {"view": "centre crop, resized (engine.imaging.model_view)", "input_size": model.input_size,
            "crop_fraction": model.crop_fraction, "mean": [float(v) for v in model.mean.flatten()],
            "std": [float(v) for v in model.std.flatten()]}


@torch.inference_mode()
def layer_shapes(model: Classifier, layers: Sequence[str]) -> list[tuple[str, int, int, int]]:
    """(name, channels, height, width) of each layer's maps at the input size."""
    side = model.input_size
    features = model.features_at(torch.zeros((1, 3, side, side), device=model.device), list(layers))
    return [(name, *(int(v) for v in features[name].shape[1:])) for name in layers]
