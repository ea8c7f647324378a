"""Kept patches and tracked poses drawn on whole frames."""
import cv2
import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.datasets.transforms import TopdownAffine
from mmpose.structures import PoseDataSample
from mmpose.structures.bbox import bbox_xyxy2cs

from mmpose_patchsel.selection import PatchGrid
from mmpose_patchsel.visualization import (PatchSelLocalVisualizer,
                                           crop_to_image, draw_kept_patches,
                                           draw_tracked_frame,
                                           patch_cell_quads)

GRID = PatchGrid((192, 256))
BOX = np.array([120., 60., 300., 380.], np.float32)  # xyxy on the photo


def _photo(coco_root):
    return cv2.imread(str(coco_root / '000000000785.jpg'))


def _crop(image, use_udp):
    """mmpose's own TopdownAffine on BOX, with a few keypoints."""
    center, scale = bbox_xyxy2cs(BOX[None], padding=1.25)
    points = np.array([[[150., 100.], [210., 222.], [290., 370.]]])
    results = dict(img=image.copy(), bbox_center=center, bbox_scale=scale,
                   keypoints=points, keypoints_visible=np.ones((1, 3)))
    return TopdownAffine(GRID.input_size, use_udp=use_udp)(results), points


def _crop_box(image):
    """input_center / input_scale as the tracker's samples carry them."""
    results, _ = _crop(image, True)
    return results['input_center'], results['input_scale']


@pytest.mark.parametrize('use_udp', [True, False])
def test_crop_to_image_inverts_topdown_affine(coco_root, use_udp):
    results, points = _crop(_photo(coco_root), use_udp)
    back = crop_to_image(results['transformed_keypoints'],
                         results['input_center'],
                         results['input_scale'], GRID.input_size,
                         use_udp)
    np.testing.assert_allclose(back, points, atol=1e-3)


def test_cell_quad_shows_the_crop_pixels_of_that_cell(coco_root):
    """The image under a cell's quad is what the ViT saw in that cell."""
    image = _photo(coco_root)
    results, _ = _crop(image, True)
    quads = patch_cell_quads(GRID, results['input_center'],
                             results['input_scale'])
    assert quads.shape == (GRID.num_patches, 4, 2)
    cell = 7 * GRID.cols + 5  # crop pixels y 110..125, x 78..93
    crop_patch = results['img'][112:124, 80:92].astype(float)
    x0, y0 = np.floor(quads[cell].min(0)).astype(int)
    x1, y1 = np.ceil(quads[cell].max(0)).astype(int)
    resized = cv2.resize(image[y0:y1, x0:x1], (16, 16)).astype(float)
    assert np.abs(resized[2:14, 2:14] - crop_patch).mean() < 12
    # Neighbouring cells share edges: tr corner of a cell = tl of the next.
    np.testing.assert_allclose(quads[cell, 1], quads[cell + 1, 0])


def test_kept_cell_is_painted_and_the_rest_untouched(coco_root):
    image = _photo(coco_root)
    center, scale = _crop_box(image)
    mask = np.zeros(GRID.num_patches, bool)
    mask[7 * GRID.cols + 5] = True
    drawn = draw_kept_patches(image, mask, GRID, center, scale,
                              color=(0, 0, 255), alpha=0.5)
    quad = patch_cell_quads(GRID, center, scale)[mask][0]
    inside = np.zeros(image.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(quad).astype(np.int32)], 1)
    shrunk = cv2.erode(inside, np.ones((3, 3), np.uint8)).astype(bool)
    grown = cv2.dilate(inside, np.ones((5, 5), np.uint8)).astype(bool)
    changed = np.any(drawn != image, axis=-1)
    assert changed[shrunk].all(), 'pixels inside the kept quad not painted'
    assert not changed[~grown].any(), 'pixels outside the kept quad changed'
    # Away from the outline, half-way to red.
    core = cv2.erode(inside, np.ones((7, 7), np.uint8)).astype(bool)
    assert core.sum() > 50
    expected = np.round(image[core] * 0.5 + np.array([0, 0, 255]) * 0.5)
    np.testing.assert_allclose(drawn[core], expected, atol=1)
    assert draw_kept_patches(image, np.zeros_like(mask), GRID, center,
                             scale).tobytes() == image.tobytes()


def test_all_kept_cells_cover_the_padded_box_only(coco_root):
    image = _photo(coco_root)
    center, scale = _crop_box(image)
    drawn = draw_kept_patches(image, np.ones(GRID.num_patches, bool), GRID,
                              center, scale, alpha=0.5)
    ys, xs = np.nonzero(np.any(drawn != image, axis=-1))
    # The crop spans the box padded 1.25x and widened to 3:4 (w:h): 300x400
    # around the box centre (210, 220); 2 px for the anti-aliased outline.
    np.testing.assert_allclose(scale, [300, 400])
    assert xs.min() >= 210 - 150 - 2 and xs.max() <= 210 + 150 + 2
    assert ys.min() >= 220 - 200 - 2 and ys.max() <= 220 + 200 + 2
    assert xs.max() - xs.min() > 290 and ys.max() - ys.min() > 390


def test_mask_of_wrong_size_is_refused(coco_root):
    with pytest.raises(ValueError, match='patch_mask has 10 entries'):
        draw_kept_patches(_photo(coco_root), np.ones(10, bool), GRID,
                          np.zeros(2), np.ones(2))


def _sample(track_id, source, center, scale, mask=None, with_crop=True):
    sample = PoseDataSample(metainfo=dict(track_id=track_id,
                                          guide_source=source))
    if with_crop:
        sample.set_metainfo(dict(input_center=center, input_scale=scale))
    if mask is not None:
        sample.set_metainfo(dict(patch_mask=mask))
    sample.pred_instances = InstanceData(
        keypoints=np.tile([[[210.0, 222.0]]], (1, 17, 1)),
        keypoint_scores=np.ones((1, 17)), bboxes=BOX[None].copy(),
        bbox_scores=np.ones(1))
    return sample


def test_tracked_frame_draws_patches_pose_and_ids(coco_root):
    image = _photo(coco_root)
    visualizer = PatchSelLocalVisualizer(radius=3)
    visualizer.set_dataset_meta(
        parse_pose_metainfo(dict(from_file='configs/_base_/datasets/coco.py')))
    mask = np.zeros(GRID.num_patches, bool)
    mask[2 * GRID.cols + 2] = True  # top-left of the crop, off the keypoint
    center, scale = _crop_box(image)
    drawn = draw_tracked_frame(
        visualizer, image, [_sample(3, 'previous', center, scale, mask)],
        GRID)
    assert drawn.shape == image.shape
    x, y = np.round(patch_cell_quads(GRID, center,
                                     scale)[mask][0].mean(0)).astype(int)
    assert not np.array_equal(drawn[y - 3:y + 4, x - 3:x + 4],
                              image[y - 3:y + 4, x - 3:x + 4])
    # The keypoints (all at one point) are drawn.
    assert not np.array_equal(drawn[219:226, 207:214], image[219:226,
                                                               207:214])
    # Far from the person nothing is drawn.
    np.testing.assert_array_equal(drawn[400:, 400:], image[400:, 400:])

    # A full-grid person needs no crop metainfo; a selected one does.
    full = draw_tracked_frame(
        visualizer, image,
        [_sample(1, 'full', center, scale, with_crop=False)], GRID)
    np.testing.assert_array_equal(full[400:, 400:], image[400:, 400:])
    with pytest.raises(KeyError, match='input_center'):
        draw_tracked_frame(visualizer, image,
                           [_sample(2, 'previous', center, scale, mask,
                                    with_crop=False)],
                           GRID)
    # No person: the frame comes back as it was.
    assert draw_tracked_frame(visualizer, image, [],
                              GRID).tobytes() == image.tobytes()
