"""Pure geometry of patch selection (numpy + torch only, no OpenMMLab).

Maps guide keypoints to the ViT token grid and picks the tokens to keep:
neighbour patches, skeleton (Bresenham) patches, optionally a fixed budget;
their reach in cells, or resolution-aware as fractions of the crop.
One torch implementation serves the data pipeline (one sample) and the
online guide (a batch on the device).
"""
from .budget import centre_cells
from .flip import flip_keypoints
from .grid import PatchGrid
from .neighbour import neighbour_cells
from .options import (MODES, RADIUS_OPTIONS, SelectionOptions,
                      validate_num_keep)
from .reach import disc_cells, reach_cells, reach_pixels
from .select import (BatchPatchSelection, PatchSelection, select_patches,
                     select_patches_batched)
from .skeleton import check_links
from .tables import GridTables, grid_tables

__all__ = [
    'PatchGrid', 'SelectionOptions', 'MODES', 'PatchSelection',
    'BatchPatchSelection', 'select_patches', 'select_patches_batched',
    'validate_num_keep', 'check_links', 'neighbour_cells', 'centre_cells',
    'flip_keypoints', 'GridTables', 'grid_tables', 'RADIUS_OPTIONS',
    'reach_pixels', 'reach_cells', 'disc_cells'
]
