"""Keypoint-cell recall against hand-worked cases."""
import math

import pytest
import torch

from mmpose_patchsel.analysis import keypoint_cell_hits, keypoint_cell_recall
from mmpose_patchsel.selection import PatchGrid

# ViTPose's grid on a 48 x 32 input: patch 16, padding 2 -> 3 rows x 2 cols;
# cell (r, c) covers pixels [16 c - 2, 16 c + 14) x [16 r - 2, 16 r + 14).
GRID = PatchGrid((32, 48), 16, 2)
# Cells 0 (0,0), 1 (0,1), 5 (2,1), a point off the crop, and cell 2 (1,0).
KPTS = torch.tensor([[[5., 5.], [20., 3.], [31., 47.], [40., 5.],
                      [13., 14.]]])
VIS = torch.tensor([[1., 1., 1., 1., 0.]])


def test_integer_indices_count_visible_keypoints_in_the_crop():
    hits, valid = keypoint_cell_hits(GRID, torch.tensor([[5, 0, 3]]), KPTS,
                                     VIS)
    assert valid.tolist() == [[True, True, True, False, False]]
    assert hits.tolist() == [[True, False, True, False, False]]
    assert keypoint_cell_recall(GRID, torch.tensor([[5, 0, 3]]), KPTS,
                                VIS) == pytest.approx(2 / 3)


def test_padding_entries_keep_nothing_and_bool_masks_work():
    keep = torch.tensor([[0, 1, 5]])
    pad = torch.tensor([[False, True, True]])
    assert keypoint_cell_recall(GRID, keep, KPTS, VIS, pad) == \
        pytest.approx(1 / 3)
    mask = torch.zeros(1, 6, dtype=torch.bool)
    mask[0, [1, 5]] = True
    assert keypoint_cell_recall(GRID, mask, KPTS, VIS) == pytest.approx(2 / 3)
    assert keypoint_cell_recall(GRID, None, KPTS, VIS) == 1.0
    assert math.isnan(
        keypoint_cell_recall(GRID, keep, KPTS, torch.zeros(1, 5)))


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r'\[0, 6\)'):
        keypoint_cell_hits(GRID, torch.tensor([[6]]), KPTS, VIS)
    with pytest.raises(ValueError, match='bool kept mask'):
        keypoint_cell_hits(GRID, torch.ones(1, 5, dtype=torch.bool), KPTS,
                           VIS)
    with pytest.raises(ValueError, match='visible'):
        keypoint_cell_hits(GRID, None, KPTS, VIS[:, :2])
    with pytest.raises(TypeError, match='float'):
        keypoint_cell_hits(GRID, torch.tensor([[0.]]), KPTS, VIS)


def test_selection_recall_warps_the_ground_truth_into_the_crop():
    """Against mmpose's own TopdownAffine: a mask keeping only the cell of
    the first transformed keypoint hits that one of the three."""
    import numpy as np
    from mmengine.structures import InstanceData
    from mmpose.datasets.transforms import GetBBoxCenterScale, TopdownAffine
    from mmpose.structures import PoseDataSample

    from mmpose_patchsel.analysis import selection_recall_counts
    kpts = np.array([[[60., 40.], [150., 200.], [100., 120.]]], np.float32)
    vis = np.ones((1, 3), np.float32)
    results = dict(img=np.zeros((240, 320, 3), np.uint8),
                   bbox=np.array([[40., 20., 180., 230.]], np.float32),
                   keypoints=kpts.copy(), keypoints_visible=vis.copy())
    results = TopdownAffine((192, 256), use_udp=True)(
        GetBBoxCenterScale()(results))
    grid = PatchGrid((192, 256))
    rows, cols = grid.point_to_cell(results['transformed_keypoints'][0])
    cells = rows * grid.cols + cols
    assert len(set(cells.tolist())) == 3
    mask = np.zeros(grid.num_patches, bool)
    mask[cells[0]] = True
    sample = PoseDataSample(metainfo=dict(
        input_center=results['input_center'],
        input_scale=results['input_scale'], patch_mask=mask))
    sample.gt_instances = InstanceData(keypoints=kpts, keypoints_visible=vis)
    assert selection_recall_counts([sample], (192, 256)) == (1, 3)
    sample.set_metainfo(dict(patch_mask=np.ones(grid.num_patches, bool)))
    assert selection_recall_counts([sample], (192, 256)) == (3, 3)
    assert selection_recall_counts([PoseDataSample()], (192, 256)) == (0, 0)


def test_attention_keypoints_read_the_attended_cell():
    """The readout of joint attention: the most attended cell's centre
    (the pixels it spans are [16 c - 2, 16 c + 14): centre 16 c + 5.5),
    or the attention-weighted mean of the centres."""
    from mmpose_patchsel.analysis import attention_keypoints
    grid = PatchGrid((32, 48), 16, 2)  # 3 rows x 2 cols
    attention = torch.zeros(1, 2, 6)
    attention[0, 0, 5] = 0.9  # row 2, col 1
    attention[0, 0, 0] = 0.1
    attention[0, 1, [0, 1]] = 0.5  # halfway between cells 0 and 1
    kpts, scores = attention_keypoints(attention, grid, 'argmax')
    assert kpts[0, 0].tolist() == [21.5, 37.5]
    assert scores[0].tolist() == pytest.approx([0.9, 0.5])
    assert grid.point_to_cell_torch(kpts[0, :1]) == (torch.tensor([2]),
                                                     torch.tensor([1]))
    mean, _ = attention_keypoints(attention, grid, 'mean')
    assert mean[0, 1].tolist() == pytest.approx([13.5, 5.5])
    assert mean[0, 0].tolist() == pytest.approx(
        [0.9 * 21.5 + 0.1 * 5.5, 0.9 * 37.5 + 0.1 * 5.5])
    with pytest.raises(ValueError, match='N=6'):
        attention_keypoints(torch.zeros(1, 2, 5), grid)
