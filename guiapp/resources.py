"""Where the application's bundled files are: see :mod:`engine.resources`
(the engine reads the sample photos too: MACO's natural magnitude spectrum)."""
from engine.resources import resource_path, resources_dir

__all__ = ["resources_dir", "resource_path"]
