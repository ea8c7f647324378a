"""JointTokenPatchSelViT: guide-free pruning by joint-token attention."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpose.registry import DATASETS, MODELS

import mmpose_patchsel.models.backbones.joint_token_vit as jtv
from mmpose_patchsel.analysis import count_flops
from mmpose_patchsel.models.backbones import (JointTokenPatchSelViT,
                                              PatchSelViT, num_kept)
from mmpose_patchsel.models.pose_estimators import keep_indices_to_masks

TINY = dict(embed_dims=96, num_layers=4, num_heads=3, feedforward_channels=192)
IMG = (128, 96)  # an 8 x 6 grid: 48 patch tokens
NUM_PATCHES = 48
J = 5
CONFIG = ('configs/coco/'
          'td-hm_patchsel-vit-base-jointtokens_8xb64-210e_coco-256x192.py')


def tiny(seed=0, **kwargs):
    """A small randomly initialised model in eval mode."""
    torch.manual_seed(seed)
    kwargs.setdefault('arch', TINY)
    kwargs.setdefault('img_size', IMG)
    kwargs.setdefault('num_joints', J)
    kwargs.setdefault('prune_after', (0, 2))
    model = JointTokenPatchSelViT(**kwargs)
    model.init_weights()
    with torch.no_grad():  # non-trivial norms and biases
        for p in model.parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def images(batch=3, seed=1):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn((batch, 3) + IMG, generator=gen)


def record_block_inputs(model):
    """Forward pre-hooks storing what enters each block, by block index."""
    seen = {}
    handles = [
        layer.register_forward_pre_hook(
            lambda mod, args, i=i: seen.__setitem__(i, args[0]))
        for i, layer in enumerate(model.layers)
    ]
    return seen, handles


def reference_forward(model, x):
    """Joint + patch tokens through the blocks, no pruning, written out."""
    B = x.shape[0]
    tokens = model.patch_embed.projection(x).flatten(2).transpose(1, 2)
    tokens = tokens + model.pos_embed
    tokens = torch.cat([model.joint_tokens.expand(B, -1, -1), tokens], 1)
    for layer in model.layers:
        tokens = layer(tokens)
    tokens = model.ln1(tokens)[:, J:]
    rows, cols = model.patch_resolution
    return tokens.reshape(B, rows, cols, -1).permute(0, 3, 1, 2)


def independent_ranking(layer, tokens, keep):
    """Top-``keep`` patch positions of the sequence by the attention they
    receive from the joint queries, from the block's own qkv weights."""
    B, L, C = tokens.shape
    heads = layer.attn.num_heads
    d = C // heads
    h = nn.functional.layer_norm(tokens, (C, ), layer.ln1.weight,
                                 layer.ln1.bias, layer.ln1.eps)
    qkv = h @ layer.attn.qkv.weight.T + layer.attn.qkv.bias
    q, k, _ = qkv.split(C, dim=-1)
    q = q.reshape(B, L, heads, d).transpose(1, 2)
    k = k.reshape(B, L, heads, d).transpose(1, 2)
    attn = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d), dim=-1)
    received = attn[:, :, :J, J:].mean(dim=1).sum(dim=1)  # (B, L - J)
    return received.topk(keep, dim=1).indices


# ---------------------------------------------------------------- behaviour
def test_keep_rate_one_equals_the_unpruned_network():
    model = tiny(keep_rate=1.0)
    unpruned = tiny(seed=5, prune_after=())
    unpruned.load_state_dict(model.state_dict())
    x = images()
    with torch.no_grad():
        out = model(x)[0]
        torch.testing.assert_close(out, unpruned(x)[0])
        torch.testing.assert_close(out,
                                   reference_forward(model, x),
                                   rtol=1e-4,
                                   atol=1e-5)
    assert out.shape == (3, 96, 8, 6)
    assert model.forward_tokens(x).keep_indices is None


def test_kept_tokens_are_the_top_k_of_joint_attention():
    model = tiny(keep_rate=0.7)
    seen, handles = record_block_inputs(model)
    with torch.no_grad():
        out = model.forward_tokens(images(batch=3))
    for h in handles:
        h.remove()
    # Grid position of each entry of the sequence entering the block.
    positions = torch.arange(NUM_PATCHES).expand(3, -1)
    counts = []
    for stage, block in enumerate((0, 2)):
        tokens = seen[block]
        count = tokens.shape[1] - J
        keep = math.ceil(0.7 * count)
        counts.append((count, keep))
        with torch.no_grad():
            top = independent_ranking(model.layers[block], tokens, keep)
        expected = torch.gather(positions, 1, top).sort(dim=1).values
        kept = out.stage_indices[stage]
        assert torch.equal(kept.sort(dim=1).values, expected), stage
        positions = kept  # the order of the next block's sequence
    assert counts == [(48, 34), (34, 24)]
    assert torch.equal(out.keep_indices, out.stage_indices[-1])
    # Each sample ranks its own tokens.
    assert not torch.equal(out.keep_indices[0], out.keep_indices[1])


def test_sequence_really_shrinks_and_pruned_positions_are_zero():
    model = tiny(keep_rate=0.5)
    seen, handles = record_block_inputs(model)
    x = images()
    with torch.no_grad():
        grid = model(x)[0]
        lengths = [seen[i].shape[1] for i in range(4)]
        out = model.forward_tokens(x)
    for h in handles:
        h.remove()
    assert lengths == [J + 48, J + 24, J + 24, J + 12]
    assert model.patch_token_counts() == [48, 24, 24, 12]
    tokens = grid.flatten(2).transpose(1, 2)  # (B, N, C)
    kept = torch.zeros(3, NUM_PATCHES, dtype=torch.bool)
    kept.scatter_(1, out.keep_indices, True)
    assert int(kept.sum()) == 3 * 12
    assert bool((tokens[~kept] == 0).all())
    assert bool((tokens[kept].abs().sum(-1) > 0).all())
    torch.testing.assert_close(
        torch.gather(tokens, 1, out.keep_indices[..., None].expand(-1, -1,
                                                                   96)),
        out.patch_tokens)


def test_train_and_test_keep_rates_differ_and_are_logged(monkeypatch):
    logs = []
    monkeypatch.setattr(jtv, 'print_log',
                        lambda msg, **kwargs: logs.append(msg))
    model = tiny(keep_rate=0.5, test_keep_rate=0.75)
    x = images(batch=2)
    model.train()
    assert model.forward_tokens(x).patch_tokens.shape[1] == 12  # 48/24/12
    model.eval()
    with torch.no_grad():
        assert model.forward_tokens(x).patch_tokens.shape[1] == 27  # 36/27
    model.eval()
    assert len(logs) == 1, logs
    assert 'test_keep_rate=0.75' in logs[0] and 'keep_rate is 0.5' in logs[0]
    model.test_keep_rate = None  # eval follows keep_rate
    assert model.current_keep_rate == 0.5
    assert model.patch_token_counts() == [48, 24, 24, 12]


def test_gradients_reach_the_joint_tokens_in_training():
    model = tiny(keep_rate=0.5, drop_path_rate=0.1).train()
    model(images(batch=2))[0].square().sum().backward()
    assert model.joint_tokens.grad is not None
    assert float(model.joint_tokens.grad.abs().sum()) > 0


def test_external_selection_with_padding_is_pruned_further():
    model = tiny(keep_rate=0.5)
    keep = torch.zeros(2, 30, dtype=torch.long)
    keep[0] = torch.arange(30) + 10
    keep[1, :10] = torch.arange(10) * 3  # 10 real tokens, 20 padding
    padding = torch.zeros(2, 30, dtype=torch.bool)
    padding[1, 10:] = True
    x = images(batch=2)
    with torch.no_grad():
        out = model.forward_tokens(x, keep, padding)
        grid = model(x, keep, padding)[0]
        alone = model(x[:1], keep[:1])[0]
    # 30 -> 15 -> 8: row 1 keeps its 10 real tokens, then 8 of them.
    assert out.keep_indices.shape == (2, 8)
    assert set(out.stage_indices[0][0].tolist()) <= set(keep[0].tolist())
    assert int(out.key_padding_mask.sum()) == 0
    assert set(out.keep_indices[1].tolist()) <= set(keep[1, :10].tolist())
    # Padding in another row changes nothing for a row without any.
    torch.testing.assert_close(grid[:1], alone, rtol=1e-4, atol=1e-5)
    nonzero = grid.flatten(2).abs().sum(1) > 0
    assert nonzero.sum(1).tolist() == [8, 8]


def test_invalid_arguments_name_the_value():
    with pytest.raises(ValueError, match='keep_rate must be in .*1.5'):
        tiny(keep_rate=1.5)
    with pytest.raises(ValueError, match='test_keep_rate must be in .*0.0'):
        tiny(test_keep_rate=0.)
    with pytest.raises(ValueError, match=r'index 3.*\[0, 2\]'):
        tiny(prune_after=(0, 3))
    with pytest.raises(ValueError, match='increasing'):
        tiny(prune_after=(2, 0))
    with pytest.raises(ValueError, match='num_joints.*0'):
        tiny(num_joints=0)
    model = tiny()
    with pytest.raises(TypeError, match="keep_rate.*'high'"):
        model.keep_rate = 'high'
    with pytest.raises(ValueError, match='needs keep_indices'):
        model(images(1), key_padding_mask=torch.zeros(1, 4, dtype=bool))


def test_num_kept_rounds_up_without_float_noise():
    assert num_kept(0.7, 10) == 7  # 0.7 * 10 = 7.000000000000001
    assert [num_kept(0.7, n) for n in (192, 135, 95)] == [135, 95, 67]
    assert num_kept(0.01, 5) == 1


# ------------------------------------------------- checkpoints, layer decay
def test_vit_checkpoint_loads_strictly_without_joint_tokens():
    model = tiny()
    before = model.joint_tokens.detach().clone()
    plain = PatchSelViT(arch=TINY, img_size=IMG)
    model.load_pretrained(plain.state_dict(), strict=True)
    torch.testing.assert_close(model.joint_tokens, before)
    torch.testing.assert_close(model.pos_embed, plain.pos_embed)


def test_layer_decay_puts_joint_tokens_in_the_last_group():
    from mmpose.engine.optim_wrappers.layer_decay_optim_wrapper import \
        LayerDecayOptimWrapperConstructor

    model = nn.Module()
    model.backbone = tiny()
    model.head = nn.Linear(96, 4)
    constructor = LayerDecayOptimWrapperConstructor(
        dict(type='OptimWrapper',
             optimizer=dict(type='AdamW', lr=1.0, weight_decay=0.1)),
        paramwise_cfg=dict(num_layers=4, layer_decay_rate=0.5))
    groups = {
        name: group
        for group in constructor(model).optimizer.param_groups
        for name in group['param_names']
    }
    group = groups['backbone.joint_tokens']
    assert group['group_name'] == 'layer_5_decay'  # num_layers + 1
    assert group['lr'] == pytest.approx(1.0)  # no layer decay
    assert group['weight_decay'] == pytest.approx(0.1)
    assert groups['head.weight'] is group
    assert model.backbone.get_layer_depth('backbone.joint_tokens',
                                          'backbone.') == (5, 6)


# ---------------------------------------------------------------- FLOPs
def test_flops_follow_the_shrinking_sequence(tiny_coco_cfg):
    cfg = Config.fromfile(str(tiny_coco_cfg))
    cfg.model.backbone = dict(type='JointTokenPatchSelViT',
                              arch=TINY,
                              img_size=(256, 192),
                              num_joints=17,
                              prune_after=(0, 2),
                              keep_rate=1.0)
    model = MODELS.build(cfg.model)
    full = count_flops(model, (3, 256, 192))
    model.backbone.keep_rate = 0.7
    pruned = count_flops(model, (3, 256, 192))
    C, F = 96, 192

    def no_attention(lengths):  # linears, 2 LNs a block (5 per element)
        blocks = sum(L * (4 * C * C + 2 * C * F + 2 * 5 * C) for L in lengths)
        return blocks + 5 * lengths[-1] * C  # and the final LN

    full_len = [17 + 192] * 4
    pruned_len = [17 + n for n in (192, 135, 135, 95)]
    assert model.backbone.patch_token_counts() == [192, 135, 135, 95]
    assert full['attention_flops'] == 2 * C * sum(L * L for L in full_len)
    assert pruned['attention_flops'] == 2 * C * sum(L * L for L in pruned_len)
    # The rest differs only by the blocks and the final norm, less the
    # joint queries' attention rows at the two pruning layers (a matmul).
    ranking = 17 * C * (pruned_len[0] + pruned_len[1])
    assert full['flops_no_attention'] - pruned['flops_no_attention'] == (
        no_attention(full_len) - no_attention(pruned_len) - ranking)


# ---------------------------------------------------------------- the config
def test_registered_in_mmpose_models():
    model = MODELS.build(
        dict(type='JointTokenPatchSelViT',
             arch=TINY,
             img_size=IMG,
             num_joints=16,
             prune_after=(1, )))
    assert isinstance(model, JointTokenPatchSelViT)
    assert model.joint_tokens.shape == (1, 16, 96)


def test_config_builds_and_runs_loss_and_flip_predict(coco_root):
    cfg = Config.fromfile(CONFIG)
    assert cfg.model.backbone.type == 'JointTokenPatchSelViT'
    assert [h['type'] for h in cfg.custom_hooks][-1] == \
        'JointTokenKeepRateHook'
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    assert model.backbone.patch_token_counts(
    ) == [192] * 4 + [135] * 3 + [95] * 3 + [67] * 2

    def batch(pipeline, n=2):
        dataset = DATASETS.build(
            dict(type='CocoDataset',
                 data_root=str(coco_root),
                 ann_file='test_coco.json',
                 data_prefix=dict(img=''),
                 pipeline=pipeline))
        assert not any(t['type'] == 'SelectPatches' for t in pipeline)
        return pseudo_collate([dataset[i] for i in range(n)])

    model.train()
    data = model.data_preprocessor(batch(
        cfg.train_dataloader.dataset.pipeline),
                                   training=True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss_kpt'])
    assert torch.isfinite(losses['loss_joint_token'])  # the config's loss
    model.eval()
    assert model.test_cfg['flip_test']
    data = model.data_preprocessor(batch(cfg.val_dataloader.dataset.pipeline),
                                   training=False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert len(results) == 2
    assert results[0].pred_instances.keypoints.shape == (1, 17, 2)
    # The patches that reached the last block of the (unflipped) forward
    # come out with the predictions, for recall and drawings.
    kept = np.stack([r.kept_patch_mask for r in results])
    assert kept.shape == (2, 192) and (kept.sum(axis=1) == 67).all()
    with torch.no_grad():
        out = model.backbone.forward_tokens(data['inputs'])
    assert (kept == keep_indices_to_masks(out.keep_indices, None, 2,
                                          192).numpy()).all()
    with torch.no_grad():  # the flipped input prunes other patches
        flipped = model.backbone.forward_tokens(data['inputs'].flip(-1))
    assert not torch.equal(flipped.keep_indices, out.keep_indices)
