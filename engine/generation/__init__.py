"""Image generation: class visualization (Fourier, MACO or pixels), feature
accentuation of a photo, feature inversion, DeepDream and guided DeepDream, built from small composable pieces (objectives,
regularisers, transforms, parameterisations, one optimisation loop).

Every job is a generator yielding :class:`~engine.jobs.Frame` objects that
reads its live parameters (a frozen, validated dataclass) from
``control.params`` at every step.
"""
from .accentuation import AccentParams, accentuate
from .classviz import ClassVizParams, class_visualization
from .deepdream import DreamParams, deepdream, guide_objective, layer_objective
from .export import (
                     ExportError,
                     FrameRecorder,
                     export_animation,
                     export_choices,
                     export_gif,
                     export_mp4,
                     export_png_sequence,
                     export_run,
                     export_target,
                     mp4_available,
)
from .inversion import InversionParams, feature_inversion, relative_feature_distance

__all__ = [
    "ClassVizParams", "class_visualization", "AccentParams", "accentuate",
    "InversionParams", "feature_inversion", "relative_feature_distance",
    "DreamParams", "deepdream", "layer_objective", "guide_objective",
    "ExportError", "FrameRecorder", "export_animation", "export_gif", "export_mp4", "export_png_sequence", "mp4_available",
    "export_run", "export_choices", "export_target",
]
