"""Keypoints read from the joint tokens' own attention.

A trained ``JointTokenPatchSelViT`` ranks patches by where its joint tokens
look; with ``JointTokenCellLoss`` joint ``j`` learns to look at the cell of
keypoint ``j``. Read as a prediction (argmax cell centre, or the
attention-weighted mean of the cell centres) this says whether the joint
tokens could feed the output themselves, next to the heatmap head.
"""
from typing import Tuple

import torch
from torch import Tensor

from mmpose_patchsel.selection import PatchGrid

__all__ = ['cell_centres', 'attention_keypoints']


def cell_centres(grid: PatchGrid) -> Tensor:
    """(N, 2) input-space ``(x, y)`` of the centre of each grid cell,
    row-major: cell ``c`` spans pixels ``[c p - pad, c p - pad + p)``."""
    half = (grid.patch_size - 1) / 2 - grid.padding
    ys = torch.arange(grid.rows, dtype=torch.float32) * grid.patch_size
    xs = torch.arange(grid.cols, dtype=torch.float32) * grid.patch_size
    y, x = torch.meshgrid(ys + half, xs + half, indexing='ij')
    return torch.stack([x.flatten(), y.flatten()], dim=1)


def attention_keypoints(attention: Tensor, grid: PatchGrid,
                        mode: str = 'argmax') -> Tuple[Tensor, Tensor]:
    """Keypoints (B, J, 2) in input pixels and scores (B, J) from joint
    attention (B, J, N) over the whole grid.

    ``mode='argmax'``: the centre of the most attended cell, scored by its
    attention; ``'mean'``: the attention-weighted mean of the centres,
    scored by the largest attention.
    """
    if attention.dim() != 3 or attention.shape[-1] != grid.num_patches:
        raise ValueError(f'attention must be (B, J, N={grid.num_patches}), '
                         f'got {tuple(attention.shape)}')
    centres = cell_centres(grid).to(attention.device)
    scores, top = attention.max(dim=-1)
    if mode == 'argmax':
        return centres[top], scores
    if mode == 'mean':
        weights = attention / attention.sum(-1, keepdim=True).clamp_min(1e-12)
        return weights @ centres, scores
    raise ValueError(f"mode must be 'argmax' or 'mean', got {mode!r}")
