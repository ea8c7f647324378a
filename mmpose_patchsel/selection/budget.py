"""Fixed-budget selection: rank every cell and keep exactly K of them.

A ViT batch needs the same number of tokens per sample, so budget mode ranks
all ``N`` cells by one total order and keeps the first ``K``:

0. keypoint cells of confident keypoints inside the crop, by descending
   score (the best score of the cell), then cell index;
1. the other cells of the unbudgeted selection (the ``n`` BFS neighbours,
   or the skeleton lines and their neighbours, or the cells within the
   radii of :mod:`.reach`), then
2. all remaining cells;

tiers 1 and 2 each by distance to the nearest seed cell (keypoint cells in
neighbour mode, keypoint and skeleton-line cells in skeleton mode) under the
key of :mod:`.tables` (Manhattan, then Chebyshev), then cell index. With
``n = 0`` in neighbour mode tier 1 is empty, which is plain "keypoint cells
first, then by BFS distance". The result is nested: the budget selection
contains the unbudgeted one when ``K`` is at least its size and lies inside
it otherwise.

Without any seed cell the K cells nearest the grid centre are kept.
"""
import torch

from .grid import PatchGrid
from .options import validate_num_keep
from .tables import grid_tables


def seed_distance(grid: PatchGrid, seeds: torch.Tensor) -> torch.Tensor:
    """``(B, N)`` min over the seed cells of the key ``M * L1 + Linf``.

    The key of :mod:`.tables` from the nearest seed, computed separably in
    ``O(B * N * max(rows, cols))``: the key grows with the column offset for
    any row offset, so per seed row only the nearest seed column counts.
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


def keypoint_ranks(kpt_cells: torch.Tensor,
                   scores: torch.Tensor) -> torch.Tensor:
    """``(B, J)`` rank of every keypoint under (-score, cell, index).

    Counted pairwise (``O(J^2)``, no sort), so the order is the same on
    every device and in an exported ONNX graph.
    """
    s_other, s_self = scores[:, None, :], scores[:, :, None]
    c_other, c_self = kpt_cells[:, None, :], kpt_cells[:, :, None]
    num_kpts = kpt_cells.shape[1]
    index = torch.arange(num_kpts, device=kpt_cells.device)
    first = (s_other > s_self) | (s_other == s_self) & (
        (c_other < c_self) | (c_other == c_self) & (index < index[:, None]))
    return first.sum(-1)


def budget_indices(grid: PatchGrid, num_keep: int, seeds: torch.Tensor,
                   selected: torch.Tensor, kpt_cells: torch.Tensor,
                   inside: torch.Tensor, scores: torch.Tensor,
                   fallback: torch.Tensor) -> torch.Tensor:
    """``(B, K)`` sorted kept cells in budget mode (see module doc).

    Args:
        seeds, selected (torch.Tensor): ``(B, N)`` bool distance sources and
            the unbudgeted selection.
        kpt_cells (torch.Tensor): ``(B, J)`` long keypoint cells, ``N`` for
            keypoints that give none; ``inside`` ``(B, J)`` marks the others.
        scores (torch.Tensor): ``(B, J)`` float.
        fallback (torch.Tensor): ``(B,)`` bool, rows without any seed.
    """
    batch, num_kpts = kpt_cells.shape
    n, device = grid.num_patches, kpt_cells.device
    dist = seed_distance(grid, seeds)
    # Tier 0 = keypoint cells, by their best keypoint's rank under
    # (-score, cell, keypoint index); a cell's rank is its best keypoint's.
    kpt_rank = keypoint_ranks(kpt_cells, torch.where(inside, scores, 0.0))
    cell_rank = torch.full((batch, n + 1),
                           num_kpts,
                           dtype=torch.long,
                           device=device)
    cell_rank = cell_rank.scatter_reduce_(1, kpt_cells, kpt_rank,
                                          'amin')[:, :n]
    span = 2 * max(grid.rows, grid.cols)**2 + 1  # > any dist key
    key = torch.where(selected, num_kpts, num_kpts + span) + dist.long()
    key = torch.where(cell_rank < num_kpts, cell_rank, key)
    # Ties go to the smaller cell index: with the index folded into the key
    # every key is distinct, so no stable sort is needed (ONNX has none).
    key = key * n + torch.arange(n, device=device)
    kept = key.topk(num_keep, dim=1, largest=False, sorted=False)[1]
    indices = kept.sort(dim=1)[0]
    centre = centre_cells(grid, num_keep, device)
    return torch.where(fallback[:, None], centre, indices)


def centre_cells(grid: PatchGrid, num_keep: int,
                 device=torch.device('cpu')) -> torch.Tensor:
    """Sorted flat indices of the ``K`` cells nearest the grid centre."""
    num_keep = validate_num_keep(grid, num_keep)
    return grid_tables(grid, device).centre_order[:num_keep].sort()[0]
