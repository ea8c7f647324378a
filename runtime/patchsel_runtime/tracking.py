"""Box geometry and box-to-track matching for the tracker, in numpy.

Ports of mmpose-patchsel's ``mmpose_patchsel.apis.tracking``: a track's box
comes from its confident keypoints, and boxes are matched to tracks by IoU
with an optimal assignment. The assignment is a small Hungarian algorithm
here, in place of ``scipy.optimize.linear_sum_assignment``, so the runtime
needs no scipy.
"""
from typing import List, Tuple

import numpy as np

__all__ = [
    'box_from_keypoints', 'bbox_iou', 'match_boxes', 'linear_sum_assignment'
]

#: a pair below the IoU threshold costs this much, so it is only chosen
#: where no valid pair is left (and is dropped then).
_INVALID_COST = 1e6


def box_from_keypoints(keypoints: np.ndarray, scores: np.ndarray,
                       kpt_thr: float, padding: float,
                       fallback: np.ndarray) -> np.ndarray:
    """The ``(4,)`` float32 xyxy box of the finite keypoints scored above
    ``kpt_thr``, scaled by ``padding`` about its centre; ``fallback`` with
    fewer than two of them or when they span no area. Mirrors
    ``mmpose_patchsel.apis.tracking.box_from_keypoints``, except that the
    PyTorch one keeps a box of zero width or height, which is no box to the
    runtime's checks."""
    keypoints = np.asarray(keypoints, np.float64)
    ok = (np.asarray(scores) > kpt_thr) & np.isfinite(keypoints).all(1)
    points = keypoints[ok]
    if len(points) >= 2:
        lo, hi = points.min(0), points.max(0)
        if (hi > lo).all():
            centre, half = (lo + hi) / 2, (hi - lo) * padding / 2
            return np.concatenate([centre - half,
                                   centre + half]).astype(np.float32)
    return np.array(fallback, np.float32).reshape(4)


def bbox_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU matrix ``(N, M)`` of xyxy boxes ``(N, 4)`` and ``(M, 4)``; 0
    where the union is empty. Mirrors ``mmpose_patchsel.apis.tracking
    .bbox_iou``."""
    a = np.asarray(boxes_a, np.float64).reshape(-1, 4)
    b = np.asarray(boxes_b, np.float64).reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(bottom_right - top_left, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def linear_sum_assignment(cost: np.ndarray) -> List[Tuple[int, int]]:
    """``(row, col)`` pairs of least total cost, one per row or column
    (whichever are fewer), sorted by row: the Hungarian algorithm with
    potentials, O(n^2 m)."""
    cost = np.asarray(cost, np.float64)
    if cost.size == 0:
        return []
    if cost.shape[0] > cost.shape[1]:
        return sorted((r, c) for c, r in linear_sum_assignment(cost.T))
    n, m = cost.shape
    u, v = np.zeros(n + 1), np.zeros(m + 1)
    row_of = np.zeros(m + 1, int)  # column j's row + 1; 0: free
    way = np.zeros(m + 1, int)
    for i in range(1, n + 1):
        row_of[0], col = i, 0
        min_v = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, bool)
        while row_of[col] != 0:
            used[col] = True
            row = row_of[col]
            reduced = cost[row - 1] - u[row] - v[1:]
            better = ~used[1:] & (reduced < min_v[1:])
            min_v[1:][better] = reduced[better]
            way[1:][better] = col
            free_min = np.where(used[1:], np.inf, min_v[1:])
            nxt = int(np.argmin(free_min)) + 1
            delta = free_min[nxt - 1]
            u[row_of[used]] += delta
            v[used] -= delta
            min_v[~used] -= delta
            col = nxt
        while col:
            prev = way[col]
            row_of[col] = row_of[prev]
            col = prev
    return sorted(
        (int(row_of[j]) - 1, j - 1) for j in range(1, m + 1) if row_of[j])


def match_boxes(iou: np.ndarray, thr: float) -> List[Tuple[int, int]]:
    """``(row, col)`` pairs of boxes (rows) and tracks (columns), sorted by
    row: the assignment that first maximises the number of pairs with
    ``IoU >= thr``, then their total IoU; pairs below ``thr`` are never
    matched. Mirrors ``mmpose_patchsel.apis.tracking.match_boxes``."""
    iou = np.asarray(iou, np.float64)
    valid = iou >= thr
    if not valid.any():
        return []
    pairs = linear_sum_assignment(np.where(valid, -iou, _INVALID_COST))
    return [(r, c) for r, c in pairs if valid[r, c]]
