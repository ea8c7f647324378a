"""Keypoint-cell recall: are the keypoints' patches still in the sequence?

A pruned or selected ViT can only localise a keypoint well if the patch
holding it reached the last block. The recall is the fraction of visible
ground-truth keypoints whose patch cell (:class:`PatchGrid`) is among the
kept patch tokens: after the last pruning stage for joint tokens
(``JointTokenOutput.keep_indices``), the selected patches for guide-based
selection (the boolean ``patch_mask``).
"""
from typing import Optional, Tuple

import torch
from torch import Tensor

from mmpose_patchsel.selection import PatchGrid

__all__ = ['keypoint_cell_hits', 'keypoint_cell_recall']


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
        keep = torch.ones_like(kept, dtype=torch.bool)
        if key_padding_mask is not None:
            if key_padding_mask.shape != kept.shape:
                raise ValueError('key_padding_mask must be shaped like kept '
                                 f'{tuple(kept.shape)}, got '
                                 f'{tuple(key_padding_mask.shape)}')
            keep = ~key_padding_mask.bool()
        counts = torch.zeros(B, N, dtype=torch.long, device=kept.device)
        mask = counts.scatter_add_(1, kept, keep.long()) > 0
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
