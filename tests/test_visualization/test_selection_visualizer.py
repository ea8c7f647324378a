"""Selection overlay and pose drawing with mmpose's visualizer."""
import cv2
import numpy as np
from mmengine.structures import InstanceData
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.structures import PoseDataSample

from mmpose_patchsel.selection import PatchGrid
from mmpose_patchsel.visualization import (PatchSelLocalVisualizer,
                                           patch_cell_boxes)


def test_cell_boxes_tile_the_padded_grid():
    grid = PatchGrid((192, 256))
    boxes = patch_cell_boxes(grid)
    assert boxes.shape == (192, 4)
    np.testing.assert_array_equal(boxes[0], [0, 0, 13, 13])  # [-2, 14) clip
    np.testing.assert_array_equal(boxes[13], [14, 14, 29, 29])  # row 1 col 1
    assert boxes[:, 2].max() == 189 and boxes[:, 3].max() == 253


def test_overlay_keeps_selected_pixels_and_dims_the_rest(coco_root):
    grid = PatchGrid((192, 256))
    image = cv2.imread(str(coco_root / '000000000785.jpg'))[:256, :192]
    image = np.ascontiguousarray(image[..., ::-1])
    mask = np.zeros(grid.num_patches, bool)
    mask[5 * 12 + 6] = True  # cell (row 5, col 6): pixels y 78..93, x 94..109
    drawn = PatchSelLocalVisualizer().draw_patch_selection(image, mask, grid)
    inside = (slice(80, 92), slice(96, 108))
    np.testing.assert_array_equal(drawn[inside], image[inside])
    outside = (slice(150, 200), slice(10, 60))
    assert drawn[outside].mean() < 0.5 * image[outside].mean()


def test_pose_drawing_works_under_numpy2(coco_root):
    """mmpose 1.3.2's OpenCV backend int()s a 1-element radius array."""
    visualizer = PatchSelLocalVisualizer(radius=3)
    visualizer.set_dataset_meta(
        parse_pose_metainfo(dict(from_file='configs/_base_/datasets/coco.py')))
    image = np.ascontiguousarray(
        cv2.imread(str(coco_root / '000000000785.jpg'))[..., ::-1])
    sample = PoseDataSample()
    sample.pred_instances = InstanceData(
        keypoints=np.tile([[300.0, 200.0]], (1, 17, 1)),
        keypoint_scores=np.ones((1, 17)),
        bboxes=np.array([[250.0, 150.0, 350.0, 250.0]]))
    visualizer.add_datasample(
        'pose', image, sample, draw_gt=False, show=False, kpt_thr=0.3)
    drawn = visualizer.get_image()
    assert not np.array_equal(drawn[195:206, 295:306],
                              image[195:206, 295:306])
