"""Batched torch patch selection, identical to :func:`.select_patches`.

Everything runs vectorised on the device of the inputs (no host sync, no
python loop over the batch); results match the numpy reference bit for bit
for the same input dtypes. See :mod:`.select`, :mod:`.skeleton` and
:mod:`.budget` for the rules.
"""
from dataclasses import dataclass
from typing import Optional, Sequence

import torch

from .grid import PatchGrid
from .select import check_options
from .skeleton import check_links
from .tables import grid_tables_torch


@dataclass(frozen=True)
class BatchPatchSelection:
    """Selected patches of a batch.

    Attributes:
        masks (torch.Tensor): ``(B, N)`` bool.
        indices (torch.Tensor | None): ``(B, K)`` long, sorted per row, in
            budget mode; ``None`` without a budget (counts differ per row).
        fallback (torch.Tensor): ``(B,)`` bool, no-seed fallback used.
    """

    masks: torch.Tensor
    indices: Optional[torch.Tensor]
    fallback: torch.Tensor


def _line_offsets(delta, steps, major):
    denom = 2 * torch.clamp(major, min=1)
    return torch.sign(delta) * torch.div(
        2 * steps * delta.abs() + major, denom, rounding_mode='floor')


def _skeleton_cells(grid: PatchGrid, kpts: torch.Tensor,
                    confident: torch.Tensor, links: torch.Tensor):
    """``(B, L * S)`` flat line cells; ``N`` marks unused slots."""
    a, b = kpts[:, links[:, 0]], kpts[:, links[:, 1]]
    delta = b - a
    valid = confident[:, links[:, 0]] & confident[:, links[:, 1]] \
        & torch.isfinite(delta).all(-1)
    lo = kpts.new_full((2, ), -0.5)
    hi = kpts.new_tensor([grid.width - 0.5, grid.height - 0.5])
    # Liang-Barsky, written op for op like skeleton.clip_segments.
    p = torch.cat([-delta, delta], dim=-1)
    q = torch.cat([a - lo, hi - a], dim=-1)
    parallel = p == 0
    miss = (parallel & (q < 0)).any(-1)
    ratio = q / torch.where(parallel, torch.ones_like(p), p)
    t0 = torch.where(p < 0, ratio, torch.zeros_like(ratio)).amax(-1)
    t1 = torch.where(p > 0, ratio, torch.ones_like(ratio)).amin(-1)
    valid = valid & ~miss & (t0 <= t1)
    a, b = (torch.where((t0 == 0)[..., None], a, a + t0[..., None] * delta),
            torch.where((t1 == 1)[..., None], b, a + t1[..., None] * delta))
    # Invalid links may hold inf/nan; park them at 0 before the int cast.
    a = torch.where(valid[..., None], a, torch.zeros_like(a))
    b = torch.where(valid[..., None], b, torch.zeros_like(b))
    ca, ra = grid._pixel_to_cell_torch(torch.floor(a + 0.5))
    cb, rb = grid._pixel_to_cell_torch(torch.floor(b + 0.5))
    swap = (ra * grid.cols + ca) > (rb * grid.cols + cb)
    r0, c0 = torch.where(swap, rb, ra), torch.where(swap, cb, ca)
    r1, c1 = torch.where(swap, ra, rb), torch.where(swap, ca, cb)
    dr, dc = (r1 - r0)[..., None], (c1 - c0)[..., None]
    major = torch.maximum(dr.abs(), dc.abs())
    steps = torch.arange(max(grid.rows, grid.cols), device=kpts.device)
    steps = torch.minimum(steps, major)
    rows = r0[..., None] + _line_offsets(dr, steps, major)
    cols = c0[..., None] + _line_offsets(dc, steps, major)
    flat = torch.where(valid[..., None], rows * grid.cols + cols,
                       torch.full_like(rows, grid.num_patches))
    return flat.flatten(1)


def _seed_distance(grid: PatchGrid, seeds: torch.Tensor) -> torch.Tensor:
    """``(B, N)`` min over seed cells of the key ``M * L1 + Linf``.

    Equals ``tables.dist_key[seeds].min(0)`` per row, computed separably in
    ``O(B * N * max(rows, cols))``: the key grows with the column offset
    for any row offset, so per seed row only the nearest seed column counts.
    """
    rows, cols, mult = grid.rows, grid.cols, max(grid.rows, grid.cols)
    device = seeds.device
    seeds = seeds.view(seeds.shape[0], rows, cols)
    # int32 throughout: int64 min-reductions are ~10x slower on CPU.
    col = torch.arange(cols, dtype=torch.int32, device=device)
    row = torch.arange(rows, dtype=torch.int32, device=device)
    dcol = (col[:, None] - col[None]).abs()
    drow = (row[:, None] - row[None]).abs()[None, :, :, None]
    # Nearest seed column in every row; 4 * mult stands for "none", larger
    # than any real key once put through the formula below.
    near = dcol.expand(*seeds.shape, cols).masked_fill(~seeds[:, :, None, :],
                                                       4 * mult).amin(-1)
    near = near[:, None]  # (B, 1, rows', cols) against drow (1, r, r', 1)
    # One buffer, updated in place: on CPU fresh multi-MB temporaries cost
    # more than the arithmetic.
    key = torch.maximum(drow, near).add_(drow, alpha=mult)
    key.add_(near, alpha=mult)
    return key.amin(2).flatten(1)


def _check_tensors(keypoints, scores):
    if not isinstance(keypoints, torch.Tensor):
        raise TypeError(
            f'keypoints must be a torch.Tensor, got {type(keypoints)}')
    if keypoints.dim() != 3 or keypoints.shape[-1] != 2:
        raise ValueError(f'keypoints must have shape (B, J, 2), got '
                         f'{tuple(keypoints.shape)}')
    kpts = keypoints if keypoints.is_floating_point() else keypoints.float()
    if scores is None:
        scores = kpts.new_ones(kpts.shape[:2])
    if not isinstance(scores, torch.Tensor):
        raise TypeError(f'scores must be a torch.Tensor or None, got '
                        f'{type(scores)}')
    if tuple(scores.shape) != tuple(kpts.shape[:2]):
        raise ValueError(f'scores must have shape {tuple(kpts.shape[:2])} to '
                         f'match keypoints {tuple(kpts.shape)}, got '
                         f'{tuple(scores.shape)}')
    if scores.device != kpts.device:
        raise ValueError(f'scores are on {scores.device} but keypoints on '
                         f'{kpts.device}')
    if not scores.is_floating_point():
        scores = scores.float()
    return kpts, scores


def select_patches_batched(
        grid: PatchGrid,
        keypoints: torch.Tensor,
        scores: Optional[torch.Tensor] = None,
        *,
        mode: str = 'neighbour',
        num_neighbours: int = 0,
        score_thr: float = 0.3,
        skeleton_links: Optional[Sequence[Sequence[int]]] = None,
        num_keep: Optional[int] = None) -> BatchPatchSelection:
    """Batched :func:`.select_patches` on the device of ``keypoints``.

    Args:
        keypoints (torch.Tensor): ``(B, J, 2)`` keypoints in input pixels.
        scores (torch.Tensor, optional): ``(B, J)``; ``None`` = all ones.
        Others: as :func:`.select_patches`.

    Returns:
        BatchPatchSelection: ``masks (B, N)``; ``indices (B, K)`` in budget
        mode.
    """
    num_neighbours, score_thr, num_keep = check_options(
        grid, mode, num_neighbours, score_thr, num_keep)
    kpts, scores = _check_tensors(keypoints, scores)
    batch, num_kpts = kpts.shape[:2]
    links = check_links(skeleton_links, num_kpts) \
        if mode == 'skeleton' else None
    device, n = kpts.device, grid.num_patches
    tables = grid_tables_torch(grid, device)

    finite = torch.isfinite(kpts).all(-1)
    kpts = torch.where(finite[..., None], kpts, torch.zeros_like(kpts))
    thr = torch.tensor(score_thr, dtype=scores.dtype, device=device)
    confident = finite & (scores >= thr)
    pix = torch.floor(kpts + 0.5)
    hi = pix.new_tensor([grid.width - 1, grid.height - 1])
    inside = confident & ((pix >= 0) & (pix <= hi)).all(-1)
    col, row = grid._pixel_to_cell_torch(pix)
    kpt_cells = torch.where(inside, row * grid.cols + col,
                            torch.full_like(row, n))  # n = unused slot

    slots = kpt_cells
    if links is not None and len(links):
        links = torch.from_numpy(links).to(device)
        slots = torch.cat(
            [slots, _skeleton_cells(grid, kpts, confident, links)], dim=1)
    seeds = torch.zeros(batch, n + 1, dtype=torch.bool, device=device)
    seeds = seeds.scatter_(1, slots, True)[:, :n]
    fallback = ~seeds.any(1)

    if num_neighbours == 0:
        selected = seeds
    else:
        near = (tables.rank <= num_neighbours).to(torch.float32)
        selected = (seeds.to(torch.float32) @ near) > 0

    if num_keep is None:
        masks = selected | fallback[:, None]
        return BatchPatchSelection(masks, None, fallback)

    dist = _seed_distance(grid, seeds)
    # One integer sort key per cell (ties by cell index through the stable
    # sort): tier 0 = keypoint cells by their best keypoint's rank under
    # (-score, cell); tiers 1 and 2 by distance.
    by_cell = kpt_cells.sort(dim=1, stable=True)[1]
    neg = torch.where(inside, -scores, torch.zeros_like(scores))
    by_score = torch.gather(neg, 1, by_cell).sort(dim=1, stable=True)[1]
    kpt_order = torch.gather(by_cell, 1, by_score)
    kpt_rank = torch.empty_like(kpt_order).scatter_(
        1, kpt_order,
        torch.arange(num_kpts, device=device).expand_as(kpt_order))
    cell_rank = torch.full((batch, n + 1),
                           num_kpts,
                           dtype=torch.long,
                           device=device)
    cell_rank = cell_rank.scatter_reduce_(1, kpt_cells, kpt_rank,
                                          'amin')[:, :n].int()
    span = 2 * max(grid.rows, grid.cols)**2 + 1  # > any dist key
    key = torch.where(selected, num_kpts, num_kpts + span) + dist
    key = torch.where(cell_rank < num_kpts, cell_rank, key)
    order = key.sort(dim=1, stable=True)[1]
    indices = order[:, :num_keep].sort(dim=1)[0]
    centre = tables.centre_order[:num_keep].sort()[0]
    indices = torch.where(fallback[:, None], centre, indices)
    masks = torch.zeros(batch, n, dtype=torch.bool, device=device)
    masks = masks.scatter_(1, indices, True)
    return BatchPatchSelection(masks, indices, fallback)
