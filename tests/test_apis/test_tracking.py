"""Box from keypoints, IoU and detection-to-track matching."""
import numpy as np
import pytest

from mmpose_patchsel.apis import bbox_iou, box_from_keypoints, match_boxes


def test_box_from_keypoints_scales_the_confident_ones():
    kpts = np.array([[10, 20], [30, 60], [1000, 1000], [np.nan, 5]])
    scores = np.array([0.9, 0.8, 0.1, 0.9])  # a low one, a NaN one
    box = box_from_keypoints(kpts, scores, kpt_thr=0.3, padding=1.5)
    # tight box (10, 20, 30, 60): centre (20, 40), size (20, 40) * 1.5
    np.testing.assert_allclose(box, [5, 10, 35, 70])
    assert box.dtype == np.float32
    np.testing.assert_allclose(
        box_from_keypoints(kpts, scores, 0.3, padding=1.0), [10, 20, 30, 60])


def test_box_from_keypoints_falls_back_to_the_previous_box():
    previous = np.array([1, 2, 3, 4], np.float32)
    kpts = np.array([[10, 20], [30, 60], [50, 50]], np.float32)
    one = np.array([0.9, 0.1, 0.1])
    assert box_from_keypoints(kpts, one, 0.3) is None
    np.testing.assert_array_equal(
        box_from_keypoints(kpts, one, 0.3, fallback=previous), previous)
    # Two confident keypoints on one point give no box either.
    same = np.array([[7, 7], [7, 7], [50, 50]], np.float32)
    np.testing.assert_array_equal(
        box_from_keypoints(same, [0.9, 0.9, 0.0], 0.3, fallback=previous),
        previous)
    # Strictly above the threshold counts.
    assert box_from_keypoints(kpts, [0.3, 0.3, 0.3], 0.3) is None
    with pytest.raises(ValueError, match='scores'):
        box_from_keypoints(kpts, [0.9, 0.9], 0.3)


def test_bbox_iou():
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]], np.float32)
    b = np.array([[5, 0, 15, 10, 0.9], [20, 20, 30, 30, 0.5],
                  [0, 0, 10, 10, 1.0]])  # score columns are ignored
    iou = bbox_iou(a, b)
    np.testing.assert_allclose(iou, [[50 / 150, 0, 1], [0, 0, 0]])
    assert bbox_iou(np.zeros((0, 4)), b).shape == (0, 3)
    assert bbox_iou(a, []).shape == (2, 0)
    with pytest.raises(ValueError, match='boxes_b'):
        bbox_iou(a, [[1, 2, 3]])


def test_match_boxes_is_optimal_and_respects_the_threshold():
    # Greedy would take (0, 0) = 0.6 and leave row 1 unmatched; the optimal
    # assignment pairs both rows.
    iou = np.array([[0.6, 0.5], [0.55, 0.0], [0.1, 0.2]])
    matches, rows, cols = match_boxes(iou, thr=0.3)
    assert matches == [(0, 1), (1, 0)]
    assert rows == [2] and cols == []
    # Nothing above the threshold: nothing matched.
    matches, rows, cols = match_boxes(iou, thr=0.7)
    assert matches == [] and rows == [0, 1, 2] and cols == [0, 1]


def test_match_boxes_empty_inputs():
    assert match_boxes(np.zeros((0, 3)), 0.3) == ([], [], [0, 1, 2])
    assert match_boxes(np.zeros((2, 0)), 0.3) == ([], [0, 1], [])
    assert match_boxes(np.zeros((0, 0)), 0.3) == ([], [], [])
    assert match_boxes(bbox_iou([], []), 0.3) == ([], [], [])
