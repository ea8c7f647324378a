"""Numpy reference of the selection rules, for the tests only.

An independent per-person implementation of the rules the package
implements once in torch (``mmpose_patchsel.selection``): the property and
brute-force tests check these functions, and ``test_reference.py`` checks
that the package equals them over random cases. Options are not validated
here (the package does that).
"""
import functools
from typing import NamedTuple, Tuple

import numpy as np

# -- point -> cell ---------------------------------------------------------


def pixel_to_cell(grid, pix: np.ndarray):
    """(col, row) int64 from finite float pixel indices ``(..., 2)``."""
    hi = np.asarray([grid.cols - 1, grid.rows - 1], dtype=pix.dtype)
    cell = np.floor((pix + grid.padding) / grid.patch_size)
    cell = np.minimum(np.maximum(cell, 0), hi).astype(np.int64)
    return cell[..., 0], cell[..., 1]


# -- tables: (Manhattan, Chebyshev, index) order ---------------------------


class Tables(NamedTuple):
    dist_key: np.ndarray  # (N, N) manhattan * M + chebyshev
    rank: np.ndarray  # (N, N) position of c in the BFS order from s
    order: np.ndarray  # (N, N) BFS order from each cell
    centre_order: np.ndarray  # (N,) cells by the key from the grid centre


def _key(drow, dcol, mult):
    drow, dcol = np.abs(drow), np.abs(dcol)
    return (drow + dcol) * mult + np.maximum(drow, dcol)


@functools.lru_cache(maxsize=32)
def tables(grid) -> Tables:
    rows, cols, n = grid.rows, grid.cols, grid.num_patches
    idx = np.arange(n, dtype=np.int64)
    row, col = idx // cols, idx % cols
    mult = max(rows, cols)
    dist_key = _key(row[:, None] - row[None], col[:, None] - col[None], mult)
    order = np.argsort(dist_key * n + idx[None], axis=1)
    rank = np.empty((n, n), dtype=np.int64)
    np.put_along_axis(rank, order, np.broadcast_to(idx, (n, n)), axis=1)
    centre = _key(2 * row - (rows - 1), 2 * col - (cols - 1), 2 * mult)
    return Tables(dist_key, rank, order, np.argsort(centre * n + idx))


# -- neighbour -------------------------------------------------------------


def neighbour_cells(grid, cell: int, num_neighbours: int) -> np.ndarray:
    return tables(grid).order[cell, :num_neighbours + 1].copy()


def dilate_cells(grid, seeds, num_neighbours: int) -> np.ndarray:
    seeds = np.asarray(seeds, dtype=np.int64).reshape(-1)
    if num_neighbours == 0 or seeds.size == 0:
        mask = np.zeros(grid.num_patches, dtype=bool)
        mask[seeds] = True
        return mask
    return (tables(grid).rank[seeds] <= num_neighbours).any(0)


# -- skeleton --------------------------------------------------------------


def line_offsets(delta, steps, major):
    denom = 2 * np.maximum(major, 1)
    return np.sign(delta) * ((2 * steps * np.abs(delta) + major) // denom)


def bresenham_line(start: Tuple[int, int], end: Tuple[int, int]) -> np.ndarray:
    """Cells ``(row, col)`` from ``start`` to ``end``, ``(m + 1, 2)``."""
    (r0, c0), (r1, c1) = (tuple(int(v) for v in p) for p in (start, end))
    swap = (r0, c0) > (r1, c1)
    if swap:
        r0, c0, r1, c1 = r1, c1, r0, c0
    major = max(abs(r1 - r0), abs(c1 - c0))
    steps = np.arange(major + 1, dtype=np.int64)
    rows = r0 + line_offsets(np.int64(r1 - r0), steps, np.int64(major))
    cols = c0 + line_offsets(np.int64(c1 - c0), steps, np.int64(major))
    line = np.stack([rows, cols], axis=-1)
    return line[::-1].copy() if swap else line


def clip_segments(p0, p1, lo, hi):
    """Liang-Barsky clip of segments ``p0 -> p1`` ``(L, 2)`` to a box."""
    with np.errstate(over='ignore', invalid='ignore'):
        delta = p1 - p0
        p = np.concatenate([-delta, delta], axis=-1)
        q = np.concatenate([p0 - lo, hi - p0], axis=-1)
        parallel = p == 0
        miss = (parallel & (q < 0)).any(-1)
        ratio = q / np.where(parallel, np.ones_like(p), p)
        t0 = np.where(p < 0, ratio, np.zeros_like(ratio)).max(-1)
        t1 = np.where(p > 0, ratio, np.ones_like(ratio)).min(-1)
        hit = ~miss & (t0 <= t1)
        q0 = np.where((t0 == 0)[..., None], p0, p0 + t0[..., None] * delta)
        q1 = np.where((t1 == 1)[..., None], p1, p0 + t1[..., None] * delta)
    return q0, q1, hit


def clipped_links(grid, keypoints, confident, links):
    """End points ``(M, 2)`` of the used links, clipped to the crop."""
    links = np.asarray(links, dtype=np.int64).reshape(-1, 2)
    a, b = keypoints[links[:, 0]], keypoints[links[:, 1]]
    with np.errstate(over='ignore', invalid='ignore'):
        delta = b - a
    valid = confident[links[:, 0]] & confident[links[:, 1]] \
        & np.isfinite(delta).all(-1)
    lo = np.full(2, -0.5, dtype=keypoints.dtype)
    hi = np.asarray([grid.width - 0.5, grid.height - 0.5],
                    dtype=keypoints.dtype)
    a, b, hit = clip_segments(a[valid], b[valid], lo, hi)
    return a[hit], b[hit]


def skeleton_cells(grid, keypoints, confident, links) -> np.ndarray:
    a, b = clipped_links(grid, keypoints, confident, links)
    if not len(a):
        return np.zeros(0, dtype=np.int64)
    ca, ra = pixel_to_cell(grid, np.floor(a + 0.5))
    cb, rb = pixel_to_cell(grid, np.floor(b + 0.5))
    cells = [
        bresenham_line((r0, c0), (r1, c1))
        for r0, c0, r1, c1 in zip(ra, ca, rb, cb)
    ]
    cells = np.concatenate(cells)
    return cells[:, 0] * grid.cols + cells[:, 1]


# -- reach (resolution-aware radii) ----------------------------------------


def near_segment(grid, a, b, radius_px) -> np.ndarray:
    """``(N,)`` cells whose centre is within ``radius_px`` of ``a -> b``,
    in the dtype of ``a`` (the same arithmetic as the package)."""
    dtype = a.dtype
    offset = (grid.patch_size - 1) / 2 - grid.padding
    xs = np.arange(grid.cols, dtype=dtype) * grid.patch_size + offset
    ys = np.arange(grid.rows, dtype=dtype) * grid.patch_size + offset
    rel_x, rel_y = np.meshgrid(xs - a[0], ys - a[1])
    d = b - a
    # Ends clipped from keypoints near 3e38 may lie far off; their inf/nan
    # distances compare False, in torch as here.
    with np.errstate(over='ignore', invalid='ignore'):
        length2 = d[0]**2 + d[1]**2
        denom = length2 if length2 > 0 else np.ones((), dtype)
        t = (rel_x * d[0] + rel_y * d[1]) / denom
        t = np.clip(t, 0, 1)
        dist2 = (rel_x - t * d[0])**2 + (rel_y - t * d[1])**2
        return (dist2 <= np.asarray(radius_px, dtype)**2).ravel()


def radii(mode, neighbour_radius, limb_radius):
    """Either radius defaults to the other in skeleton mode."""
    if mode != 'skeleton':
        return neighbour_radius or 0.0, 0.0
    if neighbour_radius is None:
        neighbour_radius = limb_radius
    if limb_radius is None:
        limb_radius = neighbour_radius
    return neighbour_radius or 0.0, limb_radius or 0.0


# -- budget ----------------------------------------------------------------


def centre_cells(grid, num_keep: int) -> np.ndarray:
    return np.sort(tables(grid).centre_order[:num_keep])


def rank_cells(grid, seeds, selected, kpt_cells, kpt_scores) -> np.ndarray:
    """Order of all cells: keypoint cells by score, then the rest of the
    unbudgeted selection, then the others, both by seed distance."""
    n = grid.num_patches
    dist = tables(grid).dist_key[seeds].min(0)
    best = np.full(n, -np.inf, dtype=kpt_scores.dtype)
    np.maximum.at(best, kpt_cells, kpt_scores)
    is_kpt = np.zeros(n, dtype=bool)
    is_kpt[kpt_cells] = True
    tier = np.where(is_kpt, 0, np.where(selected, 1, 2))
    neg_score = np.where(is_kpt, -best, np.zeros_like(best))
    dist = np.where(is_kpt, 0, dist)
    return np.lexsort((np.arange(n), dist, neg_score, tier))


# -- selection -------------------------------------------------------------


class Selection(NamedTuple):
    mask: np.ndarray
    indices: np.ndarray
    fallback: bool


def select(grid,
           keypoints,
           scores=None,
           mode='neighbour',
           num_neighbours=0,
           score_thr=0.3,
           skeleton_links=None,
           num_keep=None,
           neighbour_radius=None,
           limb_radius=None):
    """The selection of one person, as ``select_patches`` documents it."""
    kpts = np.asarray(keypoints)
    if not np.issubdtype(kpts.dtype, np.floating):
        kpts = kpts.astype(np.float64)
    scores = np.ones(len(kpts), kpts.dtype) if scores is None \
        else np.asarray(scores)
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    n = grid.num_patches
    finite = np.isfinite(kpts).all(-1)
    kpts = np.where(finite[:, None], kpts, np.zeros_like(kpts))
    confident = finite & (scores >= np.asarray(score_thr, scores.dtype))
    pix = np.floor(kpts + 0.5)
    hi = np.asarray([grid.width - 1, grid.height - 1], dtype=pix.dtype)
    inside = confident & ((pix >= 0) & (pix <= hi)).all(-1)
    col, row = pixel_to_cell(grid, pix[inside])
    kpt_cells = row * grid.cols + col

    seeds = np.zeros(n, dtype=bool)
    seeds[kpt_cells] = True
    if mode == 'skeleton' and len(skeleton_links):
        seeds[skeleton_cells(grid, kpts, confident, skeleton_links)] = True
    fallback = not seeds.any()
    if neighbour_radius is None and limb_radius is None:
        selected = dilate_cells(grid, np.flatnonzero(seeds), num_neighbours)
    else:
        r_kpt, r_limb = radii(mode, neighbour_radius, limb_radius)
        selected = seeds.copy()
        for point in kpts[inside] if r_kpt > 0 else ():
            selected |= near_segment(grid, point, point, r_kpt * grid.height)
        if mode == 'skeleton' and len(skeleton_links) and r_limb > 0:
            limbs = clipped_links(grid, kpts, confident, skeleton_links)
            for a, b in zip(*limbs):
                selected |= near_segment(grid, a, b, r_limb * grid.height)

    if num_keep is None:
        mask = np.ones(n, dtype=bool) if fallback else selected
        return Selection(mask, np.flatnonzero(mask), fallback)
    if fallback:
        indices = centre_cells(grid, num_keep)
    else:
        order = rank_cells(grid, seeds, selected, kpt_cells, scores[inside])
        indices = np.sort(order[:num_keep])
    mask = np.zeros(n, dtype=bool)
    mask[indices] = True
    return Selection(mask, indices, fallback)
