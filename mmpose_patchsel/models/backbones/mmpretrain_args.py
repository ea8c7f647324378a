"""mmpretrain ``VisionTransformer`` arguments that :class:`PatchSelViT` takes.

mmpose's ViTPose configs build ``mmpretrain.VisionTransformer`` with
arguments PatchSelViT has no parameter for (``with_cls_token=False``,
``out_type='featmap'``, ``patch_cfg=dict(padding=2)``). Accepting them lets
a config swap only the backbone ``type`` and inherit the rest. Each is
accepted only at a value PatchSelViT implements; any other value raises a
``ValueError`` naming the argument, so no setting is silently ignored.
"""
from typing import Any, Dict, Mapping, Optional, Sequence, Union

__all__ = ['MMPRETRAIN_FIXED_ARGS', 'resolve_mmpretrain_args']

#: mmpretrain arguments and the one value PatchSelViT implements for each.
MMPRETRAIN_FIXED_ARGS: Dict[str, Any] = dict(
    with_cls_token=False,  # only patch tokens, no cls token
    out_type='featmap',  # the (B, C, rows, cols) grid
    output_cls_token=False,  # mmcls 0.x spelling of the same
    frozen_stages=-1,  # nothing frozen
    layer_cfgs={},  # every block as the top-level arguments say
)
_OTHER_ARGS = ('patch_cfg', 'out_indices')


def _patch_cfg_padding(patch_cfg: Mapping) -> int:
    """The padding of an mmcv ``PatchEmbed`` config, an int (or equal
    pair); mmcv's string paddings (``'corner'``, the default) are
    adaptive and not implemented."""
    if not isinstance(patch_cfg, Mapping):
        raise ValueError(
            f'patch_cfg must be a dict, got patch_cfg={patch_cfg!r}')
    unknown = sorted(set(patch_cfg) - {'padding'})
    if unknown:
        raise ValueError(f'patch_cfg keys {unknown} are not supported '
                         f'(only padding), got patch_cfg={dict(patch_cfg)}')
    if 'padding' not in patch_cfg:
        raise ValueError(
            "patch_cfg without 'padding' means mmcv's adaptive 'corner' "
            'padding, which PatchSelViT does not implement; pass '
            'patch_cfg=dict(padding=N) or patch_padding=N')
    padding = patch_cfg['padding']
    if isinstance(padding, Sequence) and not isinstance(padding, str) and \
            len(padding) == 2 and padding[0] == padding[1]:
        padding = padding[0]
    if isinstance(padding, bool) or not isinstance(padding, int):
        raise ValueError(f'patch_cfg padding must be an int (or an equal '
                         f'pair), got padding={padding!r}')
    return padding


def _check_out_indices(out_indices: Union[int, Sequence[int]],
                       num_layers: int) -> None:
    indices = [out_indices] if isinstance(out_indices, int) else \
        list(out_indices)
    if indices not in ([-1], [num_layers - 1]):
        raise ValueError(f'out_indices={out_indices!r} is not supported: '
                         'PatchSelViT returns the last layer only (-1)')


def resolve_mmpretrain_args(args: Mapping[str, Any], num_layers: int,
                            patch_padding: Optional[int]) -> int:
    """Check mmpretrain-only arguments; return the patch padding to use.

    Args:
        args: the mmpretrain arguments PatchSelViT was given (keys of
            :data:`MMPRETRAIN_FIXED_ARGS`, ``patch_cfg``, ``out_indices``).
        num_layers: blocks of the backbone (for ``out_indices``).
        patch_padding: PatchSelViT's own ``patch_padding``; None takes
            ``patch_cfg['padding']`` or, without ``patch_cfg``, 2.

    Raises:
        TypeError: an argument neither PatchSelViT nor this module knows.
        ValueError: a value PatchSelViT does not implement, or
            ``patch_padding`` and ``patch_cfg`` that disagree.
    """
    unknown = sorted(set(args) - set(MMPRETRAIN_FIXED_ARGS) - set(_OTHER_ARGS))
    if unknown:
        raise TypeError(f'PatchSelViT got unexpected arguments {unknown}')
    for key, value in MMPRETRAIN_FIXED_ARGS.items():
        if key in args and args[key] != value:
            raise ValueError(f'{key}={args[key]!r} is not supported by '
                             f'PatchSelViT (only {key}={value!r})')
    if 'out_indices' in args:
        _check_out_indices(args['out_indices'], num_layers)
    if 'patch_cfg' not in args:
        return 2 if patch_padding is None else patch_padding
    padding = _patch_cfg_padding(args['patch_cfg'])
    if patch_padding is not None and patch_padding != padding:
        raise ValueError(f'patch_padding={patch_padding!r} contradicts '
                         f'patch_cfg=dict(padding={padding!r})')
    return padding
