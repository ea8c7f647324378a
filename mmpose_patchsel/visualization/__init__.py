from .selection_visualizer import PatchSelLocalVisualizer, patch_cell_boxes
from .video_drawing import (crop_to_image, draw_kept_patches,
                            draw_tracked_frame, patch_cell_quads, track_color)

__all__ = [
    'PatchSelLocalVisualizer', 'patch_cell_boxes', 'crop_to_image',
    'patch_cell_quads', 'draw_kept_patches', 'draw_tracked_frame',
    'track_color'
]
