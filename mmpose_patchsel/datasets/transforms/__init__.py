from .guide_keypoints import (GenerateGTGuideKeypoints, LoadGuideKeypoints,
                              load_guide_file)
from .select_patches import SelectPatches

__all__ = [
    'LoadGuideKeypoints', 'GenerateGTGuideKeypoints', 'SelectPatches',
    'load_guide_file'
]
