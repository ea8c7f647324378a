"""Skeleton patches (paper method 2): the cells along each confident limb.

A link ``(i, j)`` is used when both keypoints are confident and finite. The
segment between them is first clipped to the crop ``[-0.5, w - 0.5] x
[-0.5, h - 0.5]`` in pixel space (Liang-Barsky), so the visible part of a
limb is kept even when one or both ends are outside; a segment that misses
the crop gives nothing. The clipped end points are mapped to cells and the
cells in between are rasterised with Bresenham's line in cell space.

Bresenham rule: the end points are ordered row-major first (the smaller
``(row, col)`` is the start), so ``line(a, b) == line(b, a)``. With
``m = max(|drow|, |dcol|)``, step ``i`` in ``0..m`` moves ``i`` cells along
each axis scaled by ``|d| / m`` and rounded half up (away from the start):
``offset = sign(d) * floor((2 i |d| + m) / (2 m))``. The line is
8-connected, has ``m + 1`` cells and holds both end cells.
"""
import numbers
from typing import Optional, Sequence

import numpy as np
import torch

from .grid import PatchGrid


def check_links(skeleton_links: Optional[Sequence[Sequence[int]]],
                num_keypoints: int) -> np.ndarray:
    """Validate skeleton links (pairs of keypoint indices).

    Args:
        skeleton_links: e.g. ``dataset_meta['skeleton_links']``.
        num_keypoints (int): Number of keypoints ``J``; indices must be in
            ``[0, J)``.

    Returns:
        np.ndarray: ``(L, 2)`` int64 links.
    """
    if skeleton_links is None:
        raise ValueError('skeleton_links are required for the skeleton '
                         'mode, got None')
    try:
        links = np.asarray(skeleton_links)
    except ValueError:  # ragged
        links = None
    if links is not None and links.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if links is not None and links.ndim == 2 and links.shape[1] == 2 \
            and links.dtype.kind in 'iu' and (links >= 0).all() \
            and (links < num_keypoints).all():
        return links.astype(np.int64)
    for link in skeleton_links:  # find the culprit for the message
        ok = (not isinstance(link, (str, bytes)) and hasattr(link, '__len__')
              and len(link) == 2)
        if ok:
            ok = all(
                not isinstance(k, (bool, np.bool_))
                and isinstance(k, numbers.Integral) and 0 <= k < num_keypoints
                for k in link)
        if not ok:
            break
    else:
        link = skeleton_links
    raise ValueError(
        f'each skeleton link must be a pair of keypoint indices in '
        f'[0, {num_keypoints}), got {link!r}')


def clip_links(grid: PatchGrid, kpts: torch.Tensor, confident: torch.Tensor,
               links: torch.Tensor):
    """The confident links clipped to the crop (Liang-Barsky).

    Args:
        kpts (torch.Tensor): ``(B, J, 2)`` float, finite where confident.
        confident (torch.Tensor): ``(B, J)`` bool.
        links (torch.Tensor): ``(L, 2)`` long links from :func:`check_links`.

    Returns:
        tuple[torch.Tensor, torch.Tensor]: ``(B, L, 2, 2)`` end points
        ``(x, y)`` in input pixels (0 where invalid) and ``(B, L)`` bool,
        whether the link is used (both ends confident, some of it in the
        crop).
    """
    a, b = kpts[:, links[:, 0]], kpts[:, links[:, 1]]
    delta = b - a  # overflow to inf drops the link below
    valid = confident[:, links[:, 0]] & confident[:, links[:, 1]] \
        & torch.isfinite(delta).all(-1)
    # Liang-Barsky clip to the crop [-0.5, w - 0.5] x [-0.5, h - 0.5]:
    # t in [t0, t1] of a + t * delta; an end inside the box is kept
    # bit-exactly (t0 == 0 or t1 == 1).
    p = torch.cat([-delta, delta], dim=-1)
    q = torch.cat([
        a + 0.5,
        torch.stack([(grid.width - 0.5) - a[..., 0],
                     (grid.height - 0.5) - a[..., 1]], dim=-1)
    ], dim=-1)
    parallel = p == 0
    miss = (parallel & (q < 0)).any(-1)
    ratio = q / torch.where(parallel, 1.0, p)
    # At most two of the four p are < 0 (> 0), so the fills 0 (1) bound t0
    # from below by 0 (t1 from above by 1).
    t0 = torch.where(p < 0, ratio, 0.0).amax(-1)
    t1 = torch.where(p > 0, ratio, 1.0).amin(-1)
    valid = valid & ~miss & (t0 <= t1)
    t = torch.stack([t0, t1], dim=-1)[..., None]  # (B, L, 2 ends, 1)
    ends = torch.where(
        torch.stack([t0 == 0, t1 == 1], dim=-1)[..., None],
        torch.stack([a, b], dim=-2), a[..., None, :] + t * delta[..., None, :])
    # Invalid links may hold inf/nan; park them at 0 before the int cast.
    return torch.where(valid[..., None, None], ends, 0.0), valid


def skeleton_cells(grid: PatchGrid, kpts: torch.Tensor,
                   confident: torch.Tensor, links: torch.Tensor):
    """Flat cells on the clipped Bresenham lines of the confident links.

    Args:
        kpts, confident, links: as :func:`clip_links`.

    Returns:
        torch.Tensor: ``(B, L * S)`` long flat cells (may repeat); ``N``
        marks unused slots.
    """
    return line_cells(grid, *clip_links(grid, kpts, confident, links))


def line_cells(grid: PatchGrid, ends: torch.Tensor, valid: torch.Tensor):
    """Flat cells on the Bresenham lines between clipped ``ends``
    ``(B, L, 2, 2)`` of the ``valid`` ``(B, L)`` links, as
    :func:`skeleton_cells`."""
    col, row = grid._pixel_to_cell_torch(torch.floor(ends + 0.5))
    cells = torch.stack([row, col], dim=-1)  # (B, L, 2 ends, (row, col))
    # The row-major smaller end is the start, so line(a, b) == line(b, a).
    swap = (row[..., 0] * grid.cols + col[..., 0]
            > row[..., 1] * grid.cols + col[..., 1])[..., None]
    start = torch.where(swap, cells[..., 1, :], cells[..., 0, :])
    d = (torch.where(swap, cells[..., 0, :], cells[..., 1, :]) -
         start)[..., None, :]  # (B, L, 1, 2)
    major = d.abs().amax(-1, keepdim=True)  # (B, L, 1, 1)
    steps = torch.arange(max(grid.rows, grid.cols), device=ends.device)
    steps = torch.minimum(steps[:, None], major)  # (B, L, S, 1)
    # Bresenham offset sign(d) * floor((2 i |d| + m) / (2 m)).
    offsets = torch.sign(d) * torch.div(2 * steps * d.abs() + major,
                                        2 * torch.clamp(major, min=1),
                                        rounding_mode='floor')
    line = start[..., None, :] + offsets  # (B, L, S, (row, col))
    flat = line[..., 0] * grid.cols + line[..., 1]
    return torch.where(valid[..., None], flat, grid.num_patches).flatten(1)
