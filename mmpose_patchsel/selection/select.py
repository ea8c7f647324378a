"""Patch selection for one person (numpy reference implementation).

Keypoints count when their score is ``>= score_thr`` and their coordinates
are finite ("confident"). A confident keypoint inside the crop contributes
its cell; keypoints outside the crop contribute no cell (in skeleton mode
their links may still reach into the crop, see :mod:`.skeleton`).

Fallback: when no cell is seeded (no confident keypoint inside the crop and,
in skeleton mode, no confident limb crossing it), the selection is never
empty: all cells without a budget, the K cells nearest the grid centre with
``num_keep=K``. ``PatchSelection.fallback`` tells which happened.
"""
import math
import numbers
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from .budget import centre_cells, rank_cells, validate_num_keep
from .grid import PatchGrid
from .neighbour import check_num_neighbours, dilate_cells
from .skeleton import check_links, skeleton_cells

MODES = ('neighbour', 'skeleton')


@dataclass(frozen=True)
class PatchSelection:
    """Selected patches of one person.

    Attributes:
        mask (np.ndarray): ``(N,)`` bool over the row-major flattened grid.
        indices (np.ndarray): ``(M,)`` int64 sorted flat indices of the
            kept cells (``M == K`` in budget mode).
        fallback (bool): Whether the no-seed fallback was used.
    """

    mask: np.ndarray
    indices: np.ndarray
    fallback: bool


def check_options(grid: PatchGrid, mode: str, num_neighbours: int,
                  score_thr: float, num_keep: Optional[int]):
    """Validate the selection options shared by numpy and torch paths."""
    if not isinstance(grid, PatchGrid):
        raise TypeError(f'grid must be a PatchGrid, got {type(grid)}')
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    num_neighbours = check_num_neighbours(num_neighbours)
    if isinstance(score_thr, bool) or not isinstance(
            score_thr, numbers.Real) or math.isnan(score_thr):
        raise ValueError(f'score_thr must be a real number, got '
                         f'{score_thr!r}')
    if num_keep is not None:
        num_keep = validate_num_keep(grid, num_keep)
    return num_neighbours, float(score_thr), num_keep


def _check_arrays(keypoints, scores) -> Tuple[np.ndarray, np.ndarray]:
    kpts = np.asarray(keypoints)
    if kpts.ndim != 2 or kpts.shape[1] != 2:
        raise ValueError(f'keypoints must have shape (J, 2), got {kpts.shape}')
    if not np.issubdtype(kpts.dtype, np.floating):
        kpts = kpts.astype(np.float64)
    if scores is None:
        scores = np.ones(len(kpts), dtype=kpts.dtype)
    scores = np.asarray(scores)
    if scores.shape != (len(kpts), ):
        raise ValueError(f'scores must have shape ({len(kpts)},) to match '
                         f'keypoints {kpts.shape}, got {scores.shape}')
    if not np.issubdtype(scores.dtype, np.floating):
        scores = scores.astype(np.float64)
    return kpts, scores


def select_patches(grid: PatchGrid,
                   keypoints,
                   scores=None,
                   *,
                   mode: str = 'neighbour',
                   num_neighbours: int = 0,
                   score_thr: float = 0.3,
                   skeleton_links: Optional[Sequence[Sequence[int]]] = None,
                   num_keep: Optional[int] = None) -> PatchSelection:
    """Select the patches to keep for one person from guide keypoints.

    Args:
        grid (PatchGrid): Token grid of the model input.
        keypoints (array-like): ``(J, 2)`` keypoints in input pixels.
        scores (array-like, optional): ``(J,)`` scores or visibilities;
            ``None`` means all confident.
        mode (str): ``'neighbour'`` (keypoint cells and their BFS
            neighbours) or ``'skeleton'`` (plus Bresenham limbs).
        num_neighbours (int): BFS neighbours added around every seed cell
            (keypoint cells; in skeleton mode also the line cells).
        score_thr (float): Keypoints with ``score >= score_thr`` count.
        skeleton_links (sequence of pairs): Keypoint index pairs, required
            in skeleton mode (e.g. ``dataset_meta['skeleton_links']``).
        num_keep (int, optional): Keep exactly this many cells (see
            :mod:`.budget`); ``None`` keeps the plain selection.

    Returns:
        PatchSelection: mask, sorted indices and the fallback flag.
    """
    num_neighbours, score_thr, num_keep = check_options(
        grid, mode, num_neighbours, score_thr, num_keep)
    kpts, scores = _check_arrays(keypoints, scores)
    links = check_links(skeleton_links, len(kpts)) \
        if mode == 'skeleton' else None

    n = grid.num_patches
    finite = np.isfinite(kpts).all(-1)
    kpts = np.where(finite[:, None], kpts, np.zeros_like(kpts))
    confident = finite & (scores >= np.asarray(score_thr, scores.dtype))
    pix = np.floor(kpts + 0.5)
    hi = np.asarray([grid.width - 1, grid.height - 1], dtype=pix.dtype)
    inside = confident & ((pix >= 0) & (pix <= hi)).all(-1)
    col, row = grid._pixel_to_cell_np(pix[inside])
    kpt_cells = row * grid.cols + col

    seeds = np.zeros(n, dtype=bool)
    seeds[kpt_cells] = True
    if links is not None and len(links):
        seeds[skeleton_cells(grid, kpts, confident, links)] = True
    fallback = not seeds.any()

    if num_keep is None:
        mask = np.ones(n, dtype=bool) if fallback else dilate_cells(
            grid, np.flatnonzero(seeds), num_neighbours)
        return PatchSelection(mask, np.flatnonzero(mask), fallback)

    if fallback:
        indices = centre_cells(grid, num_keep)
    else:
        selected = dilate_cells(grid, np.flatnonzero(seeds), num_neighbours)
        order = rank_cells(grid, seeds, selected, kpt_cells, scores[inside])
        indices = np.sort(order[:num_keep])
    mask = np.zeros(n, dtype=bool)
    mask[indices] = True
    return PatchSelection(mask, indices, fallback)
