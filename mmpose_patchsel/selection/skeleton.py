"""Skeleton patches (paper method 2): the cells along each confident limb.

A link ``(i, j)`` is used when both keypoints are confident and finite. The
segment between them is first clipped to the crop ``[-0.5, w - 0.5] x
[-0.5, h - 0.5]`` in pixel space (Liang-Barsky), so the visible part of a
limb is kept even when one or both ends are outside; a segment that misses
the crop gives nothing. The clipped end points are mapped to cells and the
cells in between are rasterised with Bresenham's line in cell space.

Bresenham rule: the end points are ordered row-major first (the smaller
``(row, col)`` is the start), so ``line(a, b) == line(b, a)``. With
``m = max(|drow|, |dcol|)``, step ``i`` in ``0..m`` moves ``i`` cells along
each axis scaled by ``|d| / m`` and rounded half up (away from the start):
``offset = sign(d) * floor((2 i |d| + m) / (2 m))``. The line is
8-connected, has ``m + 1`` cells and holds both end cells.
"""
import numbers
from typing import Optional, Sequence, Tuple

import numpy as np

from .grid import PatchGrid


def check_links(skeleton_links: Optional[Sequence[Sequence[int]]],
                num_keypoints: int) -> np.ndarray:
    """Validate skeleton links (pairs of keypoint indices).

    Args:
        skeleton_links: e.g. ``dataset_meta['skeleton_links']``.
        num_keypoints (int): Number of keypoints ``J``; indices must be in
            ``[0, J)``.

    Returns:
        np.ndarray: ``(L, 2)`` int64 links.
    """
    if skeleton_links is None:
        raise ValueError('skeleton_links are required for the skeleton '
                         'mode, got None')
    try:
        links = np.asarray(skeleton_links)
    except ValueError:  # ragged
        links = None
    if links is not None and links.size == 0:
        return np.zeros((0, 2), dtype=np.int64)
    if links is not None and links.ndim == 2 and links.shape[1] == 2 \
            and links.dtype.kind in 'iu' and (links >= 0).all() \
            and (links < num_keypoints).all():
        return links.astype(np.int64)
    for link in skeleton_links:  # find the culprit for the message
        ok = (not isinstance(link, (str, bytes)) and hasattr(link, '__len__')
              and len(link) == 2)
        if ok:
            ok = all(
                not isinstance(k, (bool, np.bool_))
                and isinstance(k, numbers.Integral) and 0 <= k < num_keypoints
                for k in link)
        if not ok:
            break
    else:
        link = skeleton_links
    raise ValueError(
        f'each skeleton link must be a pair of keypoint indices in '
        f'[0, {num_keypoints}), got {link!r}')


def line_offsets(delta: np.ndarray, steps: np.ndarray,
                 major: np.ndarray) -> np.ndarray:
    """Bresenham offset ``sign(d) * floor((2 i |d| + m) / (2 m))``."""
    denom = 2 * np.maximum(major, 1)
    return np.sign(delta) * ((2 * steps * np.abs(delta) + major) // denom)


def bresenham_line(start: Tuple[int, int], end: Tuple[int, int]) -> np.ndarray:
    """Cells ``(row, col)`` of the line from ``start`` to ``end``.

    Returns an ``(m + 1, 2)`` int64 array ordered from ``start`` to ``end``;
    the set of cells does not depend on the direction (see module doc).
    """
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


def clip_segments(p0: np.ndarray, p1: np.ndarray, lo: np.ndarray,
                  hi: np.ndarray):
    """Liang-Barsky clip of segments ``p0 -> p1`` ``(L, 2)`` to a box.

    Returns ``(q0, q1, hit)``: the clipped end points (an end inside the box
    is returned bit-exactly) and whether the segment meets the box.
    """
    # Overflows (+-inf ratios, points of missed segments) are harmless.
    with np.errstate(over='ignore', invalid='ignore'):
        delta = p1 - p0
        p = np.concatenate([-delta, delta], axis=-1)
        q = np.concatenate([p0 - lo, hi - p0], axis=-1)
        parallel = p == 0
        miss = (parallel & (q < 0)).any(-1)
        ratio = q / np.where(parallel, np.ones_like(p), p)
        # At most two of the four p are < 0 (> 0), so the fills 0 (1) bound
        # t0 from below by 0 (t1 from above by 1).
        t0 = np.where(p < 0, ratio, np.zeros_like(ratio)).max(-1)
        t1 = np.where(p > 0, ratio, np.ones_like(ratio)).min(-1)
        hit = ~miss & (t0 <= t1)
        q0 = np.where((t0 == 0)[..., None], p0, p0 + t0[..., None] * delta)
        q1 = np.where((t1 == 1)[..., None], p1, p0 + t1[..., None] * delta)
    return q0, q1, hit


def skeleton_cells(grid: PatchGrid, keypoints: np.ndarray,
                   confident: np.ndarray, links: np.ndarray) -> np.ndarray:
    """Flat cells on the clipped Bresenham lines of the confident links.

    Args:
        keypoints (np.ndarray): ``(J, 2)`` float, finite where confident.
        confident (np.ndarray): ``(J,)`` bool.
        links (np.ndarray): ``(L, 2)`` links from :func:`check_links`.

    Returns:
        np.ndarray: int64 flat indices (may repeat).
    """
    a, b = keypoints[links[:, 0]], keypoints[links[:, 1]]
    with np.errstate(over='ignore', invalid='ignore'):
        delta = b - a  # overflow to inf drops the link below
    valid = confident[links[:, 0]] & confident[links[:, 1]] \
        & np.isfinite(delta).all(-1)
    lo = np.full(2, -0.5, dtype=keypoints.dtype)
    hi = np.asarray([grid.width - 0.5, grid.height - 0.5],
                    dtype=keypoints.dtype)
    a, b, hit = clip_segments(a[valid], b[valid], lo, hi)
    if not hit.any():
        return np.zeros(0, dtype=np.int64)
    a, b = a[hit], b[hit]
    ca, ra = grid._pixel_to_cell_np(np.floor(a + 0.5))
    cb, rb = grid._pixel_to_cell_np(np.floor(b + 0.5))
    swap = (ra * grid.cols + ca) > (rb * grid.cols + cb)
    r0, c0 = np.where(swap, rb, ra), np.where(swap, cb, ca)
    r1, c1 = np.where(swap, ra, rb), np.where(swap, ca, cb)
    dr, dc = (r1 - r0)[:, None], (c1 - c0)[:, None]
    major = np.maximum(np.abs(dr), np.abs(dc))
    steps = np.minimum(np.arange(max(grid.rows, grid.cols)), major)
    rows = r0[:, None] + line_offsets(dr, steps, major)
    cols = c0[:, None] + line_offsets(dc, steps, major)
    return (rows * grid.cols + cols).reshape(-1)
