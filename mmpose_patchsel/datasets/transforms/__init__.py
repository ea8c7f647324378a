from .guide_keypoints import (GenerateGTGuideKeypoints, LoadGuideKeypoints,
                              load_guide_file)
from .pack_inputs import PackPatchSelInputs
from .select_patches import SelectPatches

__all__ = [
    'LoadGuideKeypoints', 'GenerateGTGuideKeypoints', 'SelectPatches',
    'PackPatchSelInputs', 'load_guide_file'
]
