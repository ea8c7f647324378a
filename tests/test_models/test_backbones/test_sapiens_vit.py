"""PatchSelViT as Sapiens' backbone: its four archs and its pretrain (MAE)
checkpoints, checked against the layouts of ``sapiens_testing``."""
import pytest
import torch
import torch.nn.functional as F

from mmpose_patchsel.models.backbones import (CheckpointMismatchError,
                                              PatchSelViT)
from sapiens_testing import (POSE_GRID, PRETRAIN_GRID, SAPIENS_ARCHS,
                             backbone_shapes, pretrain_shapes, random_state)

# Sapiens' pose configs' backbone arguments (pose/configs/sapiens_pose/
# coco/sapiens_*-210e_coco-1024x768.py), less arch and init_cfg.
SAPIENS_BACKBONE = dict(img_size=(1024, 768), patch_size=16, qkv_bias=True,
                        final_norm=True, drop_path_rate=0.0,
                        with_cls_token=False, out_type='featmap',
                        patch_cfg=dict(padding=2))
TINY = dict(embed_dims=16, num_layers=1, num_heads=2)


@pytest.mark.parametrize('arch', list(SAPIENS_ARCHS))
def test_sapiens_archs_by_name(arch):
    dims, layers, heads = SAPIENS_ARCHS[arch]
    expect = dict(embed_dims=dims, num_layers=layers, num_heads=heads,
                  feedforward_channels=4 * dims)
    assert PatchSelViT.arch_zoo[arch] == expect
    # Sapiens' zoo also names them without the prefix.
    assert PatchSelViT.arch_zoo[arch[len('sapiens_'):]] == expect


@pytest.mark.parametrize('arch', list(SAPIENS_ARCHS))
def test_real_archs_have_sapiens_parameters(arch):
    """The full-size backbone, built without memory on the meta device,
    has exactly Sapiens' parameter names and shapes: a 64x48 pos_embed."""
    dims, layers, heads = SAPIENS_ARCHS[arch]
    with torch.device('meta'):
        model = PatchSelViT(arch=arch, **SAPIENS_BACKBONE)
    assert model.grid_size() == POSE_GRID
    assert model.layers[0].attn.num_heads == heads
    assert model.layers[0].ln1.eps == 1e-6  # mmpretrain's LN default
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == dict(backbone_shapes(dims, layers, 64 * 48))


def sapiens_pos_embed(pos_embed):
    """What Sapiens' ``_prepare_pos_embed`` makes of a pretrain pos_embed
    for a 64x48 model without cls token: the cls entry dropped (odd
    length), then mmpretrain's ``resize_pos_embed`` from the square grid
    (bicubic, align_corners=False, float32)."""
    pos = pos_embed[:, 1:]
    side = int(pos.shape[1]**0.5)
    grid = pos.reshape(1, side, side, -1).permute(0, 3, 1, 2)
    grid = F.interpolate(grid.float(), size=POSE_GRID, align_corners=False,
                         mode='bicubic')
    return grid.flatten(2).transpose(1, 2)


def save_pretrain(path, shapes=None, seed=0):
    """A flat backbone dict, as Sapiens' pretrain_clean_checkpoints.py
    saves it (``backbone.`` stripped)."""
    state = random_state(shapes or pretrain_shapes(16, 1), seed)
    torch.save(state, path)
    return state


def load_pretrained(path, **init):
    model = PatchSelViT(
        arch=TINY,
        init_cfg=dict(type='Pretrained', checkpoint=str(path), **init),
        **SAPIENS_BACKBONE)
    model.init_weights()
    return model


@pytest.mark.parametrize('init', [dict(src_grid=PRETRAIN_GRID), dict()],
                         ids=['src_grid', 'inferred'])
def test_pretrain_checkpoint_loads_as_sapiens_does(init, tmp_path):
    state = save_pretrain(tmp_path / 'pretrain.pth')
    assert state['pos_embed'].shape == (1, 4097, 16)
    model = load_pretrained(tmp_path / 'pretrain.pth', **init)
    torch.testing.assert_close(model.pos_embed.detach(),
                               sapiens_pos_embed(state['pos_embed']),
                               rtol=1e-5, atol=1e-6)
    own = model.state_dict()
    assert set(own) == set(state) - {'cls_token'}
    for key in set(own) - {'pos_embed'}:
        assert torch.equal(own[key], state[key]), key


def test_mismatched_pretrain_checkpoint_names_keys_and_shapes(tmp_path):
    shapes = pretrain_shapes(16, 1)
    shapes['layers.0.attn.qkv.weight'] = (48, 17)
    shapes['layers.0.attn.q_norm.weight'] = (16, )
    save_pretrain(tmp_path / 'broken.pth', shapes)
    with pytest.raises(CheckpointMismatchError) as info:
        load_pretrained(tmp_path / 'broken.pth', src_grid=PRETRAIN_GRID)
    message = str(info.value)
    assert 'unexpected keys: layers.0.attn.q_norm.weight' in message
    assert ('shape mismatch for layers.0.attn.qkv.weight: checkpoint '
            '(48, 17) vs model (48, 16)') in message
