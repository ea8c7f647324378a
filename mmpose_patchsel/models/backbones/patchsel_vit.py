"""A ViTPose-style plain ViT that runs only on selected patch tokens.

Kinfu & Vidal, "Efficient Vision Transformer for Human Pose Estimation via
Patch Selection" (BMVC 2023): the transformer sees only the selected patch
tokens; the unselected ones leave the sequence (it really gets shorter, so
FLOPs and time fall) and come back as zeros on the feature grid in front of
the usual heatmap head.

The module mirrors mmpretrain's ``VisionTransformer`` as mmpose 1.x's ViTPose
configs build it (``with_cls_token=False``, ``out_type='featmap'``,
``patch_cfg=dict(padding=2)``, ``qkv_bias=True``, ``pre_norm=False``,
``layer_scale_init_value=0``, LN eps 1e-6) with the *same parameter names*,
so mmpose ViTPose checkpoints load directly and mmpose's
``LayerDecayOptimWrapperConstructor`` finds the depth of every parameter. It
needs neither mmpretrain nor mmcv ops; attention goes through
``torch.nn.functional.scaled_dot_product_attention``.
"""
import copy
from collections import OrderedDict
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.logging import MMLogger, print_log
from mmengine.model import BaseModule
from mmengine.model.weight_init import PretrainedInit, trunc_normal_
from mmengine.runner.checkpoint import CheckpointLoader
from mmpose.registry import MODELS
from torch import Tensor

from .vit_checkpoint import (check_state_dict, convert_vit_state_dict,
                             detect_vit_format, resize_pos_embed,
                             select_state_dict)

__all__ = ['PatchSelViT', 'vit_grid_size']

IntPair = Union[int, Sequence[int]]


def _pair(value: IntPair) -> Tuple[int, int]:
    if isinstance(value, (int, np.integer)):
        return int(value), int(value)
    value = tuple(int(v) for v in value)
    if len(value) != 2:
        raise ValueError(f'expected an int or an (h, w) pair, got {value}')
    return value


def vit_grid_size(img_size: IntPair,
                  patch_size: IntPair = 16,
                  padding: IntPair = 2) -> Tuple[int, int]:
    """Token grid (rows, cols) of a patch embedding on an (h, w) input.

    ``floor((s + 2 * pad - patch) / patch) + 1`` per axis (a Conv2d with
    kernel = stride = ``patch_size``): 256x192 -> 16x12, 384x288 -> 24x18,
    250x190 -> 15x12.
    """
    (h, w), (ph, pw), (pad_h, pad_w) = (_pair(img_size), _pair(patch_size),
                                        _pair(padding))
    rows = (h + 2 * pad_h - ph) // ph + 1
    cols = (w + 2 * pad_w - pw) // pw + 1
    if rows < 1 or cols < 1:
        raise ValueError(f'input {h}x{w} is smaller than one {ph}x{pw} '
                         f'patch (padding {pad_h}x{pad_w})')
    return rows, cols


def drop_path(x: Tensor, drop_prob: float, training: bool) -> Tensor:
    """Stochastic depth per sample (of the residual branch)."""
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    mask = x.new_empty((x.shape[0], ) + (1, ) * (x.dim() - 1))
    mask.bernoulli_(keep_prob)
    return x * mask.div_(keep_prob)


class DropPath(nn.Module):
    """Stochastic depth (mmcv's ``DropPath``; no parameters)."""

    def __init__(self, drop_prob: float = 0.):
        super().__init__()
        self.drop_prob = float(drop_prob)

    def forward(self, x: Tensor) -> Tensor:
        return drop_path(x, self.drop_prob, self.training)

    def extra_repr(self) -> str:
        return f'drop_prob={self.drop_prob}'


class LayerScale(nn.Module):
    """Per-channel scale; parameter ``weight`` as in mmpretrain / mmcv."""

    def __init__(self, dim: int, init_value: float):
        super().__init__()
        self.weight = nn.Parameter(torch.full((dim, ), float(init_value)))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.weight


class PatchEmbed(nn.Module):
    """mmcv's ``PatchEmbed`` with an integer padding: ``projection`` conv."""

    def __init__(self, in_channels: int, embed_dims: int, patch_size: IntPair,
                 padding: IntPair, bias: bool, input_size: IntPair):
        super().__init__()
        self.patch_size = _pair(patch_size)
        self.padding = _pair(padding)
        self.projection = nn.Conv2d(
            in_channels,
            embed_dims,
            kernel_size=self.patch_size,
            stride=self.patch_size,
            padding=self.padding,
            bias=bias)
        self.init_input_size = _pair(input_size)
        self.init_out_size = vit_grid_size(input_size, self.patch_size,
                                           self.padding)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tuple[int, int]]:
        x = self.projection(x)
        out_size = (x.shape[2], x.shape[3])
        return x.flatten(2).transpose(1, 2), out_size


class MultiheadAttention(nn.Module):
    """mmpretrain's ``MultiheadAttention`` (``qkv``, ``proj``) on SDPA.

    ``attn_mask`` is a boolean mask broadcastable to (B, heads, L, L) where
    True means "may attend" (SDPA's convention).
    """

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 qkv_bias: bool = True,
                 attn_drop: float = 0.,
                 proj_drop: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 0.):
        super().__init__()
        if embed_dims % num_heads:
            raise ValueError(f'embed_dims={embed_dims} is not divisible by '
                             f'num_heads={num_heads}')
        self.embed_dims = embed_dims
        self.num_heads = num_heads
        self.head_dims = embed_dims // num_heads
        self.attn_drop = attn_drop
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(embed_dims, embed_dims)
        self.proj_drop = nn.Dropout(proj_drop)
        self.out_drop = DropPath(drop_path_rate)
        if layer_scale_init_value > 0:
            self.gamma1 = LayerScale(embed_dims, layer_scale_init_value)
        else:
            self.gamma1 = nn.Identity()

    def forward(self, x: Tensor, attn_mask: Optional[Tensor] = None) -> Tensor:
        return self.project(self.attend(*self.qkv_heads(x), attn_mask))

    # The three steps of ``forward``, for subclasses and backbones that need
    # the queries and keys too (e.g. to rank tokens by attention).
    def qkv_heads(self, x: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """q, k, v, each (B, heads, L, head_dims), of tokens (B, L, C)."""
        B, L, _ = x.shape
        qkv = self.qkv(x).reshape(B, L, 3, self.num_heads,
                                  self.head_dims).permute(2, 0, 3, 1, 4)
        return qkv.unbind(0)

    def attend(self,
               q: Tensor,
               k: Tensor,
               v: Tensor,
               attn_mask: Optional[Tensor] = None) -> Tensor:
        """SDPA (with attention dropout in training) -> (B, heads, L, d)."""
        return F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask,
            dropout_p=self.attn_drop if self.training else 0.)

    def project(self, x: Tensor) -> Tensor:
        """Merge the heads of (B, heads, L, d), then output projection,
        dropout, layer scale and drop path."""
        B, _, L, _ = x.shape
        x = x.transpose(1, 2).reshape(B, L, self.embed_dims)
        x = self.proj_drop(self.proj(x))
        return self.out_drop(self.gamma1(x))


class FFN(nn.Module):
    """mmcv's ``FFN`` with two fcs: ``layers.0.0`` -> GELU -> ``layers.1``."""

    def __init__(self,
                 embed_dims: int,
                 feedforward_channels: int,
                 ffn_drop: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 0.):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Sequential(
                nn.Linear(embed_dims, feedforward_channels), nn.GELU(),
                nn.Dropout(ffn_drop)),
            nn.Linear(feedforward_channels, embed_dims), nn.Dropout(ffn_drop))
        self.dropout_layer = DropPath(drop_path_rate)
        if layer_scale_init_value > 0:
            self.gamma2 = LayerScale(embed_dims, layer_scale_init_value)
        else:
            self.gamma2 = nn.Identity()

    def forward(self, x: Tensor, identity: Tensor) -> Tensor:
        return identity + self.dropout_layer(self.gamma2(self.layers(x)))


class TransformerEncoderLayer(nn.Module):
    """Pre-norm block: ``x + attn(ln1(x))``, then ``x + ffn(ln2(x))``."""

    def __init__(self,
                 embed_dims: int,
                 num_heads: int,
                 feedforward_channels: int,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 0.,
                 norm_eps: float = 1e-6):
        super().__init__()
        self.ln1 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.attn = MultiheadAttention(
            embed_dims, num_heads, qkv_bias=qkv_bias,
            attn_drop=attn_drop_rate, proj_drop=drop_rate,
            drop_path_rate=drop_path_rate,
            layer_scale_init_value=layer_scale_init_value)
        self.ln2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.ffn = FFN(
            embed_dims, feedforward_channels, ffn_drop=drop_rate,
            drop_path_rate=drop_path_rate,
            layer_scale_init_value=layer_scale_init_value)

    def forward(self, x: Tensor, attn_mask: Optional[Tensor] = None) -> Tensor:
        x = x + self.attn(self.ln1(x), attn_mask)
        return self.ffn(self.ln2(x), identity=x)


def sincos_pos_embed(grid: Tuple[int, int], dims: int) -> Tensor:
    """A 2D sin-cos position table as MAE's, (H*W, dims), rows in raster order:
    the first half of the channels encodes the row, the second the column,
    each as sin/cos at dims/4 frequencies 1/10000^(i/(dims/4))."""
    if dims % 4:
        raise ValueError(f'sin-cos position embedding needs embed_dims '
                         f'divisible by 4, got {dims}')
    h, w = grid
    omega = 1.0 / 10000**(torch.arange(dims // 4, dtype=torch.float64) /
                          (dims // 4))
    rows, cols = torch.meshgrid(
        torch.arange(h, dtype=torch.float64),
        torch.arange(w, dtype=torch.float64), indexing='ij')
    parts = []
    for pos in (rows.reshape(-1), cols.reshape(-1)):
        angle = pos[:, None] * omega[None]
        parts += [torch.sin(angle), torch.cos(angle)]
    return torch.cat(parts, dim=1).float()


@MODELS.register_module()
class PatchSelViT(BaseModule):
    """Plain ViT (ViTPose backbone) that runs on selected patches only.

    Args:
        arch (str | dict): ``'small'``, ``'base'``, ``'large'``, ``'huge'``
            (or ``'s'``, ``'b'``, ``'l'``, ``'h'``), or a dict with
            ``embed_dims``, ``num_layers``, ``num_heads`` and optionally
            ``feedforward_channels`` (default ``4 * embed_dims``). Note that
            ``'small'`` is ViTPose-S (384 dims, 12 layers, 12 heads), which
            mmpose's ViTPose-S config spells as an arch dict; mmpretrain's
            own ``'small'`` is a different network.
        img_size (int | tuple): Input (h, w) the position embedding is laid
            out for. Other input sizes work too: the embedding is then
            bicubically resized on the fly, as in mmpretrain.
        patch_size (int): Patch size. Defaults to 16.
        patch_padding (int | tuple): Zero padding of the patch embedding
            conv (``patch_cfg=dict(padding=2)`` in mmpose's ViTPose).
        in_channels (int): Input channels. Defaults to 3.
        qkv_bias (bool): Bias of the qkv projection. Defaults to True.
        drop_rate (float): Dropout after the position embedding, the
            attention projection and in the MLP. Defaults to 0.
        attn_drop_rate (float): Attention dropout. Defaults to 0.
        drop_path_rate (float): Stochastic depth, linearly increasing over
            the layers from 0 (mmpose ViTPose: S 0.1, B 0.3, L 0.5,
            H 0.55). Defaults to 0.
        norm_cfg (dict): ``dict(type='LN', eps=1e-6)``; only LN.
        final_norm (bool): LayerNorm ``ln1`` after the last layer (before
            restoring the grid). Defaults to True.
        pre_norm (bool): LayerNorm ``pre_norm`` right after the position
            embedding (CLIP style; disables the patch-embed bias, as in
            mmpretrain). Defaults to False.
        layer_scale_init_value (float): Layer scale (``attn.gamma1``,
            ``ffn.gamma2``) when > 0. Defaults to 0 (none).
        interpolate_mode (str): Mode to resize position embeddings for other
            grids (checkpoints, other input sizes). Defaults to 'bicubic'.
        restore_fill (str): What unselected (and padding) positions of the
            output grid hold: ``'zeros'`` (default) or ``'learned'``, one
            learned token ``fill_token`` (1, 1, C), initialised to zeros.
            Zeros is the default because it is the paper's choice: the head
            sees exactly nothing where no token was computed, the backbone
            keeps exactly ViTPose's parameters (checkpoints load strictly
            in both directions), and nothing is tuned to one selection
            budget. A checkpoint without ``fill_token`` loads into a
            ``'learned'`` model, which then starts as the zeros model.
        init_cfg (dict | list, optional): mmengine init config. A
            ``dict(type='Pretrained', checkpoint=..., prefix=...)`` is
            loaded through :mod:`.vit_checkpoint`, so mmpose/mmpretrain,
            official ViTPose and MAE checkpoints all work, position
            embeddings are resized, and a checkpoint that does not fit raises
            :class:`~.vit_checkpoint.CheckpointMismatchError`. Optional keys
            of that dict: ``strict`` (default True; False only logs the
            mismatch and loads what fits), ``src_format`` (``'auto'``,
            ``'mmpose'``, ``'vitpose'``, ``'mae'``), ``src_grid`` (the
            checkpoint's (rows, cols) when it cannot be inferred),
            ``patch_kernel_resize`` (``'pad'`` to load 14x14 kernels such as
            MAE-H/14 into 16x16 ones, ViTPose's default) and
            ``map_location``.

    Forward:
        ``forward(x, keep_indices=None, key_padding_mask=None)`` with ``x``
        (B, 3, H, W). ``keep_indices`` (B, K) int64 lists the kept positions
        of the row-major token grid (``r * cols + c``, unique per row); only
        those K tokens (with their position embeddings) go through the
        transformer. ``key_padding_mask`` (B, K) bool marks padding entries
        (True) of rows holding fewer than K tokens: they are masked out of
        attention as keys and dropped when the grid is restored, so their
        index may be any valid position (the estimator pads with 0). Every
        row must keep at least one token (checked; one host sync). Returns
        a 1-tuple with the (B, C, rows, cols) feature map; without
        ``keep_indices`` it is exactly the full ViT.
    """
    arch_zoo = {
        **dict.fromkeys(
            ['s', 'small'], {
                'embed_dims': 384,
                'num_layers': 12,
                'num_heads': 12,
                'feedforward_channels': 384 * 4
            }),
        **dict.fromkeys(
            ['b', 'base'], {
                'embed_dims': 768,
                'num_layers': 12,
                'num_heads': 12,
                'feedforward_channels': 768 * 4
            }),
        **dict.fromkeys(
            ['l', 'large'], {
                'embed_dims': 1024,
                'num_layers': 24,
                'num_heads': 16,
                'feedforward_channels': 1024 * 4
            }),
        **dict.fromkeys(
            ['h', 'huge'], {
                'embed_dims': 1280,
                'num_layers': 32,
                'num_heads': 16,
                'feedforward_channels': 1280 * 4
            }),
    }
    RESTORE_FILLS = ('zeros', 'learned')
    #: 'normal': mmpretrain's N(0, .02); 'sincos': MAE's fixed 2D sin-cos
    #: table as a (learnable) start, for training without MAE weights.
    POS_EMBED_INITS = ('normal', 'sincos')
    #: Block class (a subclass may return more, keeping parameter names).
    layer_cls = TransformerEncoderLayer
    #: Parameters a checkpoint may lack (kept as initialised when loading).
    OPTIONAL_KEYS = ('fill_token', )

    def __init__(self,
                 arch: Union[str, dict] = 'base',
                 img_size: IntPair = (256, 192),
                 patch_size: int = 16,
                 patch_padding: IntPair = 2,
                 in_channels: int = 3,
                 qkv_bias: bool = True,
                 drop_rate: float = 0.,
                 attn_drop_rate: float = 0.,
                 drop_path_rate: float = 0.,
                 norm_cfg: dict = dict(type='LN', eps=1e-6),
                 final_norm: bool = True,
                 pre_norm: bool = False,
                 layer_scale_init_value: float = 0.,
                 interpolate_mode: str = 'bicubic',
                 restore_fill: str = 'zeros',
                 pos_embed_init: str = 'normal',
                 init_cfg: Optional[Union[dict, list]] = None):
        super().__init__(init_cfg=init_cfg)
        if pos_embed_init not in self.POS_EMBED_INITS:
            raise ValueError(f'pos_embed_init must be one of '
                             f'{self.POS_EMBED_INITS}, got '
                             f'{pos_embed_init!r}')
        self.pos_embed_init = pos_embed_init
        if isinstance(arch, str):
            key = arch.lower()
            if key not in self.arch_zoo:
                raise KeyError(f'arch {arch!r} is not one of '
                               f'{sorted(set(self.arch_zoo))}')
            arch = self.arch_zoo[key]
        else:
            essential = {'embed_dims', 'num_layers', 'num_heads'}
            if not isinstance(arch, dict) or not essential <= set(arch):
                raise KeyError(f'a custom arch needs a dict with keys '
                               f'{sorted(essential)}, got {arch!r}')
            arch = dict(arch)
            arch.setdefault('feedforward_channels', 4 * arch['embed_dims'])
        self.arch_settings = copy.deepcopy(arch)
        self.embed_dims = int(arch['embed_dims'])
        self.num_layers = int(arch['num_layers'])
        self.num_heads = int(arch['num_heads'])
        norm_cfg = dict(norm_cfg or {})
        if norm_cfg.pop('type', 'LN') != 'LN' or set(norm_cfg) - {'eps'}:
            raise ValueError(f'only dict(type="LN", eps=...) norms are '
                             f'supported, got {norm_cfg}')
        norm_eps = norm_cfg.get('eps', 1e-6)
        if restore_fill not in self.RESTORE_FILLS:
            raise ValueError(f'restore_fill must be one of '
                             f'{self.RESTORE_FILLS}, got {restore_fill!r}')
        self.restore_fill = restore_fill
        self.interpolate_mode = interpolate_mode
        self.img_size = _pair(img_size)

        self.patch_embed = PatchEmbed(
            in_channels, self.embed_dims, patch_size, patch_padding,
            bias=not pre_norm, input_size=self.img_size)
        self.patch_resolution = self.patch_embed.init_out_size
        self.pos_embed = nn.Parameter(
            torch.zeros(1, self.num_patches, self.embed_dims))
        self.drop_after_pos = nn.Dropout(p=drop_rate)
        self.pre_norm = (
            nn.LayerNorm(self.embed_dims, eps=norm_eps)
            if pre_norm else nn.Identity())

        dpr = np.linspace(0, drop_path_rate, self.num_layers)
        self.layers = nn.ModuleList([
            self.layer_cls(
                self.embed_dims,
                self.num_heads,
                int(arch['feedforward_channels']),
                qkv_bias=qkv_bias,
                drop_rate=drop_rate,
                attn_drop_rate=attn_drop_rate,
                drop_path_rate=float(dpr[i]),
                layer_scale_init_value=layer_scale_init_value,
                norm_eps=norm_eps) for i in range(self.num_layers)
        ])
        self.final_norm = final_norm
        if final_norm:
            self.ln1 = nn.LayerNorm(self.embed_dims, eps=norm_eps)
        if restore_fill == 'learned':
            self.fill_token = nn.Parameter(torch.zeros(1, 1, self.embed_dims))
        else:
            self.register_parameter('fill_token', None)
        self.register_load_state_dict_pre_hook(_convert_on_load)

    # ------------------------------------------------------------------
    # Geometry
    @property
    def num_patches(self) -> int:
        """Tokens of the full grid at ``img_size``."""
        return self.patch_resolution[0] * self.patch_resolution[1]

    def grid_size(self, img_size: Optional[IntPair] = None
                  ) -> Tuple[int, int]:
        """Token grid (rows, cols) for an (h, w) input (``img_size`` if
        None); ``keep_indices`` index its row-major flattening."""
        if img_size is None:
            return self.patch_resolution
        return vit_grid_size(img_size, self.patch_embed.patch_size,
                             self.patch_embed.padding)

    # ------------------------------------------------------------------
    # Forward
    def _pos_embed_for(self, grid: Tuple[int, int]) -> Tensor:
        return resize_pos_embed(self.pos_embed, self.patch_resolution, grid,
                                self.interpolate_mode)

    def forward(self,
                x: Tensor,
                keep_indices: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None
                ) -> Tuple[Tensor]:
        B = x.shape[0]
        x, grid = self.patch_embed(x)
        num_tokens = grid[0] * grid[1]
        x = x + self._pos_embed_for(grid)

        attn_mask = None
        if keep_indices is not None:
            keep_indices, key_padding_mask = self._check_selection(
                keep_indices, key_padding_mask, B, num_tokens)
            x = torch.gather(
                x, 1, keep_indices[..., None].expand(-1, -1, x.shape[-1]))
            if key_padding_mask is not None:
                # SDPA: True = may attend. (B, 1, 1, K) masks padding keys.
                attn_mask = ~key_padding_mask[:, None, None, :]
        elif key_padding_mask is not None:
            raise ValueError('key_padding_mask needs keep_indices')

        x = self.drop_after_pos(x)
        x = self.pre_norm(x)
        for layer in self.layers:
            x = layer(x, attn_mask)
        if self.final_norm:
            x = self.ln1(x)

        if keep_indices is not None:
            x = self.restore(x, keep_indices, key_padding_mask, num_tokens)
        # (B, N, C) -> (B, rows, cols, C) -> (B, C, rows, cols)
        return (x.reshape(B, *grid, -1).permute(0, 3, 1, 2), )

    @staticmethod
    def _check_selection(keep_indices: Tensor,
                         key_padding_mask: Optional[Tensor], batch: int,
                         num_tokens: int
                         ) -> Tuple[Tensor, Optional[Tensor]]:
        if keep_indices.dim() == 1:
            keep_indices = keep_indices[None].expand(batch, -1)
        if keep_indices.dim() != 2 or keep_indices.shape[0] != batch:
            raise ValueError(f'keep_indices must be (B={batch}, K), got '
                             f'{tuple(keep_indices.shape)}')
        if keep_indices.dtype != torch.long:
            if keep_indices.dtype.is_floating_point or \
                    keep_indices.dtype == torch.bool:
                raise TypeError('keep_indices must be an integer tensor, '
                                f'got {keep_indices.dtype}')
            keep_indices = keep_indices.long()
        if keep_indices.shape[1] < 1 or keep_indices.shape[1] > num_tokens:
            raise ValueError(f'keep_indices keeps {keep_indices.shape[1]} '
                             f'tokens of a {num_tokens}-token grid')
        if key_padding_mask is not None:
            if key_padding_mask.dtype != torch.bool or \
                    key_padding_mask.shape != keep_indices.shape:
                raise ValueError(
                    'key_padding_mask must be a bool tensor shaped like '
                    f'keep_indices {tuple(keep_indices.shape)}, got '
                    f'{key_padding_mask.dtype} '
                    f'{tuple(key_padding_mask.shape)}')
            if bool(key_padding_mask.all(dim=1).any()):
                raise ValueError('a sample of the batch has only padding '
                                 'tokens; every sample must keep >= 1')
        return keep_indices, key_padding_mask

    def restore(self,
                tokens: Tensor,
                keep_indices: Tensor,
                key_padding_mask: Optional[Tensor] = None,
                num_tokens: Optional[int] = None) -> Tensor:
        """Scatter (B, K, C) kept tokens back onto a (B, N, C) grid.

        Unselected positions get zeros or ``fill_token``; padding entries
        (``key_padding_mask`` True) are written nowhere.
        """
        B, _, C = tokens.shape
        N = self.num_patches if num_tokens is None else num_tokens
        index = keep_indices
        if key_padding_mask is not None:
            # Padding goes to a spare slot N that is cut off afterwards.
            index = index.masked_fill(key_padding_mask, N)
        slots = N + (key_padding_mask is not None)
        if self.fill_token is not None:
            base = self.fill_token.to(tokens.dtype).expand(B, slots, C)
        else:
            base = tokens.new_zeros(B, slots, C)
        out = base.scatter(1, index[..., None].expand(-1, -1, C), tokens)
        return out[:, :N]

    # ------------------------------------------------------------------
    # Initialisation and checkpoints
    def _default_init(self) -> None:
        """mmpretrain's defaults: xavier MLP weights, pos_embed N(0, .02)
        (or MAE's 2D sin-cos table with ``pos_embed_init='sincos'``)."""
        for layer in self.layers:
            for m in layer.ffn.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)
                    nn.init.normal_(m.bias, std=1e-6)
        if self.pos_embed_init == 'sincos':
            with torch.no_grad():
                self.pos_embed.copy_(
                    sincos_pos_embed(self.patch_resolution,
                                     self.embed_dims)[None])
        else:
            trunc_normal_(self.pos_embed, std=0.02)

    def init_weights(self) -> None:
        """Default init, then non-pretrained ``init_cfg`` entries, then the
        ``Pretrained`` checkpoint through :meth:`load_pretrained`."""
        if self._is_init:
            return super().init_weights()  # mmengine warns and does nothing
        cfgs = self.init_cfg or []
        cfgs = [cfgs] if isinstance(cfgs, dict) else list(cfgs)
        pretrained = [
            c for c in cfgs
            if c.get('type') in ('Pretrained', PretrainedInit)
        ]
        others = [c for c in cfgs if c not in pretrained]
        self._default_init()
        saved = self.init_cfg
        self.init_cfg = others or None
        try:
            super().init_weights()  # other init_cfg entries (mmengine)
        finally:
            self.init_cfg = saved
        for cfg in pretrained:
            cfg = dict(cfg)
            cfg.pop('type')
            self.load_pretrained(cfg.pop('checkpoint'), **cfg)

    def load_pretrained(self,
                        checkpoint: Union[str, dict],
                        prefix: Optional[str] = None,
                        strict: bool = True,
                        src_format: str = 'auto',
                        src_grid: Optional[Sequence[int]] = None,
                        patch_kernel_resize: Optional[str] = None,
                        map_location: str = 'cpu') -> None:
        """Load a ViT checkpoint in any of the supported formats.

        Args:
            checkpoint: a path / URL (read with mmengine's
                ``CheckpointLoader``) or an already loaded dict.
            prefix: keep only keys under this prefix (``'backbone.'``); see
                :func:`~.vit_checkpoint.select_state_dict`.
            strict: raise :class:`~.vit_checkpoint.CheckpointMismatchError`
                on missing/unexpected keys or shape mismatches (else log
                them and load the keys that fit).
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
        state = convert_vit_state_dict(
            state,
            src_format=fmt,
            dst_grid=self.patch_resolution,
            src_grid=src_grid,
            interpolate_mode=self.interpolate_mode,
            patch_kernel=self.patch_embed.patch_size,
            patch_kernel_resize=patch_kernel_resize,
            logger=logger)
        own = self.state_dict()
        try:
            check_state_dict(own, state, self.OPTIONAL_KEYS,
                             source=f'{source}, {fmt} format')
        except RuntimeError as err:
            if strict:
                raise
            logger.warning(str(err))
            state = OrderedDict(
                (k, v) for k, v in state.items()
                if k in own and v.shape == own[k].shape)
        for key in self.OPTIONAL_KEYS:
            if key in own and key not in state:
                state[key] = own[key]
        missing, unexpected = self.load_state_dict(state, strict=False)
        if strict and (missing or unexpected):  # pragma: no cover
            raise RuntimeError(f'missing {missing}, unexpected {unexpected}')
        if hasattr(self, '_params_init_info'):
            from mmengine.model.weight_init import update_init_info
            update_init_info(
                self, init_info=f'PatchSelViT.load_pretrained: {source}')

    def get_layer_depth(self, param_name: str, prefix: str = ''):
        """Layer depth for mmpretrain's layer-decay constructor: stem
        (patch_embed, pos_embed) 0, ``layers.i`` i + 1, the rest last."""
        num_layers = self.num_layers + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers
        name = param_name[len(prefix):]
        if name in ('pos_embed', 'cls_token') or \
                name.startswith('patch_embed'):
            return 0, num_layers
        if name.startswith('layers.'):
            return int(name.split('.')[1]) + 1, num_layers
        return num_layers - 1, num_layers


def _convert_on_load(module: PatchSelViT, state_dict: dict, prefix: str,
                     *args, **kwargs) -> None:
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
    if fmt == 'mmpose' and (pos is None or tuple(pos.shape)
                            == tuple(module.pos_embed.shape)):
        converted = sub
    else:
        converted = convert_vit_state_dict(
            sub, src_format=fmt, dst_grid=module.patch_resolution,
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
