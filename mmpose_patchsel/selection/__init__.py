"""Pure geometry of patch selection (numpy + torch only, no OpenMMLab).

Maps guide keypoints to the ViT token grid and picks the tokens to keep:
neighbour patches, skeleton (Bresenham) patches, optionally a fixed budget.
"""
from .batched import BatchPatchSelection, select_patches_batched
from .budget import centre_cells, rank_cells, validate_num_keep
from .flip import flip_keypoints
from .grid import PatchGrid
from .neighbour import check_num_neighbours, dilate_cells, neighbour_cells
from .select import MODES, PatchSelection, check_options, select_patches
from .skeleton import bresenham_line, check_links, clip_segments
from .tables import GridTables, grid_tables, grid_tables_torch

__all__ = [
    'PatchGrid', 'PatchSelection', 'BatchPatchSelection', 'MODES',
    'select_patches', 'select_patches_batched', 'validate_num_keep',
    'check_options', 'check_num_neighbours', 'check_links', 'neighbour_cells',
    'dilate_cells', 'bresenham_line', 'clip_segments', 'centre_cells',
    'rank_cells', 'flip_keypoints', 'GridTables', 'grid_tables',
    'grid_tables_torch'
]
