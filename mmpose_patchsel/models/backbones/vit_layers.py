"""Building blocks of :class:`~.patchsel_vit.PatchSelViT`.

The layers of mmpretrain's ``VisionTransformer`` (mmcv's ``PatchEmbed``,
``FFN``, ``DropPath``; mmpretrain's ``MultiheadAttention``, ``LayerScale``)
with the same parameter names, so ViTPose checkpoints load directly, but
with no mmcv/mmpretrain import; attention runs on
``torch.nn.functional.scaled_dot_product_attention``.
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    'DropPath', 'LayerScale', 'PatchEmbed', 'MultiheadAttention', 'FFN',
    'TransformerEncoderLayer', 'sincos_pos_embed'
]


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
    """mmcv's ``PatchEmbed`` with a fixed padding: ``projection`` conv.

    ``patch_size`` and ``padding`` are kept as (h, w) pairs, as mmcv does.
    """

    def __init__(self, in_channels: int, embed_dims: int, patch_size: int,
                 padding: int, bias: bool):
        super().__init__()
        self.patch_size = (patch_size, patch_size)
        self.padding = (padding, padding)
        self.projection = nn.Conv2d(in_channels,
                                    embed_dims,
                                    kernel_size=patch_size,
                                    stride=patch_size,
                                    padding=padding,
                                    bias=bias)

    def forward(self, x: Tensor) -> Tuple[Tensor, Tuple[int, int]]:
        x = self.projection(x)
        out_size = (x.shape[2], x.shape[3])
        return x.flatten(2).transpose(1, 2), out_size


class MultiheadAttention(nn.Module):
    """mmpretrain's ``MultiheadAttention`` (``qkv``, ``proj``) on SDPA.

    ``attn_mask`` is broadcastable to (B, heads, L, L): boolean, True
    means "may attend", or float, added to the logits (SDPA's conventions).
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
        """SDPA (with attention dropout in training) -> (B, heads, L, d).
        A float ``attn_mask`` is added to the logits (in ``q``'s dtype)."""
        if attn_mask is not None and attn_mask.is_floating_point():
            attn_mask = attn_mask.to(q.dtype)
        return F.scaled_dot_product_attention(
            q,
            k,
            v,
            attn_mask=attn_mask,
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
            nn.Sequential(nn.Linear(embed_dims, feedforward_channels),
                          nn.GELU(), nn.Dropout(ffn_drop)),
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
            embed_dims,
            num_heads,
            qkv_bias=qkv_bias,
            attn_drop=attn_drop_rate,
            proj_drop=drop_rate,
            drop_path_rate=drop_path_rate,
            layer_scale_init_value=layer_scale_init_value)
        self.ln2 = nn.LayerNorm(embed_dims, eps=norm_eps)
        self.ffn = FFN(embed_dims,
                       feedforward_channels,
                       ffn_drop=drop_rate,
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
    rows, cols = torch.meshgrid(torch.arange(h, dtype=torch.float64),
                                torch.arange(w, dtype=torch.float64),
                                indexing='ij')
    parts = []
    for pos in (rows.reshape(-1), cols.reshape(-1)):
        angle = pos[:, None] * omega[None]
        parts += [torch.sin(angle), torch.cos(angle)]
    return torch.cat(parts, dim=1).float()
