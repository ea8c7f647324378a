"""Draw a patch selection on the model-input crop with mmpose's visualizer."""
from typing import Optional

import numpy as np
from mmpose.registry import VISUALIZERS
from mmpose.visualization import PoseLocalVisualizer

from mmpose_patchsel.selection import PatchGrid


def patch_cell_boxes(grid: PatchGrid) -> np.ndarray:
    """Pixel boxes (N, 4) xyxy of the grid cells, row-major, clipped."""
    rows, cols = np.divmod(np.arange(grid.num_patches), grid.cols)
    x0 = cols * grid.patch_size - grid.padding
    y0 = rows * grid.patch_size - grid.padding
    boxes = np.stack(
        [x0, y0, x0 + grid.patch_size - 1, y0 + grid.patch_size - 1], axis=1)
    limit = [grid.width - 1, grid.height - 1] * 2
    return np.clip(boxes, 0, limit).astype(np.float32)


@VISUALIZERS.register_module()
class PatchSelLocalVisualizer(PoseLocalVisualizer):
    """:class:`PoseLocalVisualizer` that can also show the kept patches."""

    def draw_circles(self, center, radius, *args, **kwargs):
        # mmpose 1.3.2's OpenCV backend calls int() on the 1-element radius
        # array that PoseLocalVisualizer passes, which numpy 2 refuses.
        radius = np.asarray(radius).reshape(-1)[0]
        return super().draw_circles(center, radius, *args, **kwargs)

    def draw_patch_selection(self,
                             image: np.ndarray,
                             patch_mask: np.ndarray,
                             grid: PatchGrid,
                             guide_keypoints: Optional[np.ndarray] = None,
                             guide_scores: Optional[np.ndarray] = None,
                             score_thr: float = 0.3,
                             dropped_brightness: float = 0.3) -> np.ndarray:
        """Dim the dropped patches, outline the kept ones, mark the guide.

        Args:
            image: the model-input crop (H, W, 3), RGB.
            patch_mask: (N,) bool over the row-major grid.
            grid: the crop's patch grid.
            guide_keypoints: (K, 2) input-space guide keypoints, optional.
            guide_scores: (K,) their scores; keypoints below ``score_thr``
                are not drawn.
        Returns:
            the drawn RGB image.
        """
        patch_mask = np.asarray(patch_mask, bool).reshape(-1)
        if patch_mask.size != grid.num_patches:
            raise ValueError(f'patch_mask has {patch_mask.size} entries, '
                             f'the grid {grid.rows}x{grid.cols} has '
                             f'{grid.num_patches}')
        if image.shape[:2] != (grid.height, grid.width):
            raise ValueError(f'image {image.shape[:2]} is not the grid input '
                             f'size (h, w) = {(grid.height, grid.width)}')
        boxes = patch_cell_boxes(grid).astype(int)
        shown = image.astype(np.float32) * dropped_brightness
        for x0, y0, x1, y1 in boxes[patch_mask]:
            shown[y0:y1 + 1, x0:x1 + 1] = image[y0:y1 + 1, x0:x1 + 1]
        self.set_image(shown.astype(np.uint8))
        self.draw_bboxes(
            boxes[patch_mask].astype(np.float32), edge_colors=(0, 255, 0),
            line_widths=1)
        if guide_keypoints is not None:
            keypoints = np.asarray(guide_keypoints, np.float32)
            keep = np.ones(len(keypoints), bool) if guide_scores is None \
                else np.asarray(guide_scores) >= score_thr
            for point in keypoints[keep]:
                self.draw_circles(point, radius=2, face_colors=(255, 0, 0))
        return self.get_image()
