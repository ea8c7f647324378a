"""Load ViT checkpoints into a :class:`~.patchsel_vit.PatchSelViT`.

:func:`load_vit_pretrained` reads a checkpoint in any format
:mod:`.vit_checkpoint` converts (mmpose/mmpretrain, official ViTPose, MAE)
and loads it strictly; :func:`convert_on_load` is the ``load_state_dict``
pre-hook that lets ``model.load_state_dict`` and mmengine's
``load_checkpoint`` do the same conversion under the backbone's prefix.
"""
from collections import OrderedDict
from typing import Optional, Sequence, Union

import torch.nn as nn
from mmengine.logging import MMLogger, print_log
from mmengine.model.weight_init import update_init_info
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor

from .vit_checkpoint import (check_state_dict, convert_vit_state_dict,
                             detect_vit_format, select_state_dict)

__all__ = ['load_vit_pretrained', 'convert_on_load']


def load_vit_pretrained(model: nn.Module,
                        checkpoint: Union[str, dict],
                        prefix: Optional[str] = None,
                        strict: bool = True,
                        src_format: str = 'auto',
                        src_grid: Optional[Sequence[int]] = None,
                        patch_kernel_resize: Optional[str] = None,
                        map_location: str = 'cpu') -> None:
    """Load a ViT checkpoint in any of the supported formats into ``model``.

    Args:
        model: a :class:`~.patchsel_vit.PatchSelViT` (or subclass).
        checkpoint: a path / URL (read with mmengine's
            ``CheckpointLoader``) or an already loaded dict.
        prefix: keep only keys under this prefix (``'backbone.'``); see
            :func:`~.vit_checkpoint.select_state_dict`.
        strict: raise :class:`~.vit_checkpoint.CheckpointMismatchError`
            on missing/unexpected keys or shape mismatches (else log
            them and load the keys that fit). ``model.OPTIONAL_KEYS`` may
            be missing; they keep their current value.
        src_format, src_grid, patch_kernel_resize: see
            :func:`~.vit_checkpoint.convert_vit_state_dict`.
    """
    logger = MMLogger.get_current_instance()
    source = checkpoint if isinstance(checkpoint, str) else 'state dict'
    if isinstance(checkpoint, str):
        print_log(f'load {prefix or ""} in PatchSelViT from {checkpoint}',
                  logger='current')
        checkpoint = CheckpointLoader.load_checkpoint(
            checkpoint, map_location=map_location)
    state = select_state_dict(checkpoint, prefix)
    fmt = detect_vit_format(state) if src_format == 'auto' else src_format
    state = convert_vit_state_dict(state,
                                   src_format=fmt,
                                   dst_grid=model.patch_resolution,
                                   src_grid=src_grid,
                                   interpolate_mode=model.interpolate_mode,
                                   patch_kernel=model.patch_embed.patch_size,
                                   patch_kernel_resize=patch_kernel_resize,
                                   logger=logger)
    own = model.state_dict()
    try:
        check_state_dict(own,
                         state,
                         model.OPTIONAL_KEYS,
                         source=f'{source}, {fmt} format')
    except RuntimeError as err:
        if strict:
            raise
        logger.warning(str(err))
        state = OrderedDict((k, v) for k, v in state.items()
                            if k in own and v.shape == own[k].shape)
    for key in model.OPTIONAL_KEYS:
        if key in own and key not in state:
            state[key] = own[key]
    missing, unexpected = model.load_state_dict(state, strict=False)
    if strict and (missing or unexpected):  # pragma: no cover
        raise RuntimeError(f'missing {missing}, unexpected {unexpected}')
    if hasattr(model, '_params_init_info'):
        update_init_info(model,
                         init_info=f'PatchSelViT.load_pretrained: {source}')


def convert_on_load(module: nn.Module, state_dict: dict, prefix: str, *args,
                    **kwargs) -> None:
    """``load_state_dict`` pre-hook: convert the backbone's part in place.

    Makes ``model.load_state_dict`` / mmengine's ``load_checkpoint`` accept
    ViTPose and MAE naming under the backbone's prefix and resize a
    ``pos_embed`` saved for another grid, like mmpretrain's
    ``_prepare_pos_embed``. A dict already in this module's naming and grid
    passes through unchanged.
    """
    keys = [k for k in state_dict if k.startswith(prefix)]
    if not keys:
        return
    sub = OrderedDict((k[len(prefix):], state_dict[k]) for k in keys)
    fmt = detect_vit_format(sub)
    pos = sub.get('pos_embed')
    if fmt == 'mmpose' and (pos is None or tuple(pos.shape) == tuple(
            module.pos_embed.shape)):
        converted = sub
    else:
        converted = convert_vit_state_dict(
            sub,
            src_format=fmt,
            dst_grid=module.patch_resolution,
            interpolate_mode=module.interpolate_mode,
            logger=MMLogger.get_current_instance())
        for k in keys:
            del state_dict[k]
        for k, v in converted.items():
            state_dict[prefix + k] = v
    # A whole checkpoint of a 'zeros' model (or of ViTPose) loads into a
    # 'learned' one: the fill token keeps its initial value.
    if 'pos_embed' in converted:
        for key in module.OPTIONAL_KEYS:
            own = getattr(module, key, None)
            if isinstance(own, Tensor) and key not in converted:
                state_dict[prefix + key] = own.detach().clone()
