"""The dataset index: every chosen layer's channels over a whole folder of photos, computed once.

``index_job`` (a job like any other) writes an index file (:mod:`engine.index.store`, SQLite, documented
format) holding, per channel, the top-k photos with the position of the peak, and per photo every
channel's maximum.  ``top_photos`` answers "which photos excite this channel" from it at once."""
from .job import IndexProgress, IndexSummary, index_job, open_for
from .query import similar_photos, top_photos
from .runners import ModelSpec
from .store import IndexFileError, IndexStore
from .topk import TopK

__all__ = ["index_job", "IndexProgress", "IndexSummary", "open_for", "top_photos", "similar_photos", "ModelSpec",
           "IndexFileError", "IndexStore", "TopK"]
