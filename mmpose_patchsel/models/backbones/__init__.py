"""Backbones: :class:`PatchSelViT`, :class:`JointTokenPatchSelViT` and the
ViT checkpoint conversion."""
from .joint_token_vit import (JointTokenOutput, JointTokenPatchSelViT,
                              check_keep_rate, num_kept)
from .patchsel_vit import PatchSelViT, vit_grid_size
from .vit_checkpoint import (CheckpointMismatchError, convert_vit_state_dict,
                             detect_vit_format, resize_pos_embed,
                             select_state_dict)

__all__ = [
    'PatchSelViT', 'vit_grid_size', 'JointTokenPatchSelViT',
    'JointTokenOutput', 'check_keep_rate', 'num_kept',
    'CheckpointMismatchError', 'convert_vit_state_dict', 'detect_vit_format',
    'resize_pos_embed', 'select_state_dict'
]
