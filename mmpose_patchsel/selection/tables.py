"""Per-grid lookup tables shared by every selection mode (cached).

All orderings in this package use one cell-to-cell key: Manhattan distance
first (the BFS ring on the 4-connected grid, which on a full rectangle equals
the BFS depth), then Chebyshev distance (prefer the compact, diagonal cells of
a ring, so ``n=8`` gives the 3x3 square), then the flattened cell index.

Tables are ``(N, N)``: 4 bytes an entry for ``rank``, 8 for ``order``
(0.4 MiB for 16x12, 2 MiB for 24x18).
"""
import functools
from collections import OrderedDict
from typing import Callable, NamedTuple

import torch

from .grid import PatchGrid


def tensor_cache(maxsize: int) -> Callable:
    """``functools.lru_cache`` for functions that build tensors, safe under
    tracing: while torch traces (``torch.export``, ONNX export, compile) a
    miss is computed but not stored, since what it builds then are fake
    tensors that must not outlive the trace. A hit returns the real tensors,
    which the trace records as constants."""

    def wrap(fn: Callable) -> Callable:
        cache: OrderedDict = OrderedDict()

        @functools.wraps(fn)
        def cached(*args):
            if args in cache:
                cache.move_to_end(args)
                return cache[args]
            value = fn(*args)
            if not torch.compiler.is_compiling():
                cache[args] = value
                if len(cache) > maxsize:
                    cache.popitem(last=False)
            return value

        cached.cache_clear = cache.clear
        return cached

    return wrap


class GridTables(NamedTuple):
    """Read-only lookup tables of one grid, on one device.

    Attributes:
        rank (torch.Tensor): ``(N, N)`` int32, ``rank[s, c]`` = position of
            cell ``c`` in the BFS order from ``s`` (0 for ``s`` itself).
        order (torch.Tensor): ``(N, N)`` int64, BFS order from each cell,
            ``order[s, rank[s, c]] == c``.
        centre_order (torch.Tensor): ``(N,)`` int64, cells sorted by the same
            key measured from the grid centre (fallback of budget mode).
    """

    rank: torch.Tensor
    order: torch.Tensor
    centre_order: torch.Tensor


def distance_key(drow: torch.Tensor, dcol: torch.Tensor,
                 mult: int) -> torch.Tensor:
    """``manhattan * mult + chebyshev``; with ``mult >= max(|d|)`` its order
    is the lexicographic (Manhattan, Chebyshev) order."""
    drow, dcol = drow.abs(), dcol.abs()
    return (drow + dcol) * mult + torch.maximum(drow, dcol)


@tensor_cache(maxsize=32)
def grid_tables(grid: PatchGrid, device=torch.device('cpu')) -> GridTables:
    """Lookup tables of ``grid`` on ``device`` (cached; do not edit)."""
    rows, cols, n = grid.rows, grid.cols, grid.num_patches
    idx = torch.arange(n, dtype=torch.int64)
    row, col = idx // cols, idx % cols
    mult = max(rows, cols)
    key = distance_key(row[:, None] - row[None], col[:, None] - col[None],
                       mult)
    order = torch.argsort(key * n + idx[None], dim=1)
    rank = torch.empty((n, n), dtype=torch.int32).scatter_(
        1, order,
        idx.to(torch.int32).expand(n, n).contiguous())
    # Doubled coordinates keep the (possibly half-integer) centre exact.
    centre = distance_key(2 * row - (rows - 1), 2 * col - (cols - 1), 2 * mult)
    centre_order = torch.argsort(centre * n + idx)
    return GridTables(*(t.to(device) for t in (rank, order, centre_order)))
