"""Bresenham lines, segment clipping and skeleton-mode selection.

Lines and clipping are checked on the numpy reference, which
``test_batched.py`` proves equal to the package.
"""
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmpose_patchsel.selection import (PatchGrid, check_links,
                                       neighbour_cells, select_patches)
from test_selection.reference_selection import bresenham_line, clip_segments

cells = st.tuples(st.integers(-30, 30), st.integers(-30, 30))


def dense_cells(start, end, num=2000):
    """Cells (closed boxes) hit by dense samples of the centre segment."""
    (r0, c0), (r1, c1) = start, end
    t = np.linspace(0.0, 1.0, num)
    # Also sample exactly at every integer step of both axes.
    m = max(abs(r1 - r0), abs(c1 - c0), 1)
    t = np.union1d(t, np.arange(m + 1) / m)
    rs, cs = r0 + t * (r1 - r0), c0 + t * (c1 - c0)
    hit = set()
    eps = 1e-9
    for r, c in zip(rs, cs):
        for rr in {int(np.floor(r + 0.5 - eps)), int(np.floor(r + 0.5 + eps))}:
            for cc in {
                    int(np.floor(c + 0.5 - eps)),
                    int(np.floor(c + 0.5 + eps))
            }:
                hit.add((rr, cc))
    return hit


@settings(max_examples=300, deadline=None)
@given(start=cells, end=cells)
def test_bresenham_against_exact_line(start, end):
    line = bresenham_line(start, end)
    (r0, c0), (r1, c1) = start, end
    m = max(abs(r1 - r0), abs(c1 - c0))
    assert line.shape == (m + 1, 2) and line.dtype == np.int64
    assert tuple(line[0]) == start and tuple(line[-1]) == end
    steps = np.abs(np.diff(line, axis=0))
    assert (steps.max(1, initial=1) == 1).all()  # 8-connected, no repeats
    assert len({tuple(p) for p in line.tolist()}) == m + 1
    # Each cell is the exact line rounded along the minor axis; ties go
    # away from the row-major smaller end point.
    first = min(start, end)
    for i, (r, c) in enumerate(line.tolist()):
        t = Fraction(i, m) if m else Fraction(0)
        exact_r, exact_c = r0 + t * (r1 - r0), c0 + t * (c1 - c0)
        assert abs(r - exact_r) <= Fraction(1, 2)
        assert abs(c - exact_c) <= Fraction(1, 2)
        assert r == exact_r or c == exact_c  # major axis is exact
        for got, exact, lo in ((r, exact_r, first[0]), (c, exact_c, first[1])):
            if abs(got - exact) == Fraction(1, 2):
                assert abs(got - lo) > abs(exact - lo)
    # Dense sampling between the end cell centres: every line cell is
    # crossed by the segment, and every crossed cell is at most one step
    # (8-neighbourhood) from the line.  The reverse inclusion does NOT hold
    # for Bresenham's thin line, see test_supercover_is_not_bresenham.
    hit = dense_cells(start, end)
    assert {tuple(p) for p in line.tolist()} <= hit
    pts = line.tolist()
    for r, c in hit:
        assert min(max(abs(r - pr), abs(c - pc)) for pr, pc in pts) <= 1


@settings(max_examples=100, deadline=None)
@given(start=cells, end=cells)
def test_bresenham_is_direction_independent(start, end):
    forward = bresenham_line(start, end)
    backward = bresenham_line(end, start)
    assert forward.tolist() == backward[::-1].tolist()


def test_supercover_is_not_bresenham():
    # The segment between centres (0,0) and (1,2) passes exactly through
    # the corner shared by (0,1) and (1,1): the supercover holds both, the
    # 8-connected Bresenham line only one (here (1,1): the tie is rounded
    # away from the start).
    line = bresenham_line((0, 0), (1, 2)).tolist()
    assert line == [[0, 0], [1, 1], [1, 2]]
    assert {(0, 1), (1, 1)} <= dense_cells((0, 0), (1, 2))


def test_bresenham_known_lines():
    assert bresenham_line((0, 0), (0, 0)).tolist() == [[0, 0]]
    assert bresenham_line((2, 1), (2, 4)).tolist() == [[2, 1], [2, 2], [2, 3],
                                                       [2, 4]]
    assert bresenham_line((0, 0), (3, 3)).tolist() == [[0, 0], [1, 1], [2, 2],
                                                       [3, 3]]
    assert bresenham_line((0, 0), (1, 4)).tolist() == [[0, 0], [0, 1], [1, 2],
                                                       [1, 3], [1, 4]]


BOX_LO = np.array([-0.5, -0.5])
BOX_HI = np.array([191.5, 255.5])
coords = st.floats(-400, 600, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(x0=coords, y0=coords, x1=coords, y1=coords)
def test_clip_segments_against_dense_samples(x0, y0, x1, y1):
    p0, p1 = np.array([[x0, y0]]), np.array([[x1, y1]])
    q0, q1, hit = clip_segments(p0, p1, BOX_LO, BOX_HI)
    t = np.linspace(0, 1, 4001)[:, None]
    pts = p0 + t * (p1 - p0)
    inside = ((pts >= BOX_LO) & (pts <= BOX_HI)).all(1)
    if inside.any():
        # A dense sample inside the box implies a hit; the clipped segment
        # spans all inside samples.
        assert hit[0]
    if not hit[0]:
        return
    tol = 1e-6 * (1 + np.abs(p1 - p0).max())
    for q in (q0[0], q1[0]):
        assert ((q >= BOX_LO - tol) & (q <= BOX_HI + tol)).all()
        # On the original segment.
        d = p1[0] - p0[0]
        cross = d[0] * (q[1] - y0) - d[1] * (q[0] - x0)
        assert abs(cross) <= tol * (1 + np.abs(d).max())
    if inside.any():
        d = p1[0] - p0[0]
        axis = int(np.abs(d).argmax())
        ts = (pts[inside, axis] - p0[0, axis]) / d[axis] if d[axis] else [0]
        t0 = (q0[0, axis] - p0[0, axis]) / d[axis] if d[axis] else 0
        t1 = (q1[0, axis] - p0[0, axis]) / d[axis] if d[axis] else 0
        assert t0 - 1e-6 <= np.min(ts) and np.max(ts) <= t1 + 1e-6
    # End points inside the box come back unchanged.
    for p, q in ((p0, q0), (p1, q1)):
        if ((p >= BOX_LO) & (p <= BOX_HI)).all():
            assert (p == q).all()


def _cell(grid, x, y):
    row, col = grid.point_to_cell([x, y])
    return int(row), int(col)


def _line_set(grid, a, b):
    return {r * grid.cols + c for r, c in bresenham_line(a, b).tolist()}


def test_skeleton_selection_inside(coco_skeleton):
    grid = PatchGrid((192, 256))
    rng = np.random.default_rng(1)
    for _ in range(20):
        kpts = rng.uniform([0, 0], [191, 255], (17, 2))
        scores = rng.uniform(0, 1, 17)
        sel = select_patches(grid,
                             kpts,
                             scores,
                             mode='skeleton',
                             skeleton_links=coco_skeleton,
                             score_thr=0.4)
        expect = set()
        ok = scores >= 0.4
        for j in np.flatnonzero(ok):
            r, c = _cell(grid, *kpts[j])
            expect.add(r * grid.cols + c)
        for i, j in coco_skeleton:
            if ok[i] and ok[j]:
                expect |= _line_set(grid, _cell(grid, *kpts[i]),
                                    _cell(grid, *kpts[j]))
        if expect:
            assert set(sel.indices.tolist()) == expect
        # Widening: the union of the BFS neighbourhoods of those cells.
        wide = select_patches(grid,
                              kpts,
                              scores,
                              mode='skeleton',
                              skeleton_links=coco_skeleton,
                              score_thr=0.4,
                              num_neighbours=4)
        expect4 = set()
        for cell in expect:
            expect4 |= set(neighbour_cells(grid, cell, 4).tolist())
        if expect:
            assert set(wide.indices.tolist()) == expect4


def test_skeleton_one_end_outside():
    grid = PatchGrid((192, 256))
    kpts = np.array([[100.0, 100.0], [300.0, 100.0]])
    sel = select_patches(grid, kpts, mode='skeleton', skeleton_links=[(0, 1)])
    # Row floor(102 / 16) = 6, columns from floor(102 / 16) = 6 to the
    # border; no cell for the outside keypoint itself.
    assert sel.indices.tolist() == [6 * 12 + c for c in range(6, 12)]
    assert not sel.fallback


def test_skeleton_diagonal_exit():
    grid = PatchGrid((192, 256))
    kpts = np.array([[96.0, 128.0], [496.0, 528.0]])
    sel = select_patches(grid, kpts, mode='skeleton', skeleton_links=[(1, 0)])
    # Clipped at x = 191.5, y = 223.5 -> pixel (192, 224) -> cell (14, 11).
    assert set(sel.indices.tolist()) == _line_set(grid, (8, 6), (14, 11))


def test_skeleton_both_ends_outside():
    grid = PatchGrid((192, 256))
    kpts = np.array([[-50.0, 100.0], [300.0, 100.0], [500.0, 500.0]])
    sel = select_patches(grid,
                         kpts,
                         mode='skeleton',
                         skeleton_links=[(0, 1), (1, 2)])
    # The crossing limb gives row 6; the limb (1, 2) misses the crop.
    assert sel.indices.tolist() == list(range(72, 84))
    assert not sel.fallback
    # The same keypoints in neighbour mode: nothing inside -> fallback.
    neigh = select_patches(grid, kpts, mode='neighbour')
    assert neigh.fallback and neigh.mask.all()


def test_skeleton_missing_the_crop_falls_back():
    grid = PatchGrid((192, 256))
    kpts = np.array([[-100.0, -100.0], [-50.0, 300.0]])
    sel = select_patches(grid, kpts, mode='skeleton', skeleton_links=[(0, 1)])
    assert sel.fallback and sel.mask.all()


def test_skeleton_needs_confident_and_finite_ends():
    grid = PatchGrid((192, 256))
    kpts = np.array([[10.0, 10.0], [180.0, 10.0], [np.nan, 10.0]])
    low = select_patches(grid,
                         kpts, [1.0, 0.1, 1.0],
                         mode='skeleton',
                         skeleton_links=[(0, 1), (0, 2)])
    assert low.indices.tolist() == [0]  # only keypoint 0's own cell
    huge = np.array([[10.0, 10.0], [1e308, 10.0]])
    sel = select_patches(grid, huge, mode='skeleton', skeleton_links=[(0, 1)])
    assert sel.indices.tolist() == list(range(12))
    over = np.array([[-1.7e308, 10.0], [1.7e308, 10.0]])  # dx overflows
    sel = select_patches(grid, over, mode='skeleton', skeleton_links=[(0, 1)])
    assert sel.fallback


@pytest.mark.parametrize('links,words', [
    (None, ['required', 'None']),
    ([(0, 17)], ['[0, 17)', '(0, 17)']),
    ([(0, -1)], ['(0, -1)']),
    ([(0, 1, 2)], ['(0, 1, 2)']),
    ([(0, 1.0)], ['(0, 1.0)']),
    ([(0, 1), (3, )], ['(3,)']),
])
def test_bad_links(links, words):
    grid = PatchGrid((192, 256))
    with pytest.raises(ValueError) as info:
        select_patches(grid,
                       np.zeros((17, 2)),
                       mode='skeleton',
                       skeleton_links=links)
    for word in words:
        assert word in str(info.value)


def test_check_links(coco_skeleton):
    links = check_links(coco_skeleton, 17)
    assert links.shape == (19, 2) and links.dtype == np.int64
    assert links.tolist() == [list(p) for p in coco_skeleton]
    assert check_links([], 17).shape == (0, 2)
