"""PatchSelViT accepts the mmpretrain ``VisionTransformer`` arguments of
mmpose's ViTPose configs, so a config may swap only the backbone type."""
from pathlib import Path

import mmpose
import pytest
import torch
from mmengine.config import Config
from mmpose.registry import MODELS

from mmpose_patchsel.models.backbones import JointTokenPatchSelViT, PatchSelViT

VITPOSE = ('body_2d_keypoint/topdown_heatmap/coco/'
           'td-hm_ViTPose-{}_8xb64-210e_coco-256x192.py')
MMPOSE_CONFIGS = Path(mmpose.__file__).parent / '.mim' / 'configs'
# The explicit form the configs used before (with ``_delete_=True``).
EXPLICIT = {
    'small': ('small', 0.1),
    'base': ('base', 0.3),
    'large': ('large', 0.5),
    'huge': ('huge', 0.55),
}
TINY = dict(embed_dims=32, num_layers=2, num_heads=2)


def build_on_meta(cfg):
    """Build without allocating weights (ViTPose-H has 630M)."""
    with torch.device('meta'):
        return MODELS.build(cfg)


def shapes(model):
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize('size', list(EXPLICIT))
def test_inheriting_vitpose_backbone_equals_explicit_form(size, tmp_path):
    """``backbone=dict(type='PatchSelViT')`` over mmpose's ViTPose config
    (no ``_delete_``) builds the backbone the explicit form builds."""
    path = tmp_path / 'cfg.py'
    path.write_text(f"_base_ = ['mmpose::{VITPOSE.format(size)}']\n"
                    "model = dict(backbone=dict(type='PatchSelViT'))\n")
    inherited = Config.fromfile(str(path)).model.backbone
    # mmpose's own dict with only the type swapped is the same dict.
    swapped = Config.fromfile(MMPOSE_CONFIGS /
                              VITPOSE.format(size)).model.backbone
    swapped.type = 'PatchSelViT'
    assert inherited.to_dict() == swapped.to_dict()

    arch, drop_path = EXPLICIT[size]
    explicit = dict(type='PatchSelViT',
                    arch=arch,
                    img_size=(256, 192),
                    patch_size=16,
                    patch_padding=2,
                    qkv_bias=True,
                    drop_path_rate=drop_path,
                    init_cfg=inherited.init_cfg)
    a, b = build_on_meta(inherited), build_on_meta(explicit)
    assert a.arch_settings == b.arch_settings
    assert a.patch_resolution == b.patch_resolution == (16, 12)
    assert a.patch_embed.padding == b.patch_embed.padding == (2, 2)
    assert shapes(a) == shapes(b)
    assert sum(p.numel() for p in a.parameters()) == \
        sum(p.numel() for p in b.parameters())
    assert [layer.ffn.dropout_layer.drop_prob for layer in a.layers] == \
        [layer.ffn.dropout_layer.drop_prob for layer in b.layers]
    assert a.layers[0].attn.qkv.bias is not None
    assert a.init_cfg == b.init_cfg and 'mae_pretrain' in \
        a.init_cfg['checkpoint']


def test_mmpretrain_args_give_the_same_network():
    """Accepted mmpretrain values build exactly the native form (same
    weights after the same seed, same output)."""
    torch.manual_seed(0)
    native = PatchSelViT(arch=TINY, img_size=(64, 48), patch_padding=1)
    torch.manual_seed(0)
    compat = PatchSelViT(arch=dict(TINY, feedforward_channels=128),
                         img_size=(64, 48),
                         with_cls_token=False,
                         out_type='featmap',
                         output_cls_token=False,
                         patch_cfg=dict(padding=(1, 1)),
                         frozen_stages=-1,
                         layer_cfgs={},
                         out_indices=[-1])
    assert compat.patch_embed.projection.padding == (1, 1)
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        torch.testing.assert_close(native.eval()(x), compat.eval()(x))
    # patch_padding and patch_cfg may both be given if they agree.
    assert PatchSelViT(arch=TINY, patch_padding=3,
                       patch_cfg=dict(padding=3)).patch_embed.padding == (3, 3)
    # The default without either is ViTPose's padding 2.
    assert PatchSelViT(arch=TINY).patch_embed.padding == (2, 2)
    joint = JointTokenPatchSelViT(TINY,
                                  num_joints=3,
                                  prune_after=(0, ),
                                  with_cls_token=False,
                                  out_type='featmap',
                                  patch_cfg=dict(padding=2))
    assert joint.patch_resolution == (16, 12)


@pytest.mark.parametrize('kwargs, match', [
    (dict(with_cls_token=True), 'with_cls_token=True'),
    (dict(out_type='cls_token'), "out_type='cls_token'"),
    (dict(output_cls_token=True), 'output_cls_token=True'),
    (dict(frozen_stages=2), 'frozen_stages=2'),
    (dict(layer_cfgs=dict(ffn_type='swiglu')), 'layer_cfgs'),
    (dict(out_indices=(0, 1)), r'out_indices=\(0, 1\)'),
    (dict(patch_cfg=dict(padding=2, kernel_size=8)), 'kernel_size'),
    (dict(patch_cfg=dict()), "'corner'"),
    (dict(patch_cfg=dict(padding='same')), "padding='same'"),
    (dict(patch_cfg=dict(padding=(1, 2))), r'padding=\(1, 2\)'),
    (dict(patch_cfg=2), 'patch_cfg=2'),
    (dict(patch_padding=1, patch_cfg=dict(padding=2)), 'patch_padding=1'),
    (dict(patch_padding=(1, 2)), r'patch_padding.*\(1, 2\)'),
])
def test_unsupported_values_raise_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PatchSelViT(arch=TINY, **kwargs)


def test_unknown_argument_raises_type_error():
    with pytest.raises(TypeError, match='out_typ'):
        PatchSelViT(arch=TINY, out_typ='featmap')
