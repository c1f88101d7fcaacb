"""The Captioning tab's fixtures (see tests/captioning_fixtures.py)."""
from captioning_fixtures import feature_cache, tab  # noqa: F401
