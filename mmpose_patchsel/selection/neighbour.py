"""Neighbour patches (paper method 1): a cell and its n nearest cells.

"Nearest" is breadth-first search over the 4-connected grid: cells come in
Manhattan rings around the source. Within a ring, ties are broken by the
smaller Chebyshev distance, then by the smaller flattened cell index
(row-major). So on an interior cell ``n=4`` is the plus, ``n=8`` the 3x3
square and ``n=12`` the radius-2 diamond; near the border the search simply
goes on to the next ring, so a cell always gets ``min(n, N - 1)`` neighbours.
"""
import numpy as np
import torch

from ..utils.validation import check_int
from .grid import PatchGrid
from .tables import grid_tables, tensor_cache


def neighbour_cells(grid: PatchGrid, cell: int,
                    num_neighbours: int) -> np.ndarray:
    """Flat indices of ``cell`` and its ``n`` nearest cells, in BFS order.

    Returns an int64 array of ``min(n + 1, N)`` indices starting with
    ``cell`` itself.
    """
    num_neighbours = check_int('num_neighbours', num_neighbours, minimum=0)
    cell = check_int('cell', cell, 0, grid.num_patches - 1)
    return grid_tables(grid).order[cell, :num_neighbours + 1].numpy().copy()


@tensor_cache(maxsize=32)
def _near(grid: PatchGrid, num_neighbours: int,
          device: torch.device) -> torch.Tensor:
    """``(N, N)`` float32, 1 where ``c`` is among the ``n`` nearest of ``s``
    (cached; do not edit)."""
    rank = grid_tables(grid, device).rank
    return (rank <= num_neighbours).to(torch.float32)


def dilate(grid: PatchGrid, seeds: torch.Tensor,
           num_neighbours: int) -> torch.Tensor:
    """``(B, N)`` bool union of the ``n``-neighbourhoods of the ``seeds``
    ``(B, N)`` bool cells."""
    if num_neighbours == 0:
        return seeds
    near = _near(grid, num_neighbours, seeds.device)
    return (seeds.to(torch.float32) @ near) > 0
