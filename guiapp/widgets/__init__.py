"""Reusable widgets shared by the tabs."""
from .class_picker import ClassPicker
from .image_panel import ImagePanel, image_paths_from_mime
from .importance_panel import ImportancePanel
from .predictions import PredictionList

__all__ = ["ClassPicker", "ImagePanel", "ImportancePanel", "PredictionList", "image_paths_from_mime"]
