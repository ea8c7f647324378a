"""Fixed-budget selection: rank every cell and keep exactly K of them.

A ViT batch needs the same number of tokens per sample, so budget mode ranks
all ``N`` cells by one total order and keeps the first ``K``:

0. keypoint cells of confident keypoints inside the crop, by descending
   score (the best score of the cell), then cell index;
1. the other cells of the unbudgeted selection (the ``n`` BFS neighbours,
   or the skeleton lines and their neighbours), then
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
import numbers

import numpy as np

from .grid import PatchGrid
from .tables import grid_tables


def validate_num_keep(grid: PatchGrid, num_keep: int) -> int:
    """Check ``1 <= num_keep <= grid.num_patches``; usable at config time."""
    if isinstance(num_keep, bool) or not isinstance(
            num_keep, numbers.Integral) \
            or not 1 <= num_keep <= grid.num_patches:
        raise ValueError(
            f'num_keep must be an int in [1, {grid.num_patches}] for the '
            f'{grid.rows}x{grid.cols} grid of input {grid.input_size} '
            f'({grid.num_patches} patches), got num_keep={num_keep!r}')
    return int(num_keep)


def centre_cells(grid: PatchGrid, num_keep: int) -> np.ndarray:
    """Sorted flat indices of the ``K`` cells nearest the grid centre."""
    num_keep = validate_num_keep(grid, num_keep)
    return np.sort(grid_tables(grid).centre_order[:num_keep])


def rank_cells(grid: PatchGrid, seeds: np.ndarray, selected: np.ndarray,
               kpt_cells: np.ndarray, kpt_scores: np.ndarray) -> np.ndarray:
    """Order of all ``N`` cells for budget mode (see module doc).

    Args:
        seeds (np.ndarray): ``(N,)`` bool, the distance sources; not empty.
        selected (np.ndarray): ``(N,)`` bool, the unbudgeted selection.
        kpt_cells (np.ndarray): ``(k,)`` int64 flat cells of the confident
            keypoints inside the crop.
        kpt_scores (np.ndarray): ``(k,)`` float, their scores.

    Returns:
        np.ndarray: ``(N,)`` int64, a permutation of the cells, best first.
    """
    n = grid.num_patches
    dist = grid_tables(grid).dist_key[seeds].min(0)
    best = np.full(n, -np.inf, dtype=kpt_scores.dtype)
    np.maximum.at(best, kpt_cells, kpt_scores)
    is_kpt = np.zeros(n, dtype=bool)
    is_kpt[kpt_cells] = True
    tier = np.where(is_kpt, 0, np.where(selected, 1, 2))
    neg_score = np.where(is_kpt, -best, np.zeros_like(best))
    dist = np.where(is_kpt, 0, dist)
    return np.lexsort((np.arange(n), dist, neg_score, tier))
