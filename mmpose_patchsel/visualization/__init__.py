from .selection_visualizer import PatchSelLocalVisualizer, patch_cell_boxes

__all__ = ['PatchSelLocalVisualizer', 'patch_cell_boxes']
