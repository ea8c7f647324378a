"""Convert plain-ViT checkpoints to the naming of :class:`PatchSelViT`.

:class:`PatchSelViT` names its parameters exactly as mmpretrain's
``VisionTransformer`` does (the backbone of mmpose 1.x's ViTPose configs)::

    patch_embed.projection.{weight,bias}     Conv2d(3, C, 16, 16, padding=2)
    pos_embed                                (1, rows * cols, C), no cls entry
    layers.N.ln1.{weight,bias}               LayerNorm before attention
    layers.N.attn.qkv.{weight,bias}          Linear(C, 3C)
    layers.N.attn.proj.{weight,bias}         Linear(C, C)
    layers.N.attn.gamma1.weight              layer scale (only if enabled)
    layers.N.ln2.{weight,bias}               LayerNorm before the MLP
    layers.N.ffn.layers.0.0.{weight,bias}    Linear(C, 4C), then GELU
    layers.N.ffn.layers.1.{weight,bias}      Linear(4C, C)
    layers.N.ffn.gamma2.weight               layer scale (only if enabled)
    pre_norm.{weight,bias}                   only with ``pre_norm=True``
    ln1.{weight,bias}                        final norm (``final_norm=True``)
    fill_token                               ``restore_fill='learned'`` only

Three source formats are understood (:func:`detect_vit_format`):

``'mmpose'``
    mmpose 1.x ViTPose / mmpretrain ``VisionTransformer`` naming (the names
    above). A ``pos_embed`` that still carries a cls entry has it dropped, as
    mmpretrain's ``_prepare_pos_embed`` does with ``with_cls_token=False``;
    a ``cls_token`` is dropped.
``'vitpose'``
    The official ViTPose repository (``ViTAE-Transformer/ViTPose``,
    ``mmpose/models/backbones/vit.py``): ``blocks.N.norm1``, ``attn.qkv``,
    ``attn.proj``, ``norm2``, ``mlp.fc1``, ``mlp.fc2``, ``patch_embed.proj``,
    ``last_norm`` and a ``pos_embed`` of shape (1, 1 + N, C). ViTPose has no
    cls token and *adds* the first (cls) entry to every patch position
    (``x + pos_embed[:, 1:] + pos_embed[:, :1]``), so the conversion folds it
    in: ``pos_embed[:, 1:] + pos_embed[:, :1]``.
``'mae'``
    MAE pretraining / timm ViT weights (``facebookresearch/mae``,
    ``models_mae.py`` and ``models_vit.py``): ``blocks.N...`` as above,
    ``norm`` (final norm), ``cls_token`` and a ``pos_embed`` (1, 1 + 14 * 14,
    C) whose first entry belongs to the cls token. The patch tokens of MAE
    only ever see ``pos_embed[:, 1:]``, so the cls entry is dropped (in MAE
    pretraining it is the all-zero sin-cos entry anyway). ``cls_token``,
    ``mask_token``, the decoder (``decoder_*``), the classifier ``head`` and
    ``fc_norm`` are dropped.

Position embeddings are resized with bicubic interpolation
(``align_corners=False``, in float32, as mmpretrain and ViTPose do) when the
checkpoint grid differs from the model grid. Where the source grid is not
given it is inferred from the number of positions: the factorisation
``rows * cols`` whose aspect ratio is closest to the target grid's (a square
14 x 14 for MAE's 196, 16 x 12 for ViTPose's 192 at 256 x 192).

Everything here is torch-only; no mmpretrain or mmcv import is needed.
"""
import math
import re
from collections import OrderedDict
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'CheckpointMismatchError', 'SOURCE_FORMATS', 'detect_vit_format',
    'convert_vit_state_dict', 'resize_pos_embed', 'infer_pos_embed_grid',
    'select_state_dict', 'check_state_dict'
]

SOURCE_FORMATS = ('mmpose', 'vitpose', 'mae')

# ``blocks.N.<sub>`` (ViTPose / MAE / timm) -> ``layers.N.<sub>``.
_BLOCK_RENAMES = (
    ('norm1.', 'ln1.'),
    ('norm2.', 'ln2.'),
    ('attn.qkv.', 'attn.qkv.'),
    ('attn.proj.', 'attn.proj.'),
    ('mlp.fc1.', 'ffn.layers.0.0.'),
    ('mlp.fc2.', 'ffn.layers.1.'),
    # Layer scale: BEiT/DeiT-3 style and timm style.
    ('gamma_1', 'attn.gamma1.weight'),
    ('gamma_2', 'ffn.gamma2.weight'),
    ('ls1.gamma', 'attn.gamma1.weight'),
    ('ls2.gamma', 'ffn.gamma2.weight'),
)
# Keys of MAE / timm checkpoints that a patch-token backbone has no use for.
_MAE_DROP = re.compile(
    r'^(cls_token|mask_token|decoder_.*|head\..*|fc_norm\..*|dist_token)$')
_BLOCK_KEY = re.compile(r'^blocks\.(\d+)\.(.*)$')


class CheckpointMismatchError(RuntimeError):
    """A checkpoint does not fit the model.

    Attributes:
        missing (list[str]): model keys absent from the checkpoint.
        unexpected (list[str]): checkpoint keys the model does not have.
        mismatched (list[tuple]): ``(key, ckpt_shape, model_shape)``.
    """

    def __init__(self, missing: Sequence[str], unexpected: Sequence[str],
                 mismatched: Sequence[Tuple[str, tuple, tuple]],
                 source: str = ''):
        self.missing = list(missing)
        self.unexpected = list(unexpected)
        self.mismatched = list(mismatched)
        lines = ['checkpoint does not match the PatchSelViT backbone'
                 + (f' ({source})' if source else '') + ':']
        if self.missing:
            lines.append('  missing keys: ' + ', '.join(self.missing))
        if self.unexpected:
            lines.append('  unexpected keys: ' + ', '.join(self.unexpected))
        for key, ckpt_shape, model_shape in self.mismatched:
            lines.append(f'  shape mismatch for {key}: checkpoint '
                         f'{tuple(ckpt_shape)} vs model {tuple(model_shape)}')
        super().__init__('\n'.join(lines))


def detect_vit_format(state_dict: Mapping[str, Tensor]) -> str:
    """Which of :data:`SOURCE_FORMATS` a backbone state dict is written in.

    ``layers.N`` / ``patch_embed.projection`` -> ``'mmpose'``;
    ``blocks.N`` / ``patch_embed.proj`` with ``last_norm`` -> ``'vitpose'``;
    ``blocks.N`` with ``cls_token``, ``norm`` or decoder keys -> ``'mae'``;
    other ``blocks.N`` dicts -> ``'vitpose'`` (ViTPose with
    ``last_norm=False``, which is the only one without a cls token).
    """
    keys = list(state_dict)
    blocks = any(k.startswith('blocks.') or k.startswith('patch_embed.proj.')
                 for k in keys)
    layers = any(
        k.startswith('layers.') or k.startswith('patch_embed.projection.')
        for k in keys)
    if blocks and layers:
        raise ValueError('the state dict mixes mmpretrain (layers.N) and '
                         'timm/ViTPose (blocks.N) parameter names')
    if not blocks:
        return 'mmpose'
    if any(k.startswith('last_norm.') for k in keys):
        return 'vitpose'
    if ('cls_token' in state_dict or 'norm.weight' in state_dict
            or any(k.startswith('decoder_') for k in keys)):
        return 'mae'
    return 'vitpose'


def _is_square(n: int) -> bool:
    return n >= 0 and math.isqrt(n)**2 == n


def infer_pos_embed_grid(num_positions: int,
                         target_grid: Optional[Sequence[int]] = None
                         ) -> Tuple[int, int]:
    """Grid (rows, cols) of a flattened position embedding.

    The number of positions alone does not fix the grid; the factorisation
    whose aspect ratio is closest to ``target_grid`` wins (squares on ties;
    a square when no target is given and the count is a square).
    """
    if num_positions < 1:
        raise ValueError(f'cannot infer the grid of {num_positions} '
                         'positions')
    if target_grid is not None and \
            target_grid[0] * target_grid[1] == num_positions:
        return int(target_grid[0]), int(target_grid[1])
    if target_grid is None:
        if _is_square(num_positions):
            side = math.isqrt(num_positions)
            return side, side
        raise ValueError(
            f'{num_positions} positions do not form a square grid; give the '
            'source grid explicitly')
    target = math.log(target_grid[0] / target_grid[1])
    best = None
    for rows in range(1, num_positions + 1):
        if num_positions % rows:
            continue
        cols = num_positions // rows
        score = (abs(math.log(rows / cols) - target), rows != cols)
        if best is None or score < best[0]:
            best = (score, (rows, cols))
    return best[1]


def resize_pos_embed(pos_embed: Tensor,
                     src_grid: Sequence[int],
                     dst_grid: Sequence[int],
                     mode: str = 'bicubic') -> Tensor:
    """Resize a (1, rows * cols, C) position embedding to another grid.

    Same arithmetic as mmpretrain's ``resize_pos_embed`` with no extra
    tokens (and ViTPose's ``get_abs_pos``): interpolate the (1, C, rows,
    cols) grid in float32 with ``align_corners=False``.
    """
    src_grid = (int(src_grid[0]), int(src_grid[1]))
    dst_grid = (int(dst_grid[0]), int(dst_grid[1]))
    if src_grid == dst_grid:
        return pos_embed
    if pos_embed.dim() != 3 or pos_embed.shape[1] != src_grid[0] * src_grid[1]:
        raise ValueError(f'pos_embed of shape {tuple(pos_embed.shape)} does '
                         f'not hold a {src_grid[0]}x{src_grid[1]} grid')
    channels = pos_embed.shape[2]
    grid = pos_embed.reshape(1, *src_grid, channels).permute(0, 3, 1, 2)
    grid = F.interpolate(
        grid.float(), size=dst_grid, mode=mode, align_corners=False)
    return grid.flatten(2).transpose(1, 2).to(pos_embed.dtype)


def _rename_block_key(key: str) -> str:
    match = _BLOCK_KEY.match(key)
    if match is None:
        return key
    index, rest = match.groups()
    for old, new in _BLOCK_RENAMES:
        if rest.startswith(old):
            rest = new + rest[len(old):]
            break
    return f'layers.{index}.{rest}'


def _resize_patch_kernel(weight: Tensor, kernel: Tuple[int, int],
                         mode: str) -> Tensor:
    """ViTPose's ``patch_padding`` for kernels of another size (14 -> 16)."""
    orig = tuple(weight.shape[2:])
    if orig == tuple(kernel):
        return weight
    if mode == 'pad':
        dh, dw = kernel[0] - orig[0], kernel[1] - orig[1]
        if dh < 0 or dw < 0:
            raise ValueError(f'cannot pad a {orig} patch kernel to {kernel}')
        return F.pad(weight, (dw // 2, dw - dw // 2, dh // 2, dh - dh // 2))
    if mode in ('bilinear', 'bicubic'):
        return F.interpolate(
            weight.float(), size=tuple(kernel), mode=mode,
            align_corners=False).to(weight.dtype)
    raise ValueError(f"patch_kernel_resize must be None, 'pad', 'bilinear' "
                     f"or 'bicubic', got {mode!r}")


def convert_vit_state_dict(state_dict: Mapping[str, Tensor],
                           src_format: str = 'auto',
                           dst_grid: Optional[Sequence[int]] = None,
                           src_grid: Optional[Sequence[int]] = None,
                           interpolate_mode: str = 'bicubic',
                           patch_kernel: Optional[Sequence[int]] = None,
                           patch_kernel_resize: Optional[str] = None,
                           logger=None) -> 'OrderedDict[str, Tensor]':
    """Rename a backbone state dict to :class:`PatchSelViT`'s naming.

    Args:
        state_dict: backbone keys without any ``backbone.`` prefix (see
            :func:`select_state_dict`).
        src_format: one of :data:`SOURCE_FORMATS` or ``'auto'``.
        dst_grid: the model's (rows, cols); ``pos_embed`` is interpolated to
            it when it differs. ``None`` keeps its length.
        src_grid: the checkpoint's (rows, cols), inferred when ``None``.
        interpolate_mode: ``F.interpolate`` mode for ``pos_embed``.
        patch_kernel: the model's patch kernel (h, w), needed with
            ``patch_kernel_resize``.
        patch_kernel_resize: ``None`` (a kernel of another size is left
            alone and reported as a shape mismatch on load), or ``'pad'``
            (zero pad, ViTPose's default for MAE-H/14 weights),
            ``'bilinear'`` or ``'bicubic'``.
        logger: optional ``logging``-style logger for what was changed.

    Returns:
        A new ordered dict; the input is not modified. Keys that do not
        belong to the format are kept so that loading reports them.
    """
    if src_format == 'auto':
        src_format = detect_vit_format(state_dict)
    if src_format not in SOURCE_FORMATS:
        raise ValueError(f'src_format must be "auto" or one of '
                         f'{SOURCE_FORMATS}, got {src_format!r}')

    out: 'OrderedDict[str, Tensor]' = OrderedDict()
    dropped: List[str] = []
    for key, value in state_dict.items():
        if src_format == 'mmpose':
            if key == 'cls_token':
                dropped.append(key)
                continue
            out[key] = value
            continue
        if src_format == 'mae' and _MAE_DROP.match(key):
            dropped.append(key)
            continue
        if key.startswith('patch_embed.proj.'):
            new_key = 'patch_embed.projection.' + key[len(
                'patch_embed.proj.'):]
        elif key.startswith('blocks.'):
            new_key = _rename_block_key(key)
        elif src_format == 'vitpose' and key.startswith('last_norm.'):
            new_key = 'ln1.' + key[len('last_norm.'):]
        elif src_format == 'mae' and key.startswith('norm.'):
            new_key = 'ln1.' + key[len('norm.'):]
        else:
            new_key = key
        out[new_key] = value

    if 'pos_embed' in out:
        out['pos_embed'] = _convert_pos_embed(
            out['pos_embed'], src_format, 'cls_token' in state_dict, dst_grid,
            src_grid, interpolate_mode, logger)

    key = 'patch_embed.projection.weight'
    if patch_kernel_resize is not None and key in out:
        if patch_kernel is None:
            raise ValueError('patch_kernel_resize needs patch_kernel')
        before = tuple(out[key].shape[2:])
        out[key] = _resize_patch_kernel(out[key], tuple(patch_kernel),
                                        patch_kernel_resize)
        if before != tuple(out[key].shape[2:]) and logger is not None:
            logger.info(f'Resized the patch kernel {before} -> '
                        f'{tuple(patch_kernel)} ({patch_kernel_resize})')
    if dropped and logger is not None:
        logger.info(f'Dropped checkpoint keys unused by the backbone '
                    f'({src_format} format): {", ".join(dropped)}')
    return out


def _convert_pos_embed(pos: Tensor, src_format: str, has_cls_token: bool,
                       dst_grid, src_grid, mode: str, logger) -> Tensor:
    if pos.dim() == 2:
        pos = pos[None]
    if pos.dim() != 3 or pos.shape[0] != 1:
        raise ValueError(f'pos_embed must be (1, L, C), got '
                         f'{tuple(pos.shape)}')
    length = pos.shape[1]
    dst_len = None if dst_grid is None else dst_grid[0] * dst_grid[1]
    src_len = None if src_grid is None else src_grid[0] * src_grid[1]
    if src_format == 'vitpose':
        # ViTPose: x + pos_embed[:, 1:] + pos_embed[:, :1].
        pos = pos[:, 1:] + pos[:, :1]
    elif src_format == 'mae':
        pos = pos[:, 1:]
    else:
        # mmpretrain drops a cls entry the backbone does not use.
        expected = src_len if src_len is not None else dst_len
        with_cls = has_cls_token or (
            expected is not None and length == expected + 1) or (
                src_len is None and length != dst_len
                and _is_square(length - 1) and not _is_square(length))
        if with_cls:
            pos = pos[:, 1:]
    if dst_grid is None:
        return pos
    grid = tuple(src_grid) if src_grid is not None else \
        infer_pos_embed_grid(pos.shape[1], dst_grid)
    if grid[0] * grid[1] != pos.shape[1]:
        raise ValueError(f'pos_embed holds {pos.shape[1]} patch positions, '
                         f'not a {grid[0]}x{grid[1]} grid')
    if tuple(grid) != tuple(dst_grid):
        if logger is not None:
            logger.info(f'Resized pos_embed from a {grid[0]}x{grid[1]} to a '
                        f'{dst_grid[0]}x{dst_grid[1]} grid ({mode})')
        pos = resize_pos_embed(pos, grid, dst_grid, mode)
    return pos


def _unwrap(checkpoint: Mapping) -> Mapping[str, Tensor]:
    for name in ('state_dict', 'model', 'module'):
        if name in checkpoint and isinstance(checkpoint[name], Mapping):
            return checkpoint[name]
    return checkpoint


_BACKBONE_ROOTS = ('pos_embed', 'cls_token', 'patch_embed.', 'layers.',
                   'blocks.')


def _looks_like_backbone(key: str) -> bool:
    return any(key == r or key.startswith(r) for r in _BACKBONE_ROOTS)


def select_state_dict(checkpoint: Mapping,
                      prefix: Optional[str] = None
                      ) -> 'OrderedDict[str, Tensor]':
    """The backbone's entries of a loaded checkpoint, prefix stripped.

    Unwraps ``state_dict`` / ``model`` / ``module``, strips a DataParallel
    ``module.`` prefix, and keeps the keys under ``prefix`` (stripped). With
    ``prefix=None`` and no backbone keys at the top level but some under
    ``backbone.`` (a whole pose model), ``backbone.`` is used, as ViTPose's
    own loader does.
    """
    state_dict = _unwrap(checkpoint)
    if not isinstance(state_dict, Mapping):
        raise TypeError(f'no state dict found in the checkpoint (got '
                        f'{type(state_dict).__name__})')
    keys = list(state_dict)
    if keys and all(k.startswith('module.') for k in keys):
        state_dict = OrderedDict(
            (k[len('module.'):], v) for k, v in state_dict.items())
        keys = list(state_dict)
    if prefix is None and not any(_looks_like_backbone(k) for k in keys) \
            and any(k.startswith('backbone.') for k in keys):
        prefix = 'backbone.'
    if not prefix:
        return OrderedDict(state_dict)
    selected = OrderedDict((k[len(prefix):], v)
                           for k, v in state_dict.items()
                           if k.startswith(prefix))
    if not selected:
        raise KeyError(f'no key of the checkpoint starts with the prefix '
                       f'{prefix!r} (first keys: {keys[:5]})')
    return selected


def check_state_dict(model_state: Mapping[str, Tensor],
                     ckpt_state: Mapping[str, Tensor],
                     optional: Iterable[str] = (),
                     source: str = '') -> None:
    """Raise :class:`CheckpointMismatchError` unless keys and shapes match.

    Keys in ``optional`` may be absent from the checkpoint.
    """
    optional = set(optional)
    missing = [k for k in model_state
               if k not in ckpt_state and k not in optional]
    unexpected = [k for k in ckpt_state if k not in model_state]
    mismatched = [(k, tuple(v.shape), tuple(model_state[k].shape))
                  for k, v in ckpt_state.items()
                  if k in model_state
                  and tuple(v.shape) != tuple(model_state[k].shape)]
    if missing or unexpected or mismatched:
        raise CheckpointMismatchError(missing, unexpected, mismatched, source)
