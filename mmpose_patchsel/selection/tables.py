"""Per-grid lookup tables shared by every selection mode (cached).

All orderings in this package use one cell-to-cell key: Manhattan distance
first (the BFS ring on the 4-connected grid, which on a full rectangle equals
the BFS depth), then Chebyshev distance (prefer the compact, diagonal cells of
a ring, so ``n=8`` gives the 3x3 square), then the flattened cell index.

Tables are ``(N, N)`` int32, i.e. ``8 N^2`` bytes: 0.3 MiB for 16x12,
1.5 MiB for 24x18.
"""
import functools
from typing import NamedTuple

import numpy as np
import torch

from .grid import PatchGrid


class GridTables(NamedTuple):
    """Read-only lookup tables of one grid.

    Attributes:
        dist_key (np.ndarray): ``(N, N)`` int32,
            ``manhattan * M + chebyshev`` with ``M = max(rows, cols)``; its
            order is the lexicographic (Manhattan, Chebyshev) order.
        rank (np.ndarray): ``(N, N)`` int32, ``rank[s, c]`` = position of
            cell ``c`` in the BFS order from ``s`` (0 for ``s`` itself).
        order (np.ndarray): ``(N, N)`` int64, BFS order from each cell,
            ``order[s, rank[s, c]] == c``.
        centre_order (np.ndarray): ``(N,)`` int64, cells sorted by the same
            key measured from the grid centre (fallback of budget mode).
    """

    dist_key: np.ndarray
    rank: np.ndarray
    order: np.ndarray
    centre_order: np.ndarray


def _key(drow: np.ndarray, dcol: np.ndarray, mult: int) -> np.ndarray:
    drow, dcol = np.abs(drow), np.abs(dcol)
    return (drow + dcol) * mult + np.maximum(drow, dcol)


@functools.lru_cache(maxsize=32)
def grid_tables(grid: PatchGrid) -> GridTables:
    """Lookup tables of ``grid`` (numpy, cached, read-only)."""
    rows, cols, n = grid.rows, grid.cols, grid.num_patches
    idx = np.arange(n, dtype=np.int64)
    row, col = idx // cols, idx % cols
    mult = max(rows, cols)
    dist_key = _key(row[:, None] - row[None], col[:, None] - col[None], mult)
    order = np.argsort(dist_key * n + idx[None], axis=1)
    rank = np.empty((n, n), dtype=np.int32)
    np.put_along_axis(rank,
                      order,
                      np.broadcast_to(idx.astype(np.int32), (n, n)),
                      axis=1)
    # Doubled coordinates keep the (possibly half-integer) centre exact.
    centre = _key(2 * row - (rows - 1), 2 * col - (cols - 1), 2 * mult)
    centre_order = np.argsort(centre * n + idx)
    tables = GridTables(dist_key.astype(np.int32), rank, order, centre_order)
    for table in tables:
        table.setflags(write=False)
    return tables


@functools.lru_cache(maxsize=32)
def grid_tables_torch(grid: PatchGrid, device: torch.device) -> GridTables:
    """:func:`grid_tables` as tensors on ``device`` (cached; do not edit)."""
    return GridTables(*(torch.from_numpy(t.copy()).to(device)
                        for t in grid_tables(grid)))
