"""Evaluators of the plugin: metrics that run in mmengine's test loop."""
from .metrics import *  # noqa: F401,F403
