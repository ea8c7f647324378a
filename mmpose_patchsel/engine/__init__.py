from .checkpoint_loading import (WEIGHTS_ONLY_ENV, UnsafeCheckpointWarning,
                                 load_local_checkpoint)
from .hooks import *  # noqa: F401,F403

__all__ = [
    'load_local_checkpoint', 'UnsafeCheckpointWarning', 'WEIGHTS_ONLY_ENV',
    'JointTokenKeepRateHook'
]
