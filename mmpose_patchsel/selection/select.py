"""Select the patches to keep from guide keypoints: the one implementation.

Vectorised torch on the device of the inputs (no host sync, no python loop
over the batch): the online guide runs it on GPU batches, ``SelectPatches``
on one sample (with its flipped twin) in the data pipeline, through
:func:`select_patches`. The rules are in :mod:`.neighbour`,
:mod:`.skeleton`, :mod:`.reach` (the resolution-aware radii) and
:mod:`.budget`.

A keypoint counts when its score is ``>= score_thr`` and it is finite; its
cell is the one holding its pixel (:class:`.PatchGrid`) when that pixel is in
the crop. When no cell is seeded (no confident keypoint inside, no limb
crossing it), the selection is never empty: all cells without a budget, the
K cells nearest the grid centre with ``num_keep=K``. ``fallback`` tells which
happened.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np
import torch

from .budget import budget_indices
from .grid import PatchGrid
from .neighbour import dilate
from .options import SelectionOptions
from .reach import reach_segments
from .skeleton import check_links, clip_links, line_cells
from .tables import tensor_cache


@dataclass(frozen=True)
class BatchPatchSelection:
    """Selected patches of a batch.

    Attributes:
        masks (torch.Tensor): ``(B, N)`` bool over the row-major grid.
        indices (torch.Tensor | None): ``(B, K)`` long, sorted per row, in
            budget mode; ``None`` without a budget (counts differ per row).
        fallback (torch.Tensor): ``(B,)`` bool, no-seed fallback used.
    """

    masks: torch.Tensor
    indices: Optional[torch.Tensor]
    fallback: torch.Tensor


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


@tensor_cache(maxsize=64)
def _links_on(links: tuple, device: torch.device) -> torch.Tensor:
    """The (L, 2) link tensor on ``device``, copied there once."""
    return torch.tensor(links, dtype=torch.long, device=device)


def _check_tensors(keypoints, scores):
    if not isinstance(keypoints, torch.Tensor):
        raise TypeError(
            f'keypoints must be a torch.Tensor, got {type(keypoints)}')
    if keypoints.dim() != 3 or keypoints.shape[-1] != 2:
        raise ValueError(f'keypoints must have shape (B, J, 2), got '
                         f'{tuple(keypoints.shape)}')
    kpts = keypoints if keypoints.is_floating_point() else keypoints.float()
    if scores is None:
        scores = kpts.new_ones(kpts.shape[:2])
    if not isinstance(scores, torch.Tensor):
        raise TypeError(f'scores must be a torch.Tensor or None, got '
                        f'{type(scores)}')
    if tuple(scores.shape) != tuple(kpts.shape[:2]):
        raise ValueError(f'scores must have shape {tuple(kpts.shape[:2])} to '
                         f'match keypoints {tuple(kpts.shape)}, got '
                         f'{tuple(scores.shape)}')
    if scores.device != kpts.device:
        raise ValueError(f'scores are on {scores.device} but keypoints on '
                         f'{kpts.device}')
    if not scores.is_floating_point():
        scores = scores.float()
    return kpts, scores


def select_patches_batched(grid: PatchGrid,
                           keypoints: torch.Tensor,
                           scores: Optional[torch.Tensor] = None,
                           **options) -> BatchPatchSelection:
    """Select the patches of a batch of persons from guide keypoints.

    Args:
        grid (PatchGrid): token grid of the model input.
        keypoints (torch.Tensor): ``(B, J, 2)`` keypoints in input pixels.
        scores (torch.Tensor, optional): ``(B, J)`` scores or visibilities;
            ``None`` means all confident.
        **options: the fields of :class:`.SelectionOptions` (``mode``,
            ``num_neighbours``, ``score_thr``, ``num_keep``,
            ``skeleton_links``, ``neighbour_radius``, ``limb_radius``), with
            its defaults.

    Returns:
        BatchPatchSelection: ``masks (B, N)``; ``indices (B, K)`` in budget
        mode.
    """
    opts = SelectionOptions(**options).check_grid(grid)
    kpts, scores = _check_tensors(keypoints, scores)
    batch, num_kpts = kpts.shape[:2]
    device, n = kpts.device, grid.num_patches

    finite = torch.isfinite(kpts).all(-1)
    kpts = torch.where(finite[..., None], kpts, torch.zeros_like(kpts))
    confident = finite & (scores >= opts.score_thr)
    pix = torch.floor(kpts + 0.5)
    inside = confident & grid._pixel_inside_torch(pix)
    col, row = grid._pixel_to_cell_torch(pix)
    kpt_cells = torch.where(inside, row * grid.cols + col,
                            torch.full_like(row, n))  # n = unused slot

    slots, limbs = kpt_cells, (None, None)
    if opts.mode == 'skeleton':
        links = check_links(opts.skeleton_links, num_kpts)
        if len(links):
            links = _links_on(tuple(map(tuple, links.tolist())), device)
            limbs = clip_links(grid, kpts, confident, links)
            slots = torch.cat([slots, line_cells(grid, *limbs)], dim=1)
    seeds = torch.zeros(batch, n + 1, dtype=torch.bool, device=device)
    seeds = seeds.scatter_(1, slots, True)[:, :n]
    fallback = ~seeds.any(1)
    if opts.uses_radius:
        neighbour_radius, limb_radius = opts.radii()
        selected = seeds | reach_segments(grid, kpts, inside, neighbour_radius,
                                          *limbs, limb_radius)
    else:
        selected = dilate(grid, seeds, opts.num_neighbours)

    if opts.num_keep is None:
        return BatchPatchSelection(selected | fallback[:, None], None,
                                   fallback)
    indices = budget_indices(grid, opts.num_keep, seeds, selected, kpt_cells,
                             inside, scores, fallback)
    masks = torch.zeros(batch, n, dtype=torch.bool, device=device)
    return BatchPatchSelection(masks.scatter_(1, indices, True), indices,
                               fallback)


def _as_tensor(array) -> torch.Tensor:
    """A float tensor sharing memory with ``array`` where it can."""
    array = np.asarray(array)
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    return torch.from_numpy(np.ascontiguousarray(array))


def select_patches(grid: PatchGrid,
                   keypoints,
                   scores=None,
                   **options) -> PatchSelection:
    """Select the patches to keep for one person (numpy in, numpy out).

    Args:
        grid (PatchGrid): token grid of the model input.
        keypoints (array-like): ``(J, 2)`` keypoints in input pixels.
        scores (array-like, optional): ``(J,)`` scores or visibilities;
            ``None`` means all confident.
        **options: as :func:`select_patches_batched`.

    Returns:
        PatchSelection: mask, sorted indices and the fallback flag.
    """
    kpts = np.asarray(keypoints)
    if kpts.ndim != 2 or kpts.shape[1] != 2:
        raise ValueError(f'keypoints must have shape (J, 2), got {kpts.shape}')
    if scores is not None and np.shape(scores) != (len(kpts), ):
        raise ValueError(f'scores must have shape ({len(kpts)},) to match '
                         f'keypoints {kpts.shape}, got {np.shape(scores)}')
    kpts = _as_tensor(kpts)[None]
    scores = None if scores is None else _as_tensor(scores)[None]
    out = select_patches_batched(grid, kpts, scores, **options)
    mask = out.masks[0].numpy()
    return PatchSelection(mask, np.flatnonzero(mask), bool(out.fallback[0]))
