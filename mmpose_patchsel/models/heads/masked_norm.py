"""Instance normalisation whose statistics leave out the positions a
patch-selecting backbone did not compute.

``PatchSelViT`` restores the kept tokens onto the grid and writes zeros
everywhere else (``restore_fill='zeros'``, the paper's choice).
``InstanceNorm2d`` normalises each map with its own spatial mean and
variance, so those zeros shift every position's statistics, not only the
dropped ones. These functions take the statistics over the computed
positions only and normalise every position with them; with every
position computed they are ``InstanceNorm2d``.
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ['computed_positions', 'masked_instance_norm', 'resize_mask']


def computed_positions(x: Tensor) -> Tensor:
    """(B, 1, H, W) float32 mask of the positions of a (B, C, H, W) map
    whose feature vector is not all zeros: where the backbone computed a
    token (merged tokens and a learned fill count as computed)."""
    return x.detach().ne(0).any(dim=1, keepdim=True).float()


def resize_mask(mask: Tensor, size: Sequence[int]) -> Tensor:
    """``mask`` (B, 1, h, w) at the spatial ``size`` of a later layer by
    nearest neighbour: each cell of a 2x-upsampled map takes its source
    cell's value."""
    if tuple(mask.shape[-2:]) == tuple(size):
        return mask
    return F.interpolate(mask, size=tuple(size), mode='nearest')


def masked_instance_norm(x: Tensor, mask: Tensor, eps: float = 1e-5) -> Tensor:
    """``F.instance_norm(x, eps=eps)`` (no affine weights, no running
    statistics) whose per-sample, per-channel mean and biased variance are
    taken over the positions where ``mask`` (B, 1, H, W) is 1.

    Every position is normalised with them, so values at unmasked positions
    do not change the output at masked ones. Computed in float32 (as
    autocast runs instance norm) and returned in ``x``'s dtype; a sample
    with an empty mask comes out as ``x / sqrt(eps)``, not NaN.
    """
    dtype = x.dtype
    x, mask = x.float(), mask.float()
    count = mask.sum(dim=(2, 3), keepdim=True).clamp_min(1)
    mean = (x * mask).sum(dim=(2, 3), keepdim=True) / count
    centred = x - mean
    var = (centred.square() * mask).sum(dim=(2, 3), keepdim=True) / count
    return (centred * torch.rsqrt(var + eps)).to(dtype)
