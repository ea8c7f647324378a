"""Sapiens' checkpoint layouts and head, written out from its code.

Sapiens (facebookresearch/sapiens) builds its pose backbone as its
mmpretrain fork's ``VisionTransformer``
(``pretrain/mmpretrain/models/backbones/vision_transformer.py``;
``with_cls_token=False``, ``out_type='featmap'``, ``qkv_bias=True``, no
layer scale, final norm ``ln1``) and its head as its mmpose fork's
``HeatmapHead`` with ``use_silu=True``
(``pose/mmpose/models/heads/heatmap_heads/heatmap_head.py``): bias-free
deconvs, 1x1 convs, each followed by ``InstanceNorm2d`` (no affine, no
running stats: nothing in the state dict) and ``SiLU``, then
``final_layer``. Its MAE pretraining backbone (``MAEViT``, img_size 1024,
``pretrain/mmpretrain/models/selfsup/mae.py``) has a cls token and a
(1, 1 + 64 * 64, C) ``pos_embed``; ``pretrain/tools/misc/
pretrain_clean_checkpoints.py`` saves its ``backbone.`` entries, prefix
stripped, as a flat dict. Nothing here is read from this package's modules,
so the tests compare the package against these, not against itself.
"""
from collections import OrderedDict
from typing import Dict, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

#: Sapiens' archs: (embed_dims, num_layers, num_heads), FFN 4x.
SAPIENS_ARCHS = {
    'sapiens_0.3b': (1024, 24, 16),
    'sapiens_0.6b': (1280, 32, 16),
    'sapiens_1b': (1536, 40, 24),
    'sapiens_2b': (1920, 48, 32),
}
#: 1024x768 crops, 16x16 patches, padding 2: a 64x48 token grid.
POSE_GRID = (64, 48)
#: MAE pretraining at 1024x1024: 64x64 patches.
PRETRAIN_GRID = (64, 64)

Shapes = Dict[str, Tuple[int, ...]]


def backbone_shapes(embed_dims: int, num_layers: int,
                    num_positions: int) -> Shapes:
    """mmpretrain ``VisionTransformer`` entries (no cls token)."""
    c, hidden = embed_dims, 4 * embed_dims
    shapes = OrderedDict([
        ('pos_embed', (1, num_positions, c)),
        ('patch_embed.projection.weight', (c, 3, 16, 16)),
        ('patch_embed.projection.bias', (c, )),
    ])
    for i in range(num_layers):
        p = f'layers.{i}.'
        shapes.update([
            (p + 'ln1.weight', (c, )), (p + 'ln1.bias', (c, )),
            (p + 'attn.qkv.weight', (3 * c, c)), (p + 'attn.qkv.bias',
                                                  (3 * c, )),
            (p + 'attn.proj.weight', (c, c)), (p + 'attn.proj.bias', (c, )),
            (p + 'ln2.weight', (c, )), (p + 'ln2.bias', (c, )),
            (p + 'ffn.layers.0.0.weight', (hidden, c)),
            (p + 'ffn.layers.0.0.bias', (hidden, )),
            (p + 'ffn.layers.1.weight', (c, hidden)),
            (p + 'ffn.layers.1.bias', (c, )),
        ])
    shapes['ln1.weight'] = (c, )
    shapes['ln1.bias'] = (c, )
    return shapes


def head_shapes(in_channels: int, num_keypoints: int,
                deconv: Sequence[int] = (768, 768),
                conv: Sequence[int] = (768, 768)) -> Shapes:
    """Sapiens' ``HeatmapHead`` entries: each (de)conv at index 3i of its
    Sequential (conv, InstanceNorm2d, SiLU); deconvs have no bias."""
    shapes = OrderedDict()
    c = in_channels
    for i, out in enumerate(deconv):
        shapes[f'deconv_layers.{3 * i}.weight'] = (c, out, 4, 4)
        c = out
    for i, out in enumerate(conv):
        shapes[f'conv_layers.{3 * i}.weight'] = (out, c, 1, 1)
        shapes[f'conv_layers.{3 * i}.bias'] = (out, )
        c = out
    shapes['final_layer.weight'] = (num_keypoints, c, 1, 1)
    shapes['final_layer.bias'] = (num_keypoints, )
    return shapes


def pose_shapes(embed_dims: int, num_layers: int, num_keypoints: int,
                grid: Tuple[int, int] = POSE_GRID,
                deconv: Sequence[int] = (768, 768),
                conv: Sequence[int] = (768, 768)) -> Shapes:
    """A Sapiens pose checkpoint's ``state_dict``: ``backbone.*``
    (``pos_embed`` (1, rows * cols, C)) and ``head.*``."""
    shapes = OrderedDict(
        ('backbone.' + k, v) for k, v in backbone_shapes(
            embed_dims, num_layers, grid[0] * grid[1]).items())
    shapes.update(('head.' + k, v) for k, v in head_shapes(
        embed_dims, num_keypoints, deconv, conv).items())
    return shapes


def pretrain_shapes(embed_dims: int, num_layers: int) -> Shapes:
    """A Sapiens pretrain (MAE) checkpoint: the backbone with its cls token
    and a cls entry in front of the 64x64 ``pos_embed``."""
    shapes = backbone_shapes(embed_dims, num_layers,
                             1 + PRETRAIN_GRID[0] * PRETRAIN_GRID[1])
    shapes['cls_token'] = (1, 1, embed_dims)
    return shapes


def random_state(shapes: Shapes, seed: int = 0) -> 'OrderedDict[str, Tensor]':
    """Tensors of the given shapes: small random weights, norms near 1."""
    gen = torch.Generator().manual_seed(seed)
    state = OrderedDict()
    for key, shape in shapes.items():
        value = 0.02 * torch.randn(shape, generator=gen)
        if key.endswith(('ln1.weight', 'ln2.weight')):
            value += 1
        state[key] = value
    return state


class ReferenceHead(nn.Module):
    """Sapiens' ``HeatmapHead(use_silu=True)`` layers in plain torch, as its
    ``_make_deconv_layers`` / ``_make_conv_layers`` build them (kernel 4:
    stride 2, padding 1, output padding 0, no bias; kernel 1: padding 0),
    and its ``forward`` (the last feature map through the three parts)."""

    def __init__(self, in_channels: int, num_keypoints: int,
                 deconv: Sequence[int], conv: Sequence[int]):
        super().__init__()
        layers, c = [], in_channels
        for out in deconv:
            layers += [
                nn.ConvTranspose2d(c, out, 4, stride=2, padding=1,
                                   output_padding=0, bias=False),
                nn.InstanceNorm2d(out),
                nn.SiLU(inplace=True)
            ]
            c = out
        self.deconv_layers = nn.Sequential(*layers)
        layers = []
        for out in conv:
            layers += [
                nn.Conv2d(c, out, 1, stride=1, padding=0),
                nn.InstanceNorm2d(out),
                nn.SiLU(inplace=True)
            ]
            c = out
        self.conv_layers = nn.Sequential(*layers)
        self.final_layer = nn.Conv2d(c, num_keypoints, 1)

    def forward(self, feats: Sequence[Tensor]) -> Tensor:
        x = self.deconv_layers(feats[-1])
        return self.final_layer(self.conv_layers(x))


def reduce_config(cfg) -> None:
    """A Sapiens config's model at a width and depth the CPU runs in
    seconds; the input (1024x768, 3072 tokens), the head's shape and the
    data stay the config's."""
    cfg.model.backbone.arch = dict(embed_dims=32, num_layers=1, num_heads=2)
    cfg.model.head.update(in_channels=32,
                          deconv_out_channels=(16, 16),
                          conv_out_channels=(16, 16))
