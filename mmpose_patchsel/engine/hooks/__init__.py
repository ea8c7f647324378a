"""mmengine hooks of the plugin."""
from .keep_rate_hook import JointTokenKeepRateHook

__all__ = ['JointTokenKeepRateHook']
