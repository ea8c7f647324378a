"""Fixed-budget selection, fallbacks and option errors."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmpose_patchsel.selection import (PatchGrid, centre_cells, select_patches,
                                       validate_num_keep)
from test_selection.reference_selection import bresenham_line

GRIDS = [
    PatchGrid((192, 256)),
    PatchGrid((288, 384)),
    PatchGrid((190, 250)),
    PatchGrid((80, 48))
]


@st.composite
def person(draw, grid, max_kpts=17):
    num = draw(st.integers(0, max_kpts))
    coord = st.one_of(
        st.floats(-60,
                  max(grid.width, grid.height) + 60),
        st.sampled_from([
            -0.5, -0.51, 0.0, 7.5, 13.5, grid.width - 0.5, grid.height - 0.5,
            grid.width - 0.51
        ]))
    kpts = draw(st.lists(st.tuples(coord, coord), min_size=num, max_size=num))
    score = st.one_of(st.floats(0, 1), st.sampled_from([0.5, 1.0, 0.0]))
    scores = draw(st.lists(score, min_size=num, max_size=num))
    return (np.asarray(kpts, dtype=np.float64).reshape(num, 2),
            np.asarray(scores, dtype=np.float64).reshape(num))


def reference_budget(grid, kpts, scores, thr, seeds_extra, selected, k):
    """Budget order written out with python tuples, independent of tables.

    seeds = confident keypoint cells inside the crop + ``seeds_extra``.
    """
    cols = grid.cols
    best = {}
    for (x, y), s in zip(kpts.tolist(), scores.tolist()):
        px, py = np.floor(x + 0.5), np.floor(y + 0.5)
        if s >= thr and 0 <= px < grid.width and 0 <= py < grid.height:
            cell = min(int(py + 2) // 16, grid.rows - 1) * cols + min(
                int(px + 2) // 16, cols - 1)
            best[cell] = max(best.get(cell, -np.inf), s)
    seeds = set(best) | set(seeds_extra)
    if not seeds:
        return None

    def dist(cell):
        r, c = divmod(cell, cols)
        return min((abs(r - sr) + abs(c - sc), max(abs(r - sr), abs(c - sc)))
                   for sr, sc in (divmod(s, cols) for s in seeds))

    def key(cell):
        if cell in best:
            return (0, -best[cell], (0, 0), cell)
        return (1 if cell in selected else 2, 0, dist(cell), cell)

    return sorted(sorted(range(grid.num_patches), key=key)[:k])


@settings(max_examples=120, deadline=None)
@given(grid=st.sampled_from(GRIDS), data=st.data(), n=st.integers(0, 14))
def test_budget_neighbour_matches_reference(grid, data, n):
    kpts, scores = data.draw(person(grid))
    k = data.draw(st.integers(1, grid.num_patches))
    plain = select_patches(grid, kpts, scores, num_neighbours=n)
    sel = select_patches(grid, kpts, scores, num_neighbours=n, num_keep=k)
    ref = reference_budget(grid, kpts, scores, 0.3, (),
                           set(plain.indices.tolist()), k)
    if ref is None:
        assert sel.fallback
        ref = centre_cells(grid, k).tolist()
    assert sel.indices.tolist() == ref


@settings(max_examples=80, deadline=None)
@given(data=st.data(), n=st.integers(0, 6))
def test_budget_skeleton_matches_reference(coco_skeleton, data, n):
    grid = PatchGrid((192, 256))
    # Keypoints inside the crop so the lines are plain Bresenham lines
    # between keypoint cells.
    kpts = np.asarray(
        data.draw(
            st.lists(st.tuples(st.floats(-0.5, 191.4), st.floats(-0.5, 255.4)),
                     min_size=17,
                     max_size=17)))
    scores = np.asarray(
        data.draw(st.lists(st.floats(0, 1), min_size=17, max_size=17)))
    k = data.draw(st.integers(1, grid.num_patches))
    ok = scores >= 0.3
    lines = set()
    for i, j in coco_skeleton:
        if ok[i] and ok[j]:
            (ri, ci), (rj, cj) = ((int(v) for v in grid.point_to_cell(kpts[m]))
                                  for m in (i, j))
            lines |= {
                r * 12 + c
                for r, c in bresenham_line((ri, ci), (rj, cj)).tolist()
            }
    kw = dict(mode='skeleton', skeleton_links=coco_skeleton, num_neighbours=n)
    plain = select_patches(grid, kpts, scores, **kw)
    sel = select_patches(grid, kpts, scores, num_keep=k, **kw)
    ref = reference_budget(grid, kpts, scores, 0.3, lines,
                           set(plain.indices.tolist()), k)
    if ref is None:
        ref = centre_cells(grid, k).tolist()
    assert sel.indices.tolist() == ref


@settings(max_examples=150, deadline=None)
@given(grid=st.sampled_from(GRIDS),
       data=st.data(),
       mode=st.sampled_from(['neighbour', 'skeleton']),
       n=st.integers(0, 10))
def test_budget_properties(coco_skeleton, grid, data, mode, n):
    kpts, scores = data.draw(person(grid))
    k = data.draw(st.integers(1, grid.num_patches))
    links = [(i, j) for i, j in coco_skeleton
             if i < len(kpts) and j < len(kpts)]
    kw = dict(mode=mode, num_neighbours=n, skeleton_links=links)
    plain = select_patches(grid, kpts, scores, **kw)
    sel = select_patches(grid, kpts, scores, num_keep=k, **kw)
    again = select_patches(grid, kpts.copy(), scores.copy(), num_keep=k, **kw)
    # Exactly K unique sorted indices, consistent with the mask.
    assert sel.indices.shape == (k, ) and sel.indices.dtype == np.int64
    assert (np.diff(sel.indices) > 0).all()
    assert sel.mask.sum() == k and sel.mask[sel.indices].all()
    # Deterministic.
    assert (again.indices == sel.indices).all()
    assert sel.fallback == plain.fallback
    if plain.fallback:
        return
    # Keypoint cells first: all in when K >= their number.
    ok = (scores >= 0.3) & grid.contains(kpts)
    row, col = grid.point_to_cell(kpts[ok])
    kcells = set((row * grid.cols + col).tolist())
    if k >= len(kcells):
        assert kcells <= set(sel.indices.tolist())
    # Nested with the unbudgeted selection.
    if k >= len(plain.indices):
        assert plain.mask[~sel.mask].sum() == 0
    else:
        assert (plain.mask | ~sel.mask).all()


@settings(max_examples=80, deadline=None)
@given(grid=st.sampled_from(GRIDS),
       data=st.data(),
       n=st.integers(0, 10),
       budget=st.booleans())
def test_keypoint_order_does_not_matter(grid, data, n, budget):
    kpts, scores = data.draw(person(grid))
    perm = data.draw(st.permutations(range(len(kpts))))
    k = grid.num_patches // 3 if budget else None
    a = select_patches(grid, kpts, scores, num_neighbours=n, num_keep=k)
    b = select_patches(grid,
                       kpts[list(perm)],
                       scores[list(perm)],
                       num_neighbours=n,
                       num_keep=k)
    assert (a.indices == b.indices).all()


def test_budget_prefers_high_scores():
    grid = PatchGrid((192, 256))
    kpts = np.array([[8.0, 8.0], [180.0, 240.0], [100.0, 100.0]])
    sel = select_patches(grid, kpts, [0.5, 0.9, 0.7], num_keep=2)
    # Cells 191 (score 0.9) and 6 * 12 + 6 = 78 (0.7) beat cell 0 (0.5).
    assert sel.indices.tolist() == [78, 191]
    sel = select_patches(grid, kpts, [0.5, 0.9, 0.7], num_keep=4)
    # Then the nearest non-keypoint cell: (0,1), (1,0) are at distance 1
    # from cell 0 but so are neighbours of 78 and 191; index 1 wins.
    assert sel.indices.tolist() == [0, 1, 78, 191]


def test_budget_single_keypoint_square():
    grid = PatchGrid((192, 256))
    kpts = np.array([[88.0, 120.0]])  # cell (7, 5)
    sel = select_patches(grid, kpts, num_keep=9)
    rows, cols = np.divmod(sel.indices, 12)
    assert set(zip(rows.tolist(), cols.tolist())) == {(r, c)
                                                      for r in (6, 7, 8)
                                                      for c in (4, 5, 6)}


def test_fallback_unbudgeted_keeps_all():
    grid = PatchGrid((192, 256))
    kpts = np.array([[50.0, 50.0], [-10.0, 5.0], [np.nan, 3.0]])
    sel = select_patches(grid, kpts, [0.1, 1.0, 1.0], num_neighbours=4)
    assert sel.fallback and sel.mask.all()
    assert sel.indices.tolist() == list(range(192))
    empty = select_patches(grid, np.zeros((0, 2)), np.zeros(0))
    assert empty.fallback and empty.mask.all()


def test_fallback_budget_is_centre():
    grid = PatchGrid((192, 256))  # 16 x 12, centre between rows 7, 8 and
    # columns 5, 6.
    sel = select_patches(grid, np.zeros((0, 2)), np.zeros(0), num_keep=4)
    assert sel.fallback
    assert sel.indices.tolist() == [
        7 * 12 + 5, 7 * 12 + 6, 8 * 12 + 5, 8 * 12 + 6
    ]
    one = select_patches(grid, np.zeros((0, 2)), np.zeros(0), num_keep=1)
    assert one.indices.tolist() == [89]  # tie among the 4 -> lowest index
    odd = PatchGrid((80, 48))  # 3 x 5: a true centre cell (1, 2)
    sel = select_patches(odd, np.full((2, 2), -99.0), num_keep=5)
    assert sel.indices.tolist() == [2, 6, 7, 8, 12]


def test_centre_cells_reference():
    for grid in GRIDS:
        rows, cols = grid.rows, grid.cols

        def key(cell):
            r, c = divmod(cell, cols)
            dr, dc = abs(2 * r - (rows - 1)), abs(2 * c - (cols - 1))
            return dr + dc, max(dr, dc), cell

        order = sorted(range(grid.num_patches), key=key)
        for k in (1, 2, 5, 14, grid.num_patches):
            assert centre_cells(grid, k).tolist() == sorted(order[:k])


@pytest.mark.parametrize('k,exc', [(0, ValueError), (-3, ValueError),
                                   (193, ValueError), (1000, ValueError),
                                   (2.0, TypeError), (True, TypeError),
                                   (None, TypeError), ('8', TypeError)])
def test_validate_num_keep_errors(k, exc):
    grid = PatchGrid((192, 256))
    with pytest.raises(exc) as info:
        validate_num_keep(grid, k)
    msg = str(info.value)
    assert f'num_keep={k!r}' in msg and '192' in msg and '16x12' in msg
    if k is not None:
        with pytest.raises(exc, match='num_keep'):
            select_patches(grid, np.zeros((1, 2)), num_keep=k)


def test_validate_num_keep_ok():
    grid = PatchGrid((288, 384))
    assert validate_num_keep(grid, 432) == 432
    assert validate_num_keep(grid, np.int64(1)) == 1


@pytest.mark.parametrize('kwargs,exc,words', [
    (dict(mode='neighbor'), ValueError, ["'neighbor'", 'neighbour']),
    (dict(score_thr=float('nan')), ValueError, ['score_thr', 'nan']),
    (dict(score_thr='0.3'), TypeError, ['score_thr', "'0.3'"]),
    (dict(mode='skeleton', skeleton_link=[]), TypeError, ['skeleton_link']),
    (dict(keypoints=np.zeros((17, 3))), ValueError, ['(J, 2)', '(17, 3)']),
    (dict(keypoints=np.zeros(34)), ValueError, ['(J, 2)', '(34,)']),
    (dict(scores=np.ones(16)), ValueError, ['(17,)', '(16,)']),
    (dict(scores=np.ones((1, 17))), ValueError, ['(17,)', '(1, 17)']),
])
def test_select_errors(kwargs, exc, words):
    grid = PatchGrid((192, 256))
    args = dict(keypoints=np.zeros((17, 2)), scores=np.ones(17))
    args.update(kwargs)
    keypoints, scores = args.pop('keypoints'), args.pop('scores')
    with pytest.raises(exc) as info:
        select_patches(grid, keypoints, scores, **args)
    for word in words:
        assert word in str(info.value)


def test_select_rejects_non_grid():
    with pytest.raises(TypeError, match='PatchGrid'):
        select_patches((192, 256), np.zeros((1, 2)))


def test_outside_keypoints_get_no_cell():
    grid = PatchGrid((192, 256))
    kpts = np.array([[100.0, 100.0], [-0.51, 100.0], [191.5, 100.0],
                     [100.0, 255.5], [-0.5, 255.49]])
    sel = select_patches(grid, kpts)
    # Kept: (100, 100) -> (6, 6) and (-0.5, 255.49) -> pixel (0, 255) ->
    # the last row (255 is past the last window) -> (15, 0).
    assert sel.indices.tolist() == [78, 180]


def test_integer_inputs_and_none_scores():
    grid = PatchGrid((192, 256))
    a = select_patches(grid, np.array([[100, 100]]), np.array([1]))
    b = select_patches(grid, np.array([[100.0, 100.0]]), None)
    assert a.indices.tolist() == b.indices.tolist() == [78]
    # Visibility 0 drops the keypoint.
    c = select_patches(grid, np.array([[100, 100], [10, 10]]), [1, 0])
    assert c.indices.tolist() == [78]
