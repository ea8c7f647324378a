"""BFS neighbour cells against brute-force references."""
import collections

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import test_selection.reference_selection as reference
from mmpose_patchsel.selection import (PatchGrid, neighbour_cells,
                                       select_patches)

GRIDS = [
    PatchGrid((192, 256)),
    PatchGrid((288, 384)),
    PatchGrid((80, 48)),
    PatchGrid((12, 100))
]


def bfs_depth(rows: int, cols: int, source: int) -> np.ndarray:
    """Depth of every cell in a queue BFS over the 4-connected grid."""
    depth = np.full(rows * cols, -1)
    depth[source] = 0
    queue = collections.deque([source])
    while queue:
        cell = queue.popleft()
        r, c = divmod(cell, cols)
        for rr, cc in ((r - 1, c), (r, c - 1), (r, c + 1), (r + 1, c)):
            if 0 <= rr < rows and 0 <= cc < cols:
                nxt = rr * cols + cc
                if depth[nxt] < 0:
                    depth[nxt] = depth[cell] + 1
                    queue.append(nxt)
    return depth


def reference_order(rows: int, cols: int, source: int) -> list:
    """All cells sorted by (BFS depth, Chebyshev distance, index)."""
    depth = bfs_depth(rows, cols, source)
    r0, c0 = divmod(source, cols)

    def key(cell):
        r, c = divmod(cell, cols)
        return depth[cell], max(abs(r - r0), abs(c - c0)), cell

    return sorted(range(rows * cols), key=key)


@pytest.mark.parametrize('grid', GRIDS, ids=str)
def test_neighbour_cells_match_brute_force(grid):
    rng = np.random.default_rng(0)
    sources = list(range(grid.cols)) + [grid.num_patches - 1] + list(
        rng.integers(0, grid.num_patches, 12))
    for source in sources:
        ref = reference_order(grid.rows, grid.cols, int(source))
        for n in (0, 1, 3, 4, 7, 8, 12, 16, 20, 24, 50, grid.num_patches - 1,
                  grid.num_patches + 5):
            got = neighbour_cells(grid, int(source), n)
            assert got.tolist() == ref[:n + 1], (source, n)


def test_bfs_depth_is_manhattan():
    # The documented "BFS ring == Manhattan ring" on a full rectangle.
    rows, cols = 7, 5
    for source in range(rows * cols):
        r0, c0 = divmod(source, cols)
        idx = np.arange(rows * cols)
        man = np.abs(idx // cols - r0) + np.abs(idx % cols - c0)
        assert (bfs_depth(rows, cols, source) == man).all()


def _shape(grid, cell, n):
    r0, c0 = divmod(cell, grid.cols)
    return sorted((int(c) // grid.cols - r0, int(c) % grid.cols - c0)
                  for c in neighbour_cells(grid, cell, n))


def test_interior_shapes():
    grid = PatchGrid((192, 256))
    cell = 7 * grid.cols + 5
    plus = [(-1, 0), (0, -1), (0, 0), (0, 1), (1, 0)]
    square = [(dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)]
    diamond = sorted((dr, dc) for dr in range(-2, 3) for dc in range(-2, 3)
                     if abs(dr) + abs(dc) <= 2)
    assert _shape(grid, cell, 4) == plus
    assert _shape(grid, cell, 8) == square
    assert _shape(grid, cell, 12) == diamond


def test_corner_goes_to_next_ring():
    grid = PatchGrid((192, 256))
    got = neighbour_cells(grid, 0, 4)
    # Ring 1 has only 2 cells at the corner: (0,1), (1,0); then ring 2 by
    # Chebyshev: (1,1) first, then (0,2) before (2,0) by index.
    assert got.tolist() == [0, 1, 12, 13, 2]


@pytest.mark.parametrize('bad,exc', [(-1, ValueError), (1.5, TypeError),
                                     (None, TypeError), (True, TypeError),
                                     ('4', TypeError)])
def test_bad_num_neighbours(bad, exc):
    grid = PatchGrid((192, 256))
    with pytest.raises(exc, match='num_neighbours.*' + repr(bad)):
        neighbour_cells(grid, 0, bad)
    with pytest.raises(exc, match='num_neighbours'):
        select_patches(grid, np.zeros((1, 2)), num_neighbours=bad)


@pytest.mark.parametrize('bad,exc', [(-1, ValueError), (192, ValueError),
                                     (2.0, TypeError)])
def test_bad_cell(bad, exc):
    with pytest.raises(exc, match=r'cell.*\[0, 191\].*' + str(bad)):
        neighbour_cells(PatchGrid((192, 256)), bad, 4)


@settings(max_examples=150, deadline=None)
@given(
    grid=st.sampled_from(GRIDS),
    data=st.data(),
    n=st.integers(0, 30),
)
def test_neighbour_selection_is_union_of_bfs_sets(grid, data, n):
    num = data.draw(st.integers(0, 17))
    kpts = np.asarray(
        data.draw(
            st.lists(st.tuples(st.floats(-40, grid.width + 40),
                               st.floats(-40, grid.height + 40)),
                     min_size=num,
                     max_size=num))).reshape(num, 2)
    scores = np.asarray(
        data.draw(st.lists(st.floats(0, 1), min_size=num,
                           max_size=num))).reshape(num)
    sel = select_patches(grid, kpts, scores, num_neighbours=n, score_thr=0.5)
    expect = set()
    for (x, y), s in zip(kpts, scores):
        px, py = np.floor(x + 0.5), np.floor(y + 0.5)
        if s < 0.5 or not (0 <= px < grid.width and 0 <= py < grid.height):
            continue
        r = min(int(py + 2) // 16, grid.rows - 1)
        c = min(int(px + 2) // 16, grid.cols - 1)
        expect |= set(
            reference_order(grid.rows, grid.cols, r * grid.cols + c)[:n + 1])
    if not expect:
        assert sel.fallback and sel.mask.all()
    else:
        assert not sel.fallback
        assert set(sel.indices.tolist()) == expect
    assert (np.flatnonzero(sel.mask) == sel.indices).all()
    assert sel.indices.dtype == np.int64


def test_dilation_of_corner_cells():
    grid = PatchGrid((192, 256))
    sel = select_patches(grid, [[0.0, 0.0], [190.0, 254.0]],
                         num_neighbours=2)
    assert sel.indices.tolist() == [0, 1, 12, 179, 190, 191]


def test_reference_neighbour_cells_equal_the_package():
    for grid in GRIDS:
        for cell in (0, grid.num_patches // 2, grid.num_patches - 1):
            for n in (0, 4, 8, grid.num_patches):
                assert neighbour_cells(grid, cell, n).tolist() == \
                    reference.neighbour_cells(grid, cell, n).tolist()
