from .online_guide import OnlineGuide, build_guide_model
from .patchsel_topdown import (FLIP_PATCH_MASK_KEY, PATCH_MASK_KEY,
                               PatchSelTopdownEstimator,
                               masks_to_keep_indices)

__all__ = [
    'PatchSelTopdownEstimator', 'OnlineGuide', 'build_guide_model',
    'masks_to_keep_indices', 'PATCH_MASK_KEY', 'FLIP_PATCH_MASK_KEY'
]
