"""Resolution-aware reach: discs around keypoints, bands along limbs.

``num_neighbours`` counts cells, and a cell is a fixed 16 pixels of the
input, so the same ``n`` covers a quarter of the body (along each side) at
1024x768 as at 256x192. ``neighbour_radius`` and ``limb_radius`` are
fractions of the crop height ``h`` (the model input height) instead, so a
setting names the same part of the person at every input size. A cell is
kept when its centre lies within ``neighbour_radius * h`` input pixels of a
confident keypoint inside the crop (a disc), or, in skeleton mode, within
``limb_radius * h`` of a limb's visible (clipped) segment (a band with
round ends). The keypoint cells and the Bresenham line cells stay kept
too, so a radius never keeps less than ``num_neighbours=0``.

The area of a disc or band is the same fraction of the crop at every size,
and the number of cell centres inside it is that area over a cell's, on
average over where the keypoint falls in its cell: the kept fraction of the
crop does not depend on the grid. In cells a radius is
``radius * h / patch_size`` (:func:`reach_cells`): ``1 / 16`` is one cell at
256x192 and four at 1024x768. Around a keypoint at a cell centre, away from
the border, a disc of ``1 / 16`` holds the plus of ``n=4`` at 256x192
(:func:`disc_cells` = 5) and 49 cells at 1024x768.
"""
import math
from typing import Optional

import torch

from .grid import PatchGrid


def reach_pixels(grid: PatchGrid, radius: float) -> float:
    """``radius`` (a fraction of the crop height) in input pixels."""
    return float(radius) * grid.height


def reach_cells(grid: PatchGrid, radius: float) -> float:
    """``radius`` (a fraction of the crop height) in cells of ``grid``."""
    return reach_pixels(grid, radius) / grid.patch_size


def disc_cells(grid: PatchGrid, radius: float) -> int:
    """Cells kept around a keypoint at a cell centre, away from the border.

    The cells whose centre is within ``radius`` of it: lattice points of a
    disc of :func:`reach_cells` cells, the keypoint's own cell included.
    With 5, 9, 13, 21, 29 or 37 cells it is exactly the neighbourhood of
    ``num_neighbours`` 4, 8, 12, 20, 28 or 36 (:mod:`.neighbour`); other
    sizes differ from BFS's diamond-first order.
    """
    cells = reach_cells(grid, radius)
    span = math.floor(cells)
    return sum(1 for dr in range(-span, span + 1)
               for dc in range(-span, span + 1)
               if dr * dr + dc * dc <= cells * cells)


def cell_centres(grid: PatchGrid, device=None, dtype=torch.float32):
    """Cell centres ``(cols,)`` x and ``(rows,)`` y in input pixels.

    Cell ``c`` holds the pixels ``c * p - pad .. c * p - pad + p - 1``
    (pixel centres at integers, :class:`.PatchGrid`), so its centre is
    ``c * p - pad + (p - 1) / 2``.
    """
    offset = (grid.patch_size - 1) / 2 - grid.padding

    def axis(num: int) -> torch.Tensor:
        return torch.arange(num, device=device,
                            dtype=dtype) * grid.patch_size + offset

    return axis(grid.cols), axis(grid.rows)


def within_reach(grid: PatchGrid, starts: torch.Tensor, ends: torch.Tensor,
                 valid: torch.Tensor, radii: torch.Tensor) -> torch.Tensor:
    """``(B, N)`` bool: cells whose centre is within reach of a segment.

    Args:
        starts, ends (torch.Tensor): ``(B, S, 2)`` float segment end points
            ``(x, y)`` in input pixels, finite; a keypoint is a segment of
            length 0.
        valid (torch.Tensor): ``(B, S)`` bool, the segments that count.
        radii (torch.Tensor): ``(S,)`` reach of each segment in pixels.

    The distance from a centre ``c`` to a segment ``a + t d`` is taken at
    ``t = clamp((c - a) . d / |d|^2, 0, 1)``; a centre at distance
    ``<= radius`` is within reach. ``O(B * S * N)`` memory.
    """
    xs, ys = cell_centres(grid, starts.device, starts.dtype)
    a = starts[..., None, None, :]  # (B, S, 1, 1, 2)
    d = (ends - starts)[..., None, None, :]
    rel_x = xs - a[..., 0]  # (B, S, 1, cols)
    rel_y = ys[:, None] - a[..., 1]  # (B, S, rows, 1)
    length2 = d[..., 0]**2 + d[..., 1]**2
    # A point (|d| = 0) has a zero dot product: t = 0 with any denominator.
    t = (rel_x * d[..., 0] + rel_y * d[..., 1]) / torch.where(
        length2 > 0, length2, 1.0)
    t = t.clamp(0.0, 1.0)
    dist2 = (rel_x - t * d[..., 0])**2 + (rel_y - t * d[..., 1])**2
    near = (dist2 <= (radii**2)[:, None, None]) & valid[..., None, None]
    return near.any(1).flatten(1)


def reach_segments(grid: PatchGrid,
                   kpts: torch.Tensor,
                   inside: torch.Tensor,
                   neighbour_radius: float,
                   limb_ends: Optional[torch.Tensor] = None,
                   limb_valid: Optional[torch.Tensor] = None,
                   limb_radius: float = 0.0) -> torch.Tensor:
    """``(B, N)`` bool: the cells within reach of the keypoints ``(B, J, 2)``
    marked ``inside`` (``neighbour_radius``) and of the clipped limbs
    ``limb_ends`` ``(B, L, 2, 2)`` marked ``limb_valid``
    (``limb_radius``); radii are fractions of the crop height."""
    starts, ends, valid, radii = [], [], [], []
    if neighbour_radius > 0:
        # Keypoints outside the crop may be huge: park them at 0.
        kpts = torch.where(inside[..., None], kpts, 0.0)
        starts.append(kpts)
        ends.append(kpts)
        valid.append(inside)
        radii.append(
            kpts.new_full(kpts.shape[1:2],
                          reach_pixels(grid, neighbour_radius)))
    if limb_ends is not None and limb_radius > 0 and limb_ends.shape[1]:
        starts.append(limb_ends[..., 0, :])
        ends.append(limb_ends[..., 1, :])
        valid.append(limb_valid)
        radii.append(
            limb_ends.new_full(limb_ends.shape[1:2],
                               reach_pixels(grid, limb_radius)))
    if not starts:
        return torch.zeros(inside.shape[0],
                           grid.num_patches,
                           dtype=torch.bool,
                           device=inside.device)
    return within_reach(grid, torch.cat(starts, 1), torch.cat(ends, 1),
                        torch.cat(valid, 1), torch.cat(radii))
