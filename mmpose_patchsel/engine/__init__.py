from .checkpoint_loading import (WEIGHTS_ONLY_ENV, UnsafeCheckpointWarning,
                                 load_local_checkpoint)
from .hooks import JointTokenKeepRateHook
from .worker_init import file_system_sharing_worker_init

__all__ = [
    'load_local_checkpoint', 'UnsafeCheckpointWarning', 'WEIGHTS_ONLY_ENV',
    'JointTokenKeepRateHook', 'file_system_sharing_worker_init'
]
