from .selection_pipeline import build_selection_dataset, selection_pipeline
from .transforms import *  # noqa: F401,F403

__all__ = ['selection_pipeline', 'build_selection_dataset']
