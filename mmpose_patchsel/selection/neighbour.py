"""Neighbour patches (paper method 1): a cell and its n nearest cells.

"Nearest" is breadth-first search over the 4-connected grid: cells come in
Manhattan rings around the source. Within a ring, ties are broken by the
smaller Chebyshev distance, then by the smaller flattened cell index
(row-major). So on an interior cell ``n=4`` is the plus, ``n=8`` the 3x3
square and ``n=12`` the radius-2 diamond; near the border the search simply
goes on to the next ring, so a cell always gets ``min(n, N - 1)`` neighbours.
"""
import numbers

import numpy as np

from .grid import PatchGrid
from .tables import grid_tables


def check_num_neighbours(num_neighbours: int) -> int:
    """Validate ``num_neighbours`` (an int >= 0) and return it as int."""
    if isinstance(num_neighbours, bool) or not isinstance(
            num_neighbours, numbers.Integral) or num_neighbours < 0:
        raise ValueError(
            f'num_neighbours must be an int >= 0, got {num_neighbours!r}')
    return int(num_neighbours)


def neighbour_cells(grid: PatchGrid, cell: int,
                    num_neighbours: int) -> np.ndarray:
    """Flat indices of ``cell`` and its ``n`` nearest cells, in BFS order.

    Returns an int64 array of ``min(n + 1, N)`` indices starting with
    ``cell`` itself.
    """
    num_neighbours = check_num_neighbours(num_neighbours)
    if isinstance(cell, bool) or not isinstance(cell, numbers.Integral) \
            or not 0 <= cell < grid.num_patches:
        raise ValueError(f'cell must be an int in [0, {grid.num_patches}), '
                         f'got {cell!r}')
    return grid_tables(grid).order[cell, :num_neighbours + 1].copy()


def dilate_cells(grid: PatchGrid, seeds: np.ndarray,
                 num_neighbours: int) -> np.ndarray:
    """Union of the ``n``-neighbourhoods of ``seeds`` as an ``(N,)`` mask.

    Args:
        seeds (np.ndarray): Flat int indices of the seed cells.
    """
    num_neighbours = check_num_neighbours(num_neighbours)
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    if num_neighbours == 0 or seeds.size == 0:
        mask = np.zeros(grid.num_patches, dtype=bool)
        mask[seeds] = True
        return mask
    return (grid_tables(grid).rank[seeds] <= num_neighbours).any(0)
