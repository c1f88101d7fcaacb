"""The folder report's photos on a Dask distributed cluster
(``saliency-eval FOLDER --cluster tcp://host:8786``): each photo is one task
that loads the photo, scores every method on it with the worker's own copy
of the model (loaded once per worker from a picklable recipe,
:class:`engine.index.ModelSpec`) and sends back the model's view and the
:class:`~.evaluation.MethodTable`; the CSV, thumbnails and report are
written in this process as results come back (not in photo order), so a
stopped run resumes as a local one does.  The photos must be readable at the
same path on the workers."""
from __future__ import annotations

from pathlib import Path

from ..dask_map import completed
from ..imaging import ImageLoadError, load_image
from ..index.runners import ModelSpec, worker_model
from .photo_score import score_photo

__all__ = ["cluster_tables", "remote_photo"]


def remote_photo(factory, path: str, boxes, options: dict):
    """On a worker: ``(path, view, table, problem)`` of one photo."""
    model, _sha = worker_model(factory)
    try:
        image = load_image(path)
    except ImageLoadError as exc:
        return path, None, None, str(exc)
    view, table = score_photo(model, image, boxes, **options)
    return path, view, table, None


def cluster_tables(address, factory, model, photos, boxes: dict, options: dict, control, in_flight=None):
    """``(path, view, table, problem)`` per photo, scored on the cluster at ``address`` as they complete."""
    factory = factory or ModelSpec(model.name)
    tasks = ((factory, str(p), boxes.get(p.name, []), options) for p in photos)
    for path, view, table, problem in completed(address, remote_photo, tasks, control=control, in_flight=in_flight):
        yield Path(path), view, table, problem
