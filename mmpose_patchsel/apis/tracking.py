"""Box geometry and matching for the pose tracker (numpy + scipy only).

A track's box on the next frame comes from its previous keypoints (the
tight box of the confident ones, scaled about its centre); detections are
matched to tracks by IoU with an optimal (Hungarian) assignment.
"""
from typing import List, Optional, Tuple

import numpy as np
from scipy.optimize import linear_sum_assignment

#: a pair below the IoU threshold costs this much in the assignment, so it
#: is only ever chosen where no valid pair is left (and is dropped then).
_INVALID_COST = 1e6


def box_from_keypoints(keypoints: np.ndarray,
                       scores: np.ndarray,
                       kpt_thr: float = 0.3,
                       padding: float = 1.25,
                       fallback: Optional[np.ndarray] = None
                       ) -> Optional[np.ndarray]:
    """The ``(4,)`` xyxy box of the confident keypoints, scaled by padding.

    Keypoints count when their score is above ``kpt_thr`` and they are
    finite. With fewer than two of them, or when they all sit on one point
    (no box to scale), the result is a copy of ``fallback`` (the previous
    box), ``None`` when it is not given.

    Args:
        keypoints (np.ndarray): ``(K, 2)`` keypoints in image pixels.
        scores (np.ndarray): ``(K,)`` keypoint scores.
        kpt_thr (float): score threshold (strictly above counts).
        padding (float): the box's width and height are scaled by this
            about its centre.
        fallback (np.ndarray, optional): ``(4,)`` box to return when the
            keypoints give none.
    """
    keypoints = np.asarray(keypoints, np.float64)
    scores = np.asarray(scores, np.float64)
    if keypoints.ndim != 2 or keypoints.shape[1] != 2:
        raise ValueError(
            f'keypoints must have shape (K, 2), got {keypoints.shape}')
    if scores.shape != (len(keypoints), ):
        raise ValueError(f'scores must have shape ({len(keypoints)},) to '
                         f'match keypoints, got {scores.shape}')
    confident = (scores > kpt_thr) & np.isfinite(keypoints).all(1)
    points = keypoints[confident]
    if len(points) >= 2:
        lo, hi = points.min(0), points.max(0)
        if (hi > lo).any():
            centre, half = (lo + hi) / 2, (hi - lo) * padding / 2
            return np.concatenate([centre - half,
                                   centre + half]).astype(np.float32)
    return None if fallback is None else np.array(
        fallback, np.float32).reshape(4)


def _as_boxes(name: str, boxes) -> np.ndarray:
    boxes = np.asarray(boxes, np.float64)
    if boxes.size == 0:
        return boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] < 4:
        raise ValueError(
            f'{name} must have shape (N, 4) (xyxy), got {boxes.shape}')
    return boxes[:, :4]


def bbox_iou(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU matrix ``(N, M)`` of xyxy boxes ``(N, 4)`` and ``(M, 4)``.

    Extra columns (a score) are ignored; a pair whose union is empty has
    IoU 0.
    """
    a, b = _as_boxes('boxes_a', boxes_a), _as_boxes('boxes_b', boxes_b)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(bottom_right - top_left, 0, None).prod(-1)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0, None).prod(-1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0, None).prod(-1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(
        inter, union, out=np.zeros_like(inter), where=union > 0)


def match_boxes(iou: np.ndarray, thr: float
                ) -> Tuple[List[Tuple[int, int]], List[int], List[int]]:
    """Match rows (detections) to columns (tracks) by IoU.

    An optimal assignment (``scipy.optimize.linear_sum_assignment``) that
    first maximises the number of pairs with ``IoU >= thr``, then their total
    IoU; pairs below ``thr`` are never matched.

    Returns:
        ``(matches, unmatched_rows, unmatched_cols)``: ``(row, col)`` pairs
        sorted by row, and the sorted indices left over on each side.
    """
    iou = np.asarray(iou, np.float64)
    if iou.ndim != 2:
        raise ValueError(f'iou must be a (N, M) matrix, got {iou.shape}')
    valid = iou >= thr
    matches = []
    if valid.any():
        rows, cols = linear_sum_assignment(
            np.where(valid, -iou, _INVALID_COST))
        matches = [(int(r), int(c)) for r, c in zip(rows, cols)
                   if valid[r, c]]
    matched_rows = {r for r, _ in matches}
    matched_cols = {c for _, c in matches}
    return (matches,
            [r for r in range(iou.shape[0]) if r not in matched_rows],
            [c for c in range(iou.shape[1]) if c not in matched_cols])
