"""Pretrained classifiers: the bundled EfficientNet-Lite0 and local torchvision weights."""
from .classifier import Classifier, Prediction
from .labels import class_index, imagenet_labels
from .registry import DEFAULT_MODEL, ModelInfo, ModelLoadError, list_models, load_model

__all__ = [
    "Classifier", "Prediction", "ModelInfo", "ModelLoadError", "DEFAULT_MODEL",
    "list_models", "load_model", "imagenet_labels", "class_index",
]
