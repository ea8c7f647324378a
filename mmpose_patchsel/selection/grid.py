"""The token grid a ViT patch embedding lays over the input image.

ViTPose embeds patches with ``Conv2d(kernel=p, stride=p, padding=pad)``, so
output cell ``c`` along an axis covers the input pixels
``[c * p - pad, c * p - pad + p)``. With ``p=16, pad=2`` the cells tile
``[-2, 16 * n - 2)``; trailing pixels past the last window (the last two
columns at width 192, the last two rows at height 256) are covered by no cell
and are mapped to the nearest, i.e. last, cell.

Coordinates follow mmpose's input space after ``TopdownAffine``: float
``(x, y)`` in pixels with pixel *centres* at integers, so the pixel holding a
point is ``floor(x + 0.5)``. The crop spans ``-0.5 <= x < w - 0.5``.
"""
from dataclasses import dataclass
from typing import Tuple

import numpy as np
import torch

from ..utils.validation import check_int


@dataclass(frozen=True)
class PatchGrid:
    """Geometry of the patch-embedding token grid.

    Args:
        input_size (tuple[int, int]): Model input ``(w, h)`` in pixels, as
            mmpose codecs spell it, e.g. ``(192, 256)``.
        patch_size (int): Kernel size and stride of the patch embedding.
        padding (int): Zero padding of the patch embedding, ``< patch_size``.
    """

    input_size: Tuple[int, int]
    patch_size: int = 16
    padding: int = 2

    def __post_init__(self):
        size = self.input_size
        if isinstance(size, (str, bytes)) or not hasattr(size, '__len__') \
                or len(size) != 2:
            raise ValueError(f'input_size must be a (w, h) pair, got {size!r}')
        w = check_int('input_size[0] (w)', size[0], 1)
        h = check_int('input_size[1] (h)', size[1], 1)
        patch = check_int('patch_size', self.patch_size, 1)
        pad = check_int('padding', self.padding, 0)
        if pad >= patch:
            raise ValueError(f'padding must be < patch_size={patch}, got '
                             f'padding={pad}')
        for name, length in (('w', w), ('h', h)):
            if length + 2 * pad < patch:
                raise ValueError(
                    f'input {name}={length} with padding={pad} is smaller '
                    f'than patch_size={patch}: the grid would be empty')
        object.__setattr__(self, 'input_size', (w, h))
        object.__setattr__(self, 'patch_size', patch)
        object.__setattr__(self, 'padding', pad)

    # -- sizes -------------------------------------------------------------
    @property
    def width(self) -> int:
        return self.input_size[0]

    @property
    def height(self) -> int:
        return self.input_size[1]

    def _cells(self, length: int) -> int:
        return (length + 2 * self.padding - self.patch_size) \
            // self.patch_size + 1

    @property
    def rows(self) -> int:
        """Number of token rows, ``floor((h + 2 pad - p) / p) + 1``."""
        return self._cells(self.height)

    @property
    def cols(self) -> int:
        """Number of token columns, ``floor((w + 2 pad - p) / p) + 1``."""
        return self._cells(self.width)

    @property
    def num_patches(self) -> int:
        """Number of tokens; flattened row-major (``row * cols + col``)."""
        return self.rows * self.cols

    # -- numpy (thin wrappers of the torch rules below) --------------------
    def _numpy_to_tensor(self, xy) -> torch.Tensor:
        xy = np.asarray(xy)
        if not np.issubdtype(xy.dtype, np.floating):
            xy = xy.astype(np.float64)
        if xy.ndim == 0 or xy.shape[-1] != 2:
            raise ValueError(
                f'points must have shape (..., 2), got {xy.shape}')
        return torch.from_numpy(np.ascontiguousarray(xy))

    def contains(self, xy) -> np.ndarray:
        """Whether each point lies inside the crop (its pixel exists)."""
        return self.contains_torch(self._numpy_to_tensor(xy)).numpy()

    def point_to_cell(self, xy) -> Tuple[np.ndarray, np.ndarray]:
        """Map points ``(..., 2)`` to ``(row, col)`` int64 arrays ``(...)``.

        The cell is the one whose stride window holds the point's pixel,
        ``floor((pixel + pad) / p)``, clipped to the grid (points outside the
        crop and uncovered trailing pixels go to the nearest border cell).
        """
        row, col = self.point_to_cell_torch(self._numpy_to_tensor(xy))
        return row.numpy(), col.numpy()

    # -- torch -------------------------------------------------------------
    def _float_torch(self, xy: torch.Tensor) -> torch.Tensor:
        if not isinstance(xy, torch.Tensor):
            raise TypeError(f'points must be a torch.Tensor, got {type(xy)}')
        if not xy.is_floating_point():
            xy = xy.float()
        if xy.dim() == 0 or xy.shape[-1] != 2:
            raise ValueError(
                f'points must have shape (..., 2), got {tuple(xy.shape)}')
        return xy

    def contains_torch(self, xy: torch.Tensor) -> torch.Tensor:
        """:meth:`contains` on the device of ``xy``."""
        pix = torch.floor(self._float_torch(xy) + 0.5)
        return self._pixel_inside_torch(pix)

    def _pixel_inside_torch(self, pix: torch.Tensor) -> torch.Tensor:
        # Python-scalar bounds: no small tensor copied to the device (a
        # host sync on an accelerator).
        x, y = pix[..., 0], pix[..., 1]
        return (x >= 0) & (x <= self.width - 1) & (y >= 0) & (
            y <= self.height - 1)

    def point_to_cell_torch(
            self, xy: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """:meth:`point_to_cell` on the device of ``xy``."""
        xy = self._float_torch(xy)
        if not bool(torch.isfinite(xy).all()):
            raise ValueError('points must be finite, got non-finite values')
        col, row = self._pixel_to_cell_torch(torch.floor(xy + 0.5))
        return row, col

    def _pixel_to_cell_torch(self, pix: torch.Tensor):
        # Clamp before the int cast: huge floats do not fit an int64.
        cell = torch.floor((pix + self.padding) / self.patch_size)
        return (cell[..., 0].clamp(0, self.cols - 1).long(),
                cell[..., 1].clamp(0, self.rows - 1).long())
