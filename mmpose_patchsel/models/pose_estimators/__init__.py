from .online_guide import OnlineGuide, build_guide_model
from .patchsel_topdown import (PatchSelTopdownEstimator,
                               keep_indices_to_masks, masks_to_keep_indices)

__all__ = [
    'PatchSelTopdownEstimator', 'OnlineGuide', 'build_guide_model',
    'masks_to_keep_indices', 'keep_indices_to_masks'
]
