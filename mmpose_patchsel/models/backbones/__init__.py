"""Backbones: :class:`PatchSelViT`, :class:`JointTokenPatchSelViT` and the
ViT checkpoint conversion. The building blocks are in :mod:`.vit_layers`,
the checked size arguments in :mod:`.vit_arch`, the gather / restore of kept
tokens in :mod:`.token_selection`."""
from .joint_token_vit import (JointTokenOutput, JointTokenPatchSelViT,
                              check_keep_rate, num_kept)
from .patchsel_vit import PatchSelViT
from .vit_checkpoint import (CheckpointMismatchError, convert_vit_state_dict,
                             detect_vit_format, resize_pos_embed,
                             select_state_dict)
from .vit_loading import load_vit_pretrained

__all__ = [
    'PatchSelViT', 'JointTokenPatchSelViT', 'JointTokenOutput',
    'check_keep_rate', 'num_kept', 'CheckpointMismatchError',
    'convert_vit_state_dict', 'detect_vit_format', 'resize_pos_embed',
    'select_state_dict', 'load_vit_pretrained'
]
