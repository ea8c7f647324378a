"""The selection options and their defaults, shared by every entry point.

``select_patches``, ``select_patches_batched``, the ``SelectPatches``
transform and the estimator's online guide all build their options here, so
a default is stated once.
"""
from dataclasses import dataclass
from typing import Optional, Sequence

from ..utils.validation import check_choice, check_int, check_number
from .grid import PatchGrid

MODES = ('neighbour', 'skeleton')


@dataclass(frozen=True)
class SelectionOptions:
    """How guide keypoints become the kept patches.

    Args:
        mode (str): ``'neighbour'`` (keypoint cells and their BFS
            neighbours) or ``'skeleton'`` (plus Bresenham limbs).
        num_neighbours (int): BFS neighbours added around every seed cell
            (keypoint cells; in skeleton mode also the line cells).
        score_thr (float): keypoints with ``score >= score_thr`` count.
        num_keep (int, optional): keep exactly this many cells (see
            :mod:`.budget`); ``None`` keeps the plain selection.
        skeleton_links (sequence of pairs, optional): keypoint index pairs,
            required in skeleton mode (e.g. ``dataset_meta['skeleton_links']``;
            the transform and the estimator default to the dataset's).
    """

    mode: str = 'neighbour'
    num_neighbours: int = 0
    score_thr: float = 0.3
    num_keep: Optional[int] = None
    skeleton_links: Optional[Sequence[Sequence[int]]] = None

    def __post_init__(self):
        check_choice('mode', self.mode, MODES)
        object.__setattr__(
            self, 'num_neighbours',
            check_int('num_neighbours', self.num_neighbours, minimum=0))
        object.__setattr__(self, 'score_thr',
                           check_number('score_thr', self.score_thr))
        if self.num_keep is not None:
            object.__setattr__(self, 'num_keep',
                               check_int('num_keep', self.num_keep, 1))

    def keywords(self, dataset_links=None, where: str = '') -> dict:
        """The options as keywords for :func:`select_patches_batched`, with
        ``dataset_links`` standing in for unset ``skeleton_links``.

        Raises ``KeyError`` in skeleton mode when neither is set; ``where``
        says in the message where the links could come from.
        """
        options = dict(vars(self))
        if self.mode == 'skeleton' and self.skeleton_links is None:
            if dataset_links is None:
                raise KeyError(f'skeleton mode needs skeleton_links: {where}')
            options['skeleton_links'] = dataset_links
        return options

    def check_grid(self, grid: PatchGrid) -> 'SelectionOptions':
        """Fail (at config time) when ``num_keep`` exceeds ``grid``."""
        if not isinstance(grid, PatchGrid):
            raise TypeError(f'grid must be a PatchGrid, got {type(grid)}')
        if self.num_keep is not None:
            validate_num_keep(grid, self.num_keep)
        return self


def validate_num_keep(grid: PatchGrid, num_keep: int) -> int:
    """Check ``1 <= num_keep <= grid.num_patches``; usable at config time."""
    return check_int(
        'num_keep', num_keep, 1, grid.num_patches,
        f' for the {grid.rows}x{grid.cols} grid of input {grid.input_size} '
        f'({grid.num_patches} patches)')
