"""Keypoint-cell recall: are the keypoints' patches still in the sequence?

A pruned or selected ViT can only localise a keypoint well if the patch
holding it reached the last block. The recall is the fraction of visible
ground-truth keypoints whose patch cell (:class:`PatchGrid`) is among the
kept patch tokens: after the last pruning stage for joint tokens
(``JointTokenOutput.keep_indices``), the selected patches for guide-based
selection (the boolean ``patch_mask``).
"""
from typing import Iterable, Optional, Tuple

import numpy as np
import torch
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix
from torch import Tensor

from mmpose_patchsel.keys import KEPT_PATCH_MASK_KEY, PATCH_MASK_KEY
from mmpose_patchsel.models.pose_estimators import keep_indices_to_masks
from mmpose_patchsel.selection import PatchGrid

__all__ = [
    'keypoint_cell_hits', 'keypoint_cell_recall', 'selection_recall_counts',
    'crop_keypoints'
]


def keypoint_cell_hits(grid: PatchGrid,
                       kept: Optional[Tensor],
                       keypoints: Tensor,
                       visible: Tensor,
                       key_padding_mask: Optional[Tensor] = None
                       ) -> Tuple[Tensor, Tensor]:
    """Per keypoint: whether its cell was kept, and whether it counts.

    Args:
        grid: the token grid of the input.
        kept: the kept patches, either (B, K) integer grid positions
            (row-major, as ``keep_indices``) or a (B, N) bool mask over the
            grid (as ``patch_mask``); None means the whole grid was kept.
        keypoints: (B, J, 2) ground-truth keypoints in input pixels.
        visible: (B, J) visibility or keypoint weights; > 0 counts.
        key_padding_mask: (B, K) bool, True for padding entries of
            ``kept`` (integer form only); they keep nothing.

    Returns:
        ``(hits, valid)``, both (B, J) bool: ``valid`` marks visible
        keypoints inside the crop; ``hits`` those whose cell was kept.
    """
    if keypoints.dim() != 3 or keypoints.shape[-1] != 2:
        raise ValueError(f'keypoints must be (B, J, 2), got '
                         f'{tuple(keypoints.shape)}')
    if visible.shape != keypoints.shape[:2]:
        raise ValueError(f'visible must be (B, J) = '
                         f'{tuple(keypoints.shape[:2])}, got '
                         f'{tuple(visible.shape)}')
    B, N = keypoints.shape[0], grid.num_patches
    valid = (visible > 0) & grid.contains_torch(keypoints)
    if kept is None:
        return valid.clone(), valid
    if kept.dim() != 2 or kept.shape[0] != B:
        raise ValueError(f'kept must be (B={B}, K) indices or (B, N={N}) '
                         f'bool masks, got {tuple(kept.shape)}')
    if kept.dtype == torch.bool:
        if kept.shape[1] != N:
            raise ValueError(f'a bool kept mask must be (B, N={N}), got '
                             f'{tuple(kept.shape)}')
        if key_padding_mask is not None:
            raise ValueError('key_padding_mask goes with integer '
                             'keep indices, not with a bool mask')
        mask = kept
    else:
        if kept.dtype.is_floating_point:
            raise TypeError(f'kept must be integer indices or a bool mask, '
                            f'got {kept.dtype}')
        kept = kept.long()
        if kept.numel() and (kept.min() < 0 or kept.max() >= N):
            raise ValueError(f'keep indices must be in [0, {N}) for the '
                             f'{grid.rows}x{grid.cols} grid')
        if key_padding_mask is not None and \
                key_padding_mask.shape != kept.shape:
            raise ValueError('key_padding_mask must be shaped like kept '
                             f'{tuple(kept.shape)}, got '
                             f'{tuple(key_padding_mask.shape)}')
        mask = keep_indices_to_masks(
            kept, None if key_padding_mask is None else
            key_padding_mask.bool(), B, N)
    row, col = grid.point_to_cell_torch(keypoints)
    cells = row * grid.cols + col
    hits = torch.gather(mask.to(cells.device), 1, cells) & valid
    return hits, valid


def keypoint_cell_recall(grid: PatchGrid,
                         kept: Optional[Tensor],
                         keypoints: Tensor,
                         visible: Tensor,
                         key_padding_mask: Optional[Tensor] = None) -> float:
    """Fraction of valid keypoints whose cell was kept (NaN if none is
    valid). Arguments as :func:`keypoint_cell_hits`; to pool batches, sum
    its ``hits`` and ``valid`` instead of averaging recalls."""
    hits, valid = keypoint_cell_hits(grid, kept, keypoints, visible,
                                     key_padding_mask)
    count = int(valid.sum())
    return float('nan') if count == 0 else int(hits.sum()) / count


def crop_keypoints(sample, input_size: Tuple[int, int],
                   use_udp: bool = True) -> np.ndarray:
    """(J, 2) ground-truth keypoints of a top-down test sample (image
    pixels, first instance) warped into its crop, with the warp
    ``TopdownAffine`` used (``input_center``/``input_scale``, no rotation
    at test time)."""
    make = get_udp_warp_matrix if use_udp else get_warp_matrix
    warp = make(np.asarray(sample.input_center, np.float32),
                np.asarray(sample.input_scale, np.float32), 0.,
                output_size=tuple(input_size))
    kpts = np.asarray(sample.gt_instances.keypoints[0], np.float64)
    return kpts @ warp[:, :2].T + warp[:, 2]


def selection_recall_counts(outputs: Iterable, input_size: Tuple[int, int],
                            use_udp: bool = True) -> Tuple[int, int]:
    """Keypoint-cell recall counts ``(hits, valid)`` over evaluated data
    samples: the patches that reached the last block
    (``kept_patch_mask``, a self-pruning backbone's) or else the selected
    ones (``patch_mask``), against the ground truth in the crop
    (:func:`crop_keypoints`). Samples with neither mask are skipped."""
    grid = PatchGrid(tuple(input_size))
    hits = valid = 0
    for sample in outputs:
        key = next((k for k in (KEPT_PATCH_MASK_KEY, PATCH_MASK_KEY)
                    if k in sample), None)
        if key is None:
            continue
        crop = crop_keypoints(sample, grid.input_size, use_udp)
        h, v = keypoint_cell_hits(
            grid, torch.as_tensor(np.asarray(sample.get(key)))[None],
            torch.as_tensor(crop, dtype=torch.float32)[None],
            torch.as_tensor(np.asarray(
                sample.gt_instances.keypoints_visible[0]),
                dtype=torch.float32)[None])
        hits += int(h.sum())
        valid += int(v.sum())
    return hits, valid
