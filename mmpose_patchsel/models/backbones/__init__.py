"""Backbones: :class:`PatchSelViT` and its checkpoint conversion."""
from .patchsel_vit import PatchSelViT, vit_grid_size
from .vit_checkpoint import (CheckpointMismatchError, convert_vit_state_dict,
                             detect_vit_format, resize_pos_embed,
                             select_state_dict)

__all__ = [
    'PatchSelViT', 'vit_grid_size', 'CheckpointMismatchError',
    'convert_vit_state_dict', 'detect_vit_format', 'resize_pos_embed',
    'select_state_dict'
]
