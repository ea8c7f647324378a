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
from typing import Optional, Tuple, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmengine.model.weight_init import PretrainedInit, trunc_normal_
from mmpose.registry import MODELS
from torch import Tensor

from mmpose_patchsel.selection import PatchGrid
from mmpose_patchsel.utils import check_choice, check_int

from .mmpretrain_args import resolve_mmpretrain_args
from .token_merging import band_groups, merge_dropped, merged_attention_bias
from .token_selection import check_selection, restore_tokens
from .vit_arch import (ARCH_ZOO, IntPair, layer_norm_eps, resolve_arch,
                       to_pair, to_square)
from .vit_checkpoint import resize_pos_embed
from .vit_layers import PatchEmbed, TransformerEncoderLayer, sincos_pos_embed
from .vit_loading import convert_on_load, load_vit_pretrained

__all__ = ['PatchSelViT']


@MODELS.register_module()
class PatchSelViT(BaseModule):
    """Plain ViT (ViTPose backbone) that runs on selected patches only.

    Args:
        arch (str | dict): ``'small'``, ``'base'``, ``'large'``, ``'huge'``
            (or ``'s'``, ``'b'``, ``'l'``, ``'h'``), Sapiens'
            ``'sapiens_0.3b'``, ``'sapiens_0.6b'``, ``'sapiens_1b'``,
            ``'sapiens_2b'`` (or ``'0.3b'`` ...), or a dict with
            ``embed_dims``, ``num_layers``, ``num_heads`` and optionally
            ``feedforward_channels`` (default ``4 * embed_dims``). Note that
            ``'small'`` is ViTPose-S (384 dims, 12 layers, 12 heads), which
            mmpose's ViTPose-S config spells as an arch dict; mmpretrain's
            own ``'small'`` is a different network.
        img_size (int | tuple): Input (h, w) the position embedding is laid
            out for. Other input sizes work too: the embedding is then
            bicubically resized on the fly, as in mmpretrain.
        patch_size (int): Patch size. Defaults to 16.
        patch_padding (int, optional): Zero padding of the patch embedding
            conv. None (default) takes ``patch_cfg['padding']``, else 2.
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
        merge_dropped (int): 0 (default, the paper): unselected patches
            leave the sequence. G > 0: they are merged into G tokens (bands
            of grid rows) attended in proportion to their size, whose
            outputs fill the unselected positions (:mod:`.token_merging`):
            a training-free option for a model trained on full grids, at
            the cost of G more tokens.
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
        **mmpretrain_args: arguments of mmpretrain's ``VisionTransformer``
            that mmpose's ViTPose configs pass, accepted at the value this
            backbone implements (``with_cls_token=False``,
            ``out_type='featmap'``, ``patch_cfg=dict(padding=N)``, ...; see
            :mod:`.mmpretrain_args`), so a config may replace only the
            backbone ``type``. Other values raise a ``ValueError``.

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
    #: ViTPose's and Sapiens' architectures by name
    #: (:data:`.vit_arch.ARCH_ZOO`).
    arch_zoo = ARCH_ZOO
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
                 patch_padding: Optional[int] = None,
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
                 merge_dropped: int = 0,
                 pos_embed_init: str = 'normal',
                 init_cfg: Optional[Union[dict, list]] = None,
                 **mmpretrain_args):
        super().__init__(init_cfg=init_cfg)
        self.pos_embed_init = check_choice('pos_embed_init', pos_embed_init,
                                           self.POS_EMBED_INITS)
        arch = resolve_arch(arch)
        self.arch_settings = arch
        self.embed_dims = int(arch['embed_dims'])
        self.num_layers = int(arch['num_layers'])
        self.num_heads = int(arch['num_heads'])
        norm_eps = layer_norm_eps(norm_cfg)
        self.restore_fill = check_choice('restore_fill', restore_fill,
                                         self.RESTORE_FILLS)
        self.merge_dropped = check_int('merge_dropped', merge_dropped, 0)
        self.interpolate_mode = interpolate_mode
        self.img_size = to_pair(img_size, 'img_size')
        if patch_padding is not None:
            patch_padding = to_square(patch_padding, 'patch_padding')
        patch_padding = resolve_mmpretrain_args(mmpretrain_args,
                                                self.num_layers, patch_padding)

        self.patch_embed = PatchEmbed(in_channels,
                                      self.embed_dims,
                                      to_square(patch_size, 'patch_size'),
                                      patch_padding,
                                      bias=not pre_norm)
        self.patch_resolution = self.grid_size(self.img_size)
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
        self.register_load_state_dict_pre_hook(convert_on_load)

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
        h, w = to_pair(img_size, 'img_size')
        grid = PatchGrid((w, h), self.patch_embed.patch_size[0],
                         self.patch_embed.padding[0])
        return grid.rows, grid.cols

    # ------------------------------------------------------------------
    # Forward
    def _pos_embed_for(self, grid: Tuple[int, int]) -> Tensor:
        return resize_pos_embed(self.pos_embed, self.patch_resolution, grid,
                                self.interpolate_mode)

    def embed_patches(
        self,
        x: Tensor,
        keep_indices: Optional[Tensor] = None,
        key_padding_mask: Optional[Tensor] = None
    ) -> Tuple[Tensor, Tuple[int, int], Optional[Tensor], Optional[Tensor]]:
        """Patch embedding plus position embedding, then only the kept
        tokens: returns the (B, K, C) tokens (all N without
        ``keep_indices``), the grid and the checked ``keep_indices`` and
        ``key_padding_mask``."""
        return self.gather_kept(*self.embed_all(x), keep_indices,
                                key_padding_mask)

    def embed_all(self, x: Tensor) -> Tuple[Tensor, Tuple[int, int]]:
        """(B, N, C) patch plus position embeddings of the whole grid,
        and the grid."""
        x, grid = self.patch_embed(x)
        return x + self._pos_embed_for(grid), grid

    def gather_kept(
        self,
        x: Tensor,
        grid: Tuple[int, int],
        keep_indices: Optional[Tensor] = None,
        key_padding_mask: Optional[Tensor] = None
    ) -> Tuple[Tensor, Tuple[int, int], Optional[Tensor], Optional[Tensor]]:
        """The kept tokens of the embedded grid ``x`` (see
        :meth:`embed_patches`)."""
        if keep_indices is not None:
            # The all-padding check reads values: a host sync on an
            # accelerator. Skipped there in eval, where the estimator has
            # already checked the selection on the host.
            check_values = self.training or x.device.type == 'cpu'
            keep_indices, key_padding_mask = check_selection(
                keep_indices, key_padding_mask, x.shape[0], grid[0] * grid[1],
                check_values)
            x = torch.gather(
                x, 1, keep_indices[..., None].expand(-1, -1, x.shape[-1]))
        elif key_padding_mask is not None:
            raise ValueError('key_padding_mask needs keep_indices')
        return x, grid, keep_indices, key_padding_mask

    def to_featmap(self, tokens: Tensor, grid: Tuple[int, int],
                   keep_indices: Optional[Tensor] = None,
                   key_padding_mask: Optional[Tensor] = None,
                   base: Optional[Tensor] = None) -> Tensor:
        """(B, K, C) tokens -> (B, C, rows, cols) map, restoring kept ones
        onto the grid (see :meth:`restore`) when ``keep_indices`` is set."""
        if keep_indices is not None:
            tokens = self.restore(tokens, keep_indices, key_padding_mask,
                                  grid[0] * grid[1], base)
        # (B, N, C) -> (B, rows, cols, C) -> (B, C, rows, cols)
        return tokens.reshape(tokens.shape[0], *grid,
                              -1).permute(0, 3, 1, 2)

    def forward(self,
                x: Tensor,
                keep_indices: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None
                ) -> Tuple[Tensor]:
        all_tokens, grid = self.embed_all(x)
        x, grid, keep_indices, key_padding_mask = self.gather_kept(
            all_tokens, grid, keep_indices, key_padding_mask)
        num_kept, attn_mask = x.shape[1], None
        merging = keep_indices is not None and self.merge_dropped > 0
        if merging:
            groups = band_groups(grid, self.merge_dropped, x.device)
            merged, sizes = merge_dropped(all_tokens, keep_indices,
                                          key_padding_mask, groups)
            x = torch.cat([x, merged], 1)
            attn_mask = merged_attention_bias(sizes, key_padding_mask,
                                              num_kept)
        elif key_padding_mask is not None:
            # SDPA: True = may attend. (B, 1, 1, K) masks padding keys.
            attn_mask = ~key_padding_mask[:, None, None, :]
        # The whole grid's embeddings would stay alive through every block:
        # with 25 % kept, as many bytes as the kept tokens' four times over.
        del all_tokens
        x = self.drop_after_pos(x)
        x = self.pre_norm(x)
        for layer in self.layers:
            x = layer(x, attn_mask)
        if self.final_norm:
            x = self.ln1(x)
        base = x[:, num_kept:][:, groups] if merging else None
        return (self.to_featmap(x[:, :num_kept], grid, keep_indices,
                                key_padding_mask, base), )

    def restore(self,
                tokens: Tensor,
                keep_indices: Tensor,
                key_padding_mask: Optional[Tensor] = None,
                num_tokens: Optional[int] = None,
                base: Optional[Tensor] = None) -> Tensor:
        """Scatter (B, K, C) kept tokens back onto a (B, N, C) grid.

        Unselected positions get ``base`` (B, N, C) when given (merged
        tokens), else zeros or ``fill_token``; padding entries
        (``key_padding_mask`` True) are written nowhere.
        """
        N = self.num_patches if num_tokens is None else num_tokens
        return restore_tokens(tokens, keep_indices, N, key_padding_mask,
                              base, self.fill_token)

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

    def load_pretrained(self, checkpoint: Union[str, dict], **kwargs) -> None:
        """Load a ViT checkpoint in any supported format (mmpose/mmpretrain,
        official ViTPose, MAE); ``kwargs`` (``prefix``, ``strict``,
        ``src_format``, ...) as :func:`~.vit_loading.load_vit_pretrained`.
        """
        load_vit_pretrained(self, checkpoint, **kwargs)

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
