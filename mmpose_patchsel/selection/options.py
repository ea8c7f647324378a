"""The selection options and their defaults, shared by every entry point.

``select_patches``, ``select_patches_batched``, the ``SelectPatches``
transform and the estimator's online guide all build their options here, so
a default is stated once.
"""
import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from ..utils.validation import check_choice, check_int, check_number
from .grid import PatchGrid

MODES = ('neighbour', 'skeleton')
#: Options that are left out of reprs while unset (None), so the reprs of
#: settings that do not use them read as before they existed.
RADIUS_OPTIONS = ('neighbour_radius', 'limb_radius')


@dataclass(frozen=True)
class SelectionOptions:
    """How guide keypoints become the kept patches.

    Args:
        mode (str): ``'neighbour'`` (keypoint cells and their BFS
            neighbours) or ``'skeleton'`` (plus Bresenham limbs).
        num_neighbours (int): BFS neighbours added around every seed cell
            (keypoint cells; in skeleton mode also the line cells). In
            cells, so its reach shrinks on a finer grid; the radii below
            keep theirs.
        score_thr (float): keypoints with ``score >= score_thr`` count.
        num_keep (int, optional): keep exactly this many cells (see
            :mod:`.budget`); ``None`` keeps the plain selection.
        skeleton_links (sequence of pairs, optional): keypoint index pairs,
            required in skeleton mode (e.g. ``dataset_meta['skeleton_links']``;
            the transform and the estimator default to the dataset's).
        neighbour_radius (float, optional): resolution-aware neighbourhood
            (:mod:`.reach`): also keep the cells whose centre lies within
            ``neighbour_radius * h`` input pixels of a keypoint, ``h`` the
            crop (input) height; e.g. ``1 / 16`` is one cell at 256x192 and
            four at 1024x768. Exclusive with ``num_neighbours``.
        limb_radius (float, optional): skeleton mode: also keep the cells
            whose centre lies within ``limb_radius * h`` of a limb (the
            limb's half-width). Either radius defaults to the other in
            skeleton mode; ``None`` for both keeps the cell-based rules.
    """

    mode: str = 'neighbour'
    num_neighbours: int = 0
    score_thr: float = 0.3
    num_keep: Optional[int] = None
    skeleton_links: Optional[Sequence[Sequence[int]]] = None
    neighbour_radius: Optional[float] = None
    limb_radius: Optional[float] = None

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
        for name in RADIUS_OPTIONS:
            if getattr(self, name) is not None:
                object.__setattr__(self, name,
                                   check_radius(name, getattr(self, name)))
        if self.limb_radius is not None and self.mode != 'skeleton':
            raise ValueError(
                "limb_radius applies to mode='skeleton' only, got "
                f'limb_radius={self.limb_radius!r} with mode={self.mode!r}')
        if self.uses_radius and self.num_neighbours:
            set_radii = ', '.join(f'{name}={getattr(self, name)!r}'
                                  for name in RADIUS_OPTIONS
                                  if getattr(self, name) is not None)
            raise ValueError(
                f'num_neighbours={self.num_neighbours} (in cells) and '
                f'{set_radii} (fractions of the crop height) both set: give '
                'one of them')

    @property
    def uses_radius(self) -> bool:
        """Whether the resolution-aware radii replace ``num_neighbours``."""
        return self.neighbour_radius is not None \
            or self.limb_radius is not None

    def radii(self) -> Tuple[float, float]:
        """``(neighbour_radius, limb_radius)`` with the unset one taking
        the other's value (0 when neither is set; no limbs in neighbour
        mode)."""
        neighbour, limb = self.neighbour_radius, self.limb_radius
        if self.mode != 'skeleton':
            return neighbour or 0.0, 0.0
        neighbour = limb if neighbour is None else neighbour
        limb = neighbour if limb is None else limb
        return neighbour or 0.0, limb or 0.0

    def shown(self) -> dict:
        """The fields a repr shows: all but the radii left unset."""
        return {
            k: v
            for k, v in vars(self).items()
            if v is not None or k not in RADIUS_OPTIONS
        }

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


def check_radius(name: str, value) -> float:
    """A radius as a finite fraction of the crop height, ``>= 0``."""
    value = check_number(name, value, minimum=0)
    if math.isinf(value):
        raise ValueError(f'{name} must be a finite fraction of the crop '
                         f'height (>= 0), got {name}={value!r}')
    return value


def validate_num_keep(grid: PatchGrid, num_keep: int) -> int:
    """Check ``1 <= num_keep <= grid.num_patches``; usable at config time."""
    return check_int(
        'num_keep', num_keep, 1, grid.num_patches,
        f' for the {grid.rows}x{grid.cols} grid of input {grid.input_size} '
        f'({grid.num_patches} patches)')
