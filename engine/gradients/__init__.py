"""Image gradients: class saliency maps and richer attributions, objective
checks that the maps mean something, and fooling images.

* :func:`vanilla_saliency` (Simonyan et al. 2014, §3.1), :func:`smoothgrad`,
  :func:`smoothgrad_squared`, :func:`vargrad`, :func:`integrated_gradients` /
  :func:`integrated_gradients_map`, :func:`grad_cam`; the table
  :data:`METHOD_TABLE` names them, :class:`SaliencyParams` +
  :func:`compute_saliency` pick one by name.
* :func:`deletion_curve` / :func:`insertion_curve` (RISE, Petsiuk et al.
  2018), :func:`removal_curves` (MoRF/LeRF under a fill-in of :mod:`.fill_in`,
  ROAD: Rong et al. 2022), :mod:`.localization` (pointing game, relevance
  mass) and :func:`cascading_randomization` / :func:`cascade` (Adebayo et
  al. 2018).
* :func:`evaluate_methods`: every method × every metric on one photo;
  :func:`folder_evaluation`: on a folder, with a CSV and an HTML report.
* :func:`fool` (Szegedy et al. 2014), a generator of frames returning a
  :class:`FoolResult`; :func:`fool_full_size` carries one onto the photo at
  its own size.
* :mod:`.heatmap`: colour maps and overlays.

All gradients are taken with respect to the model's *normalised* input
tensor (``model.preprocess``), and all class scores are logits.
"""
from ._common import REDUCTIONS, gaussian_blur, reduce_channels
from .attribution import SaliencyParams, compute_saliency
from .curves import SUBSTRATES, Curve, deletion_curve, insertion_curve, random_map
from .evaluation import REFERENCE, MethodScore, MethodTable, evaluate_methods, metric_columns
from .fill_in import FILL_INS, FILL_TITLES
from .folder_eval import FolderProgress, folder_evaluation
from .fooling import FoolingStep, FoolParams, FoolResult, difference_image, fool, perturbation_size
from .fooling_full_size import FullSizeResult, fool_full_size
from .gradcam import default_cam_layer, grad_cam
from .heatmap import COLORMAPS, colorize, normalize_map, overlay
from .integrated import BASELINES, integrated_gradients, integrated_gradients_map
from .job import SaliencyResult, removal_job, saliency_job, saliency_removal_job, sanity_job
from .localization import Localization, localization, pointing_game, relevance_mass
from .methods import METHOD_TABLE, METHODS, Method, method
from .ranking import agreement, ranks
from .removal import RemovalCurves, removal_curves
from .sanity import RandomizationStep, cascade, cascade_tops, cascading_randomization, randomized_copy, spearman
from .smoothgrad import noise_tunnel, smoothgrad, smoothgrad_squared, vargrad
from .vanilla import vanilla_saliency

__all__ = [
    "REDUCTIONS", "METHODS", "BASELINES", "SUBSTRATES", "COLORMAPS",
    "METHOD_TABLE", "Method", "method", "noise_tunnel", "smoothgrad_squared", "vargrad",
    "vanilla_saliency", "smoothgrad", "integrated_gradients", "integrated_gradients_map", "grad_cam",
    "default_cam_layer", "SaliencyParams", "compute_saliency", "reduce_channels", "gaussian_blur",
    "Curve", "deletion_curve", "insertion_curve", "random_map",
    "RandomizationStep", "cascading_randomization", "cascade", "cascade_tops", "randomized_copy", "spearman",
    "FILL_INS", "FILL_TITLES", "RemovalCurves", "removal_curves", "Localization", "localization", "pointing_game",
    "relevance_mass", "REFERENCE", "MethodScore", "MethodTable", "evaluate_methods", "metric_columns", "ranks",
    "agreement", "FolderProgress", "folder_evaluation",
    "FoolParams", "FoolResult", "FoolingStep", "fool", "difference_image", "perturbation_size",
    "FullSizeResult", "fool_full_size",
    "colorize", "normalize_map", "overlay", "SaliencyResult", "saliency_job", "saliency_removal_job", "removal_job",
    "sanity_job",
]
