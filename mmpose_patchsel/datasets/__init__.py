from .selection_pipeline import selection_pipeline
from .transforms import *  # noqa: F401,F403

__all__ = ['selection_pipeline']
