"""Pure geometry of patch selection (numpy + torch only, no OpenMMLab).

Maps guide keypoints to the ViT token grid and picks the tokens to keep:
neighbour patches, skeleton (Bresenham) patches, optionally a fixed budget.
One torch implementation serves the data pipeline (one sample) and the
online guide (a batch on the device).
"""
from .budget import centre_cells
from .flip import flip_keypoints
from .grid import PatchGrid
from .neighbour import neighbour_cells
from .options import MODES, SelectionOptions, validate_num_keep
from .select import (BatchPatchSelection, PatchSelection, select_patches,
                     select_patches_batched)
from .skeleton import check_links
from .tables import GridTables, grid_tables

__all__ = [
    'PatchGrid', 'SelectionOptions', 'MODES', 'PatchSelection',
    'BatchPatchSelection', 'select_patches', 'select_patches_batched',
    'validate_num_keep', 'check_links', 'neighbour_cells', 'centre_cells',
    'flip_keypoints', 'GridTables', 'grid_tables'
]
