"""PatchSelViT: a plain ViT that runs on selected patch tokens only."""
import math
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.runner import load_checkpoint

from mmpose_patchsel.models.backbones import (CheckpointMismatchError,
                                              PatchSelViT)
from mmpose_patchsel.selection import PatchGrid

TINY = dict(embed_dims=32, num_layers=2, num_heads=2)
EPS = 1e-6  # LayerNorm eps of ViTPose / mmpretrain's VisionTransformer


def tiny(seed=0, **kwargs):
    """A small randomly initialised model in eval mode."""
    torch.manual_seed(seed)
    kwargs.setdefault('arch', TINY)
    kwargs.setdefault('img_size', (64, 48))
    model = PatchSelViT(**kwargs)
    model.init_weights()
    with torch.no_grad():  # non-trivial norms and biases
        for name, p in model.named_parameters():
            if p.dim() == 1:
                p.add_(0.1 * torch.randn_like(p))
    return model.eval()


def vit_grid_size(size):
    """(rows, cols) of ViTPose's 16x16 patches, padding 2, on (h, w)."""
    grid = PatchGrid((size[1], size[0]))
    return grid.rows, grid.cols


def random_keep(batch, num_tokens, count, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.stack([
        torch.randperm(num_tokens, generator=gen)[:count].sort()[0]
        for _ in range(batch)
    ])


# ---------------------------------------------------------------- geometry
@pytest.mark.parametrize('size, grid', [((256, 192), (16, 12)),
                                        ((384, 288), (24, 18)),
                                        ((250, 190), (15, 12)),
                                        ((64, 48), (4, 3)),
                                        ((15, 15), (1, 1))])
def test_grid_size(size, grid):
    assert vit_grid_size(size) == grid
    # floor((s + 2 * 2 - 16) / 16) + 1 per axis
    assert grid == tuple((s + 4 - 16) // 16 + 1 for s in size)
    model = PatchSelViT(arch=TINY, img_size=size)
    assert model.grid_size() == grid
    assert model.num_patches == grid[0] * grid[1]
    assert model.pos_embed.shape == (1, grid[0] * grid[1], 32)
    assert PatchSelViT(arch=TINY).grid_size(size) == grid


@pytest.mark.parametrize('size', [(256, 192), (384, 288), (250, 190)])
def test_output_shape(size):
    model = tiny(img_size=size)
    rows, cols = vit_grid_size(size)
    with torch.no_grad():
        out = model(torch.randn(2, 3, *size))
    assert isinstance(out, tuple) and len(out) == 1
    assert out[0].shape == (2, 32, rows, cols)
    keep = random_keep(2, rows * cols, rows * cols // 2)
    with torch.no_grad():
        out = model(torch.randn(2, 3, *size), keep_indices=keep)
    assert out[0].shape == (2, 32, rows, cols)


def test_other_input_size_resizes_pos_embed_on_the_fly():
    """A 256x192 model on a 384x288 input equals a 384x288 model whose
    position embedding was bicubically resized."""
    small = tiny(img_size=(256, 192))
    big = PatchSelViT(arch=TINY, img_size=(384, 288)).eval()
    big.load_pretrained(dict(state_dict=small.state_dict()))
    x = torch.randn(1, 3, 384, 288)
    with torch.no_grad():
        a, b = small(x)[0], big(x)[0]
    assert a.shape == (1, 32, 24, 18)
    torch.testing.assert_close(a, b, rtol=0, atol=0)


ARCHS = {
    'small': (384, 12, 12, 1536),
    'base': (768, 12, 12, 3072),
    'large': (1024, 24, 16, 4096),
    'huge': (1280, 32, 16, 5120),
}


@pytest.mark.parametrize('arch', list(ARCHS))
def test_arch_zoo_at_depth_one(arch):
    dims, layers, heads, ffn = ARCHS[arch]
    assert PatchSelViT.arch_zoo[arch] == dict(
        embed_dims=dims, num_layers=layers, num_heads=heads,
        feedforward_channels=ffn)
    assert PatchSelViT.arch_zoo[arch[0]] == PatchSelViT.arch_zoo[arch]
    model = PatchSelViT(
        arch=dict(PatchSelViT.arch_zoo[arch], num_layers=1)).eval()
    assert model.layers[0].attn.num_heads == heads
    assert model.layers[0].attn.qkv.weight.shape == (3 * dims, dims)
    assert model.layers[0].ffn.layers[0][0].weight.shape == (ffn, dims)
    keep = random_keep(1, 192, 96)
    with torch.no_grad():
        out = model(torch.randn(1, 3, 256, 192), keep_indices=keep)[0]
    assert out.shape == (1, dims, 16, 12)


def test_string_arch_builds_the_full_depth():
    model = PatchSelViT(arch='small')
    assert model.num_layers == len(model.layers) == 12
    assert model.embed_dims == 384 and model.num_heads == 12
    with pytest.raises(KeyError, match='arch'):
        PatchSelViT(arch='tiny')
    with pytest.raises(KeyError, match='num_heads'):
        PatchSelViT(arch=dict(embed_dims=32, num_layers=2))


def mmpretrain_names(num_layers, layer_scale=False, pre_norm=False,
                     final_norm=True, patch_bias=True):
    """mmpretrain ``VisionTransformer`` state-dict keys, written out."""
    names = ['pos_embed', 'patch_embed.projection.weight']
    if patch_bias:
        names.append('patch_embed.projection.bias')
    for i in range(num_layers):
        block = [
            'ln1.weight', 'ln1.bias', 'attn.qkv.weight', 'attn.qkv.bias',
            'attn.proj.weight', 'attn.proj.bias'
        ]
        if layer_scale:
            block.append('attn.gamma1.weight')
        block += [
            'ln2.weight', 'ln2.bias', 'ffn.layers.0.0.weight',
            'ffn.layers.0.0.bias', 'ffn.layers.1.weight', 'ffn.layers.1.bias'
        ]
        if layer_scale:
            block.append('ffn.gamma2.weight')
        names += [f'layers.{i}.{n}' for n in block]
    if pre_norm:
        names += ['pre_norm.weight', 'pre_norm.bias']
    if final_norm:
        names += ['ln1.weight', 'ln1.bias']
    return names


@pytest.mark.parametrize('kwargs, expect', [
    (dict(), dict()),
    (dict(layer_scale_init_value=0.1), dict(layer_scale=True)),
    (dict(pre_norm=True), dict(pre_norm=True, patch_bias=False)),
    (dict(final_norm=False), dict(final_norm=False)),
])
def test_parameter_names_are_mmpretrains(kwargs, expect):
    model = PatchSelViT(arch=TINY, img_size=(64, 48), **kwargs)
    assert sorted(model.state_dict()) == sorted(
        mmpretrain_names(2, **expect))
    with torch.no_grad():
        model.eval()(torch.randn(1, 3, 64, 48))


def test_heatmap_head_consumes_the_output():
    from mmpose.models.heads import HeatmapHead
    model = tiny(img_size=(256, 192))
    head = HeatmapHead(in_channels=32, out_channels=17,
                       deconv_out_channels=(16, 16),
                       deconv_kernel_sizes=(4, 4))
    keep = random_keep(2, 192, 96)
    heatmaps = head(model(torch.randn(2, 3, 256, 192), keep_indices=keep))
    assert heatmaps.shape == (2, 17, 64, 48)


# ---------------------------------------------------------------- selection
def test_keep_all_equals_full_forward():
    model = tiny(img_size=(128, 96))
    x = torch.randn(3, 3, 128, 96)
    keep = torch.arange(48).expand(3, -1)
    with torch.no_grad():
        full = model(x)[0]
        kept = model(x, keep_indices=keep)[0]
    torch.testing.assert_close(kept, full, rtol=1e-5, atol=1e-5)


def reference_features(model, image, keep):
    """Independent ViT on the kept tokens of one (3, H, W) image.

    Explicit softmax(QK^T / sqrt(d)) V attention with the module's
    parameters, then the tokens scattered onto a zero (C, rows, cols) grid.
    """
    proj = model.patch_embed.projection
    feat = F.conv2d(image[None], proj.weight, proj.bias, stride=16,
                    padding=2)[0]
    C, rows, cols = feat.shape
    tokens = feat.reshape(C, rows * cols).T
    t = tokens[keep] + model.pos_embed[0][keep]
    for layer in model.layers:
        heads = layer.attn.num_heads
        d = C // heads
        h = F.layer_norm(t, (C, ), layer.ln1.weight, layer.ln1.bias, EPS)
        qkv = h @ layer.attn.qkv.weight.T + layer.attn.qkv.bias
        q, k, v = qkv.reshape(len(keep), 3, heads, d).permute(1, 2, 0, 3)
        attn = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), dim=-1)
        o = (attn @ v).permute(1, 0, 2).reshape(len(keep), C)
        t = t + o @ layer.attn.proj.weight.T + layer.attn.proj.bias
        h = F.layer_norm(t, (C, ), layer.ln2.weight, layer.ln2.bias, EPS)
        fc1, fc2 = layer.ffn.layers[0][0], layer.ffn.layers[1]
        h = F.gelu(h @ fc1.weight.T + fc1.bias) @ fc2.weight.T + fc2.bias
        t = t + h
    t = F.layer_norm(t, (C, ), model.ln1.weight, model.ln1.bias, EPS)
    grid = torch.zeros(rows * cols, C)
    grid[keep] = t
    return grid.T.reshape(C, rows, cols)


@pytest.mark.parametrize('size, count', [((128, 96), 17), ((250, 190), 60)])
def test_random_keep_matches_independent_reference(size, count):
    model = tiny(img_size=size)
    rows, cols = vit_grid_size(size)
    x = torch.randn(2, 3, *size)
    keep = random_keep(2, rows * cols, count, seed=3)
    with torch.no_grad():
        out = model(x, keep_indices=keep)[0]
        for b in range(2):
            ref = reference_features(model, x[b], keep[b])
            torch.testing.assert_close(out[b], ref, rtol=1e-4, atol=1e-5)
    # The selection really changes the kept tokens (attention is global).
    with torch.no_grad():
        full = model(x)[0]
    r, c = divmod(int(keep[0, 0]), cols)
    assert (full[0, :, r, c] - out[0, :, r, c]).abs().max() > 1e-3


def test_unsorted_keep_indices_give_the_same_grid():
    model = tiny(img_size=(128, 96))
    x = torch.randn(1, 3, 128, 96)
    keep = random_keep(1, 48, 20, seed=5)
    shuffled = keep[:, torch.randperm(20)]
    with torch.no_grad():
        torch.testing.assert_close(
            model(x, keep_indices=shuffled)[0],
            model(x, keep_indices=keep)[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('pad_with', ['zero', 'unselected'])
def test_padding_mask_equals_each_sample_alone(pad_with):
    """Counts 20, 7, 33 padded to 33. The estimator pads with index 0 (a
    kept position here); padding pointing at unselected positions must not
    show up on the grid either."""
    model = tiny(img_size=(128, 96))
    x = torch.randn(3, 3, 128, 96)
    counts = [20, 7, 33]
    keeps = [
        torch.cat([torch.tensor([0]),
                   random_keep(1, 47, c - 1, seed=b)[0] + 1])
        for b, c in enumerate(counts)
    ]
    K = max(counts)
    keep = torch.zeros(3, K, dtype=torch.long)
    pad = torch.ones(3, K, dtype=torch.bool)
    for b, k in enumerate(keeps):
        keep[b, :len(k)] = k
        pad[b, :len(k)] = False
        if pad_with == 'unselected':
            free = sorted(set(range(48)) - set(k.tolist()))
            keep[b, len(k):] = torch.tensor(free[:K - len(k)])
    with torch.no_grad():
        batched = model(x, keep_indices=keep, key_padding_mask=pad)[0]
        for b, k in enumerate(keeps):
            alone = model(x[b:b + 1], keep_indices=k[None])[0][0]
            torch.testing.assert_close(batched[b], alone, rtol=1e-5,
                                       atol=1e-5)
            # position 0 is kept by every sample: the padding entries that
            # point at it must not overwrite it
            assert batched[b, :, 0, 0].abs().sum() > 0
        # without the mask the padding tokens would change the result
        unmasked = model(x, keep_indices=keep)[0]
    assert (unmasked[1] - batched[1]).abs().max() > 1e-3


def test_gradients_flow_and_unselected_positions_are_zero():
    model = tiny(img_size=(128, 96)).train()
    x = torch.randn(2, 3, 128, 96, requires_grad=True)
    keep = random_keep(2, 48, 12, seed=1)
    out = model(x, keep_indices=keep)[0]
    out.square().sum().backward()
    flat = out.detach().flatten(2)  # (B, C, N)
    for b in range(2):
        mask = torch.zeros(48, dtype=torch.bool)
        mask[keep[b]] = True
        assert torch.all(flat[b][:, ~mask] == 0)
        assert torch.all(flat[b][:, mask].abs().sum(0) > 0)
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    # pixels feeding only unselected patches get no gradient
    grad = x.grad.abs().sum(1)  # (B, H, W), patch rows [16r-2, 16r+14)
    r, c = divmod(int(keep[0, 0]), 6)
    assert grad[0, 16 * r + 2:16 * r + 14, 16 * c + 2:16 * c + 14].sum() > 0
    unselected = sorted(set(range(48)) - set(keep[0].tolist()))
    r, c = divmod(unselected[0], 6)
    assert grad[0, 16 * r + 2:16 * r + 14, 16 * c + 2:16 * c + 14].sum() == 0


def test_learned_fill_token():
    model = tiny(img_size=(64, 48), restore_fill='learned')
    assert model.fill_token.shape == (1, 1, 32)
    assert torch.all(model.fill_token == 0)  # starts as the zeros mode
    with torch.no_grad():
        model.fill_token.normal_()
    keep = torch.tensor([[0, 5, 7]])
    out = model(torch.randn(1, 3, 64, 48), keep_indices=keep)[0]
    flat = out.flatten(2)[0]
    torch.testing.assert_close(flat[:, 1], model.fill_token[0, 0])
    assert not torch.allclose(flat[:, 5], model.fill_token[0, 0])
    out.sum().backward()
    assert model.fill_token.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='restore_fill'):
        PatchSelViT(arch=TINY, restore_fill='mean')


def test_drop_path_in_training():
    model = tiny(img_size=(64, 48), drop_path_rate=0.5).train()
    keep = random_keep(4, 12, 6)
    x = torch.randn(4, 3, 64, 48)
    torch.manual_seed(0)
    a = model(x, keep_indices=keep)[0]
    torch.manual_seed(1)
    b = model(x, keep_indices=keep)[0]
    assert not torch.allclose(a, b)
    model.eval()
    torch.testing.assert_close(
        model(x, keep_indices=keep)[0], model(x, keep_indices=keep)[0])


def test_invalid_selections_are_rejected():
    model = tiny(img_size=(64, 48))
    x = torch.randn(2, 3, 64, 48)
    with pytest.raises(ValueError, match='keep_indices'):
        model(x, keep_indices=torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(TypeError, match='integer'):
        model(x, keep_indices=torch.zeros(2, 4))
    with pytest.raises(ValueError, match='key_padding_mask'):
        model(x, keep_indices=torch.zeros(2, 4, dtype=torch.long),
              key_padding_mask=torch.zeros(2, 3, dtype=torch.bool))
    pad = torch.zeros(2, 4, dtype=torch.bool)
    pad[1] = True
    with pytest.raises(ValueError, match='only padding'):
        model(x, keep_indices=torch.zeros(2, 4, dtype=torch.long),
              key_padding_mask=pad)
    with pytest.raises(ValueError, match='needs keep_indices'):
        model(x, key_padding_mask=pad)


# ---------------------------------------------------------------- checkpoints
VITPOSE_BLOCK = {
    'ln1.': 'norm1.',
    'ln2.': 'norm2.',
    'attn.qkv.': 'attn.qkv.',
    'attn.proj.': 'attn.proj.',
    'ffn.layers.0.0.': 'mlp.fc1.',
    'ffn.layers.1.': 'mlp.fc2.',
}


def to_timm_names(state, final_norm_name):
    """mmpretrain names -> ViTPose / MAE (timm) names, written here."""
    out = {}
    for key, value in state.items():
        m = re.match(r'layers\.(\d+)\.(.*)', key)
        if m:
            rest = m.group(2)
            for ours, theirs in VITPOSE_BLOCK.items():
                if rest.startswith(ours):
                    rest = theirs + rest[len(ours):]
                    break
            out[f'blocks.{m.group(1)}.{rest}'] = value
        elif key.startswith('patch_embed.projection.'):
            out[key.replace('projection', 'proj')] = value
        elif key.startswith('ln1.'):
            out[final_norm_name + key[len('ln1.'):]] = value
        else:
            out[key] = value
    return out


def save_mmpose(model, path):
    state = {'backbone.' + k: v for k, v in model.state_dict().items()}
    state['head.final_layer.weight'] = torch.randn(17, 32, 1, 1)
    torch.save(dict(state_dict=state, meta=dict(epoch=1)), path)


def save_vitpose(model, path):
    """Official ViTPose: blocks.N, last_norm, (1, 1 + N, C) pos_embed whose
    first entry ViTPose adds to every patch position."""
    state = to_timm_names(model.state_dict(), 'last_norm.')
    pos = state['pos_embed']
    cls = torch.randn(1, 1, pos.shape[2])
    state['pos_embed'] = torch.cat([cls, pos - cls], dim=1)
    state = {'backbone.' + k: v for k, v in state.items()}
    state['keypoint_head.final_layer.weight'] = torch.randn(17, 32, 1, 1)
    torch.save(dict(state_dict=state), path)


def save_mae(model, path):
    """MAE pretraining: blocks.N, norm, cls_token, (1, 1 + N, C) pos_embed
    whose first entry is the cls token's, and a decoder."""
    state = to_timm_names(model.state_dict(), 'norm.')
    pos = state['pos_embed']
    C = pos.shape[2]
    state['pos_embed'] = torch.cat([torch.randn(1, 1, C), pos], dim=1)
    state['cls_token'] = torch.randn(1, 1, C)
    state['mask_token'] = torch.randn(1, 1, 16)
    state['decoder_embed.weight'] = torch.randn(16, C)
    state['decoder_pos_embed'] = torch.randn(1, pos.shape[1] + 1, 16)
    state['decoder_blocks.0.norm1.weight'] = torch.randn(16)
    state['decoder_norm.weight'] = torch.randn(16)
    state['decoder_pred.weight'] = torch.randn(768, 16)
    torch.save(dict(model=state), path)


SAVERS = {
    'mmpose': (save_mmpose, 'backbone.'),
    'vitpose': (save_vitpose, 'backbone.'),
    'mae': (save_mae, None),
}


def load_via_init_cfg(path, prefix, **kwargs):
    kwargs.setdefault('img_size', (128, 96))
    init_cfg = dict(type='Pretrained', checkpoint=str(path))
    if prefix is not None:
        init_cfg['prefix'] = prefix
    torch.manual_seed(123)  # other weights than the source model
    model = PatchSelViT(arch=TINY, init_cfg=init_cfg, **kwargs)
    model.init_weights()
    return model.eval()


@pytest.mark.parametrize('fmt', list(SAVERS))
def test_checkpoint_round_trip(fmt, tmp_path):
    src = tiny(img_size=(128, 96))
    save, prefix = SAVERS[fmt]
    path = tmp_path / f'{fmt}.pth'
    save(src, path)
    model = load_via_init_cfg(path, prefix)
    for key, value in src.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value,
                                   rtol=0, atol=1e-6, msg=key)
    x = torch.randn(2, 3, 128, 96)
    keep = random_keep(2, 48, 20)
    with torch.no_grad():
        torch.testing.assert_close(model(x)[0], src(x)[0], rtol=1e-5,
                                   atol=1e-5)
        torch.testing.assert_close(
            model(x, keep_indices=keep)[0], src(x, keep_indices=keep)[0],
            rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('fmt', list(SAVERS))
def test_mmengine_load_checkpoint_converts_under_the_prefix(fmt, tmp_path):
    """``load_checkpoint`` / ``load_state_dict`` of a whole model: the
    backbone's pre-hook converts its part of the state dict."""
    src = tiny(img_size=(128, 96))
    save, _ = SAVERS[fmt]
    path = tmp_path / f'{fmt}.pth'
    save(src, path)
    ckpt = torch.load(path)
    state = ckpt.get('state_dict', ckpt.get('model'))
    if fmt == 'mae':  # a backbone-only file: give it the model's prefix
        state = {'backbone.' + k: v for k, v in state.items()}
    state = {k: v for k, v in state.items() if 'head.' not in k}

    wrapper = nn.Module()
    wrapper.backbone = PatchSelViT(arch=TINY, img_size=(128, 96))
    wrapper.load_state_dict(state, strict=True)
    for key, value in src.state_dict().items():
        torch.testing.assert_close(wrapper.backbone.state_dict()[key], value,
                                   rtol=0, atol=1e-6, msg=key)
    if fmt != 'mae':
        other = nn.Module()
        other.backbone = PatchSelViT(arch=TINY, img_size=(128, 96))
        load_checkpoint(other, str(path), strict=False)
        for key, value in src.state_dict().items():
            torch.testing.assert_close(other.backbone.state_dict()[key],
                                       value, rtol=0, atol=1e-6, msg=key)


def broken_checkpoints():
    def rename(state):
        state['backbone.layers.1.attn.qkv_w.weight'] = state.pop(
            'backbone.layers.1.attn.qkv.weight')
        return ['layers.1.attn.qkv.weight', 'layers.1.attn.qkv_w.weight']

    def missing(state):
        del state['backbone.ln1.bias']
        return ['missing keys: ln1.bias']

    def shape(state):
        state['backbone.layers.0.ffn.layers.1.weight'] = torch.zeros(32, 32)
        return ['layers.0.ffn.layers.1.weight', '(32, 32)', '(32, 128)']

    def extra(state):
        state['backbone.layers.0.attn.q_bias'] = torch.zeros(32)
        return ['unexpected keys: layers.0.attn.q_bias']

    return [rename, missing, shape, extra]


@pytest.mark.parametrize('breaker', broken_checkpoints(),
                         ids=lambda f: f.__name__)
def test_broken_checkpoint_names_the_key(breaker, tmp_path):
    src = tiny(img_size=(128, 96))
    save_mmpose(src, tmp_path / 'ok.pth')
    ckpt = torch.load(tmp_path / 'ok.pth')
    expected = breaker(ckpt['state_dict'])
    torch.save(ckpt, tmp_path / 'broken.pth')
    with pytest.raises(CheckpointMismatchError) as info:
        load_via_init_cfg(tmp_path / 'broken.pth', 'backbone.')
    for text in expected:
        assert text in str(info.value)


def test_broken_vitpose_checkpoint_names_the_key(tmp_path):
    src = tiny(img_size=(128, 96))
    save_vitpose(src, tmp_path / 'vp.pth')
    ckpt = torch.load(tmp_path / 'vp.pth')
    ckpt['state_dict']['backbone.blocks.1.mlp.fc_1.weight'] = ckpt[
        'state_dict'].pop('backbone.blocks.1.mlp.fc1.weight')
    torch.save(ckpt, tmp_path / 'vp_broken.pth')
    with pytest.raises(CheckpointMismatchError,
                       match=r'layers\.1\.ffn\.layers\.0\.0\.weight'):
        load_via_init_cfg(tmp_path / 'vp_broken.pth', 'backbone.')


def test_non_strict_loading_skips_only_the_broken_key(tmp_path):
    src = tiny(img_size=(128, 96))
    save_mmpose(src, tmp_path / 'ok.pth')
    ckpt = torch.load(tmp_path / 'ok.pth')
    ckpt['state_dict']['backbone.ln1.weight'] = torch.zeros(7)
    torch.save(ckpt, tmp_path / 'bad.pth')
    init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'bad.pth'),
                    prefix='backbone.', strict=False)
    model = PatchSelViT(arch=TINY, img_size=(128, 96), init_cfg=init_cfg)
    model.init_weights()
    assert torch.equal(model.ln1.bias, src.ln1.bias)
    assert not torch.equal(model.ln1.weight, src.ln1.weight)


def bicubic(pos, src_grid, dst_grid):
    C = pos.shape[-1]
    grid = pos.reshape(1, *src_grid, C).permute(0, 3, 1, 2)
    grid = F.interpolate(grid, size=dst_grid, mode='bicubic',
                         align_corners=False)
    return grid.flatten(2).transpose(1, 2)


@pytest.mark.parametrize('fmt', ['mmpose', 'vitpose'])
def test_pos_embed_interpolated_to_a_bigger_input(fmt, tmp_path):
    src = tiny(img_size=(256, 192))
    save, prefix = SAVERS[fmt]
    save(src, tmp_path / 'ckpt.pth')
    model = load_via_init_cfg(tmp_path / 'ckpt.pth', prefix,
                              img_size=(384, 288))
    assert model.pos_embed.shape == (1, 24 * 18, 32)
    expected = bicubic(src.pos_embed.detach(), (16, 12), (24, 18))
    torch.testing.assert_close(model.pos_embed.detach(), expected,
                               rtol=1e-5, atol=1e-6)
    for key, value in src.state_dict().items():
        if key != 'pos_embed':
            torch.testing.assert_close(model.state_dict()[key], value,
                                       rtol=0, atol=0, msg=key)


def test_mae_square_pos_embed_interpolated_to_the_pose_grid(tmp_path):
    """MAE at 224x224 (14x14 + cls) into a 256x192 (16x12) model."""
    src = tiny(img_size=(224, 224))
    assert src.grid_size() == (14, 14)  # padding 2 keeps MAE's 14x14
    save_mae(src, tmp_path / 'mae.pth')
    model = load_via_init_cfg(tmp_path / 'mae.pth', None,
                              img_size=(256, 192))
    expected = bicubic(src.pos_embed.detach(), (14, 14), (16, 12))
    torch.testing.assert_close(model.pos_embed.detach(), expected,
                               rtol=1e-5, atol=1e-6)


def test_mae_patch14_kernel_padded_like_vitpose(tmp_path):
    src = tiny(img_size=(224, 224))
    save_mae(src, tmp_path / 'mae.pth')
    ckpt = torch.load(tmp_path / 'mae.pth')
    kernel14 = torch.randn(32, 3, 14, 14)
    ckpt['model']['patch_embed.proj.weight'] = kernel14
    torch.save(ckpt, tmp_path / 'mae14.pth')
    with pytest.raises(CheckpointMismatchError,
                       match='patch_embed.projection.weight'):
        load_via_init_cfg(tmp_path / 'mae14.pth', None, img_size=(256, 192))
    init_cfg = dict(type='Pretrained', checkpoint=str(tmp_path / 'mae14.pth'),
                    patch_kernel_resize='pad')
    model = PatchSelViT(arch=TINY, init_cfg=init_cfg)
    model.init_weights()
    weight = model.patch_embed.projection.weight
    assert torch.equal(weight[..., 1:15, 1:15], kernel14)
    assert weight[..., 0, :].abs().sum() == 0
    assert weight[..., :, 15].abs().sum() == 0


def test_zeros_checkpoint_loads_into_a_learned_fill_model(tmp_path):
    src = tiny(img_size=(64, 48))
    save_mmpose(src, tmp_path / 'ckpt.pth')
    model = load_via_init_cfg(tmp_path / 'ckpt.pth', 'backbone.',
                              img_size=(64, 48), restore_fill='learned')
    assert torch.all(model.fill_token == 0)
    torch.testing.assert_close(model.pos_embed, src.pos_embed)
    keep = random_keep(1, 12, 5)
    x = torch.randn(1, 3, 64, 48)
    with torch.no_grad():
        torch.testing.assert_close(model(x, keep_indices=keep)[0],
                                   src(x, keep_indices=keep)[0])


def test_missing_prefix_is_reported(tmp_path):
    src = tiny(img_size=(64, 48))
    save_mmpose(src, tmp_path / 'ckpt.pth')
    with pytest.raises(KeyError, match='encoder.'):
        load_via_init_cfg(tmp_path / 'ckpt.pth', 'encoder.',
                          img_size=(64, 48))


# ---------------------------------------------------------------- layer decay
def test_layer_decay_constructor_groups():
    from mmpose.engine.optim_wrappers.layer_decay_optim_wrapper import \
        LayerDecayOptimWrapperConstructor

    num_layers, rate, base_lr = 3, 0.5, 1.0
    model = nn.Module()
    model.backbone = PatchSelViT(
        arch=dict(TINY, num_layers=num_layers), img_size=(64, 48))
    model.head = nn.Linear(32, 4)
    constructor = LayerDecayOptimWrapperConstructor(
        dict(type='OptimWrapper',
             optimizer=dict(type='AdamW', lr=base_lr, weight_decay=0.1)),
        paramwise_cfg=dict(num_layers=num_layers, layer_decay_rate=rate))
    optim_wrapper = constructor(model)

    lr = {}
    for group in optim_wrapper.optimizer.param_groups:
        for name in group['param_names']:
            lr[name] = group['lr']
    names = [n for n, _ in model.named_parameters()]
    assert sorted(lr) == sorted(names)

    # The stem (patch_embed, pos_embed) is depth 0, layers.i is i + 1, and
    # the rest (final norm, head) the last group: lr * rate ** (L + 1 - d).
    depths = {}
    for name in names:
        m = re.match(r'backbone\.layers\.(\d+)\.', name)
        if name == 'backbone.pos_embed' or \
                name.startswith('backbone.patch_embed.'):
            depths[name] = 0
        elif m:
            depths[name] = int(m.group(1)) + 1
        else:
            depths[name] = num_layers + 1
        assert lr[name] == pytest.approx(
            base_lr * rate**(num_layers + 1 - depths[name])), name
    # Which parameters sit at which depth, from mmpretrain's names.
    expected = {}
    for name in mmpretrain_names(num_layers):
        m = re.match(r'layers\.(\d+)\.', name)
        expected['backbone.' + name] = (
            int(m.group(1)) + 1 if m else
            num_layers + 1 if name.startswith('ln1.') else 0)
    expected['head.weight'] = expected['head.bias'] = num_layers + 1
    assert depths == expected
    assert lr['backbone.layers.0.attn.qkv.weight'] == pytest.approx(0.125)
    assert lr['backbone.patch_embed.projection.weight'] == \
        pytest.approx(0.0625)
    assert lr['backbone.ln1.weight'] == pytest.approx(1.0)


def test_registered_in_mmpose_models():
    from mmpose.registry import MODELS
    model = MODELS.build(dict(type='PatchSelViT', arch=TINY,
                              img_size=(64, 48)))
    assert isinstance(model, PatchSelViT)


def test_sincos_pos_embed_start_encodes_grid_distance():
    """pos_embed_init='sincos' starts positions from a 2D sin-cos table:
    within a few cells, nearer cells have more similar embeddings, along
    rows and columns (sin-cos similarity ripples further out)."""
    from mmpose_patchsel.models.backbones.patchsel_vit import PatchSelViT
    vit = PatchSelViT(
        arch=dict(embed_dims=64, num_layers=1, num_heads=2),
        pos_embed_init='sincos')
    vit.init_weights()
    table = vit.pos_embed[0].detach().reshape(16, 12, 64)
    centre = table[8, 6]
    for axis_cells in (table[8, 6:10], table[8:12, 6]):
        sims = torch.stack([centre @ cell for cell in axis_cells])
        assert (sims[:-1] > sims[1:]).all()
    default = PatchSelViT(arch=dict(embed_dims=64, num_layers=1,
                                    num_heads=2))
    default.init_weights()
    assert float(default.pos_embed.std()) == pytest.approx(0.02, rel=0.2)
    with pytest.raises(ValueError, match='pos_embed_init'):
        PatchSelViT(arch='small', pos_embed_init='learned')


# ------------------------------------------------------- merged dropped
def test_merge_keeping_every_patch_equals_the_full_forward():
    model = tiny(img_size=(128, 96), merge_dropped=2)
    x = torch.randn(2, 3, 128, 96)
    keep = torch.arange(48)[None].expand(2, -1)
    with torch.no_grad():
        torch.testing.assert_close(model(x, keep_indices=keep)[0],
                                   model(x)[0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('groups', [1, 3])
def test_merged_identical_patches_reproduce_the_full_model(groups):
    """Without position embeddings, patches of one flat colour embed to
    one token; merged with proportional attention they are attended
    exactly as all their copies were, so the kept cells' outputs and the
    unselected cells' fill equal the full model's, where zeros (dropping)
    does not."""
    model = tiny(img_size=(128, 96), merge_dropped=groups)
    with torch.no_grad():
        model.pos_embed.zero_()
    x = torch.full((1, 3, 128, 96), 0.3)
    x[:, :, 32:64, 16:48] = torch.randn(1, 3, 32, 32)  # the "person"
    with torch.no_grad():
        tokens = model.embed_all(x)[0][0]
    # Keep every cell that is not flat inside (the person's and, through
    # the zero padding of the patch embedding, the border's).
    flat = (tokens - tokens[6 * 6 + 3]).abs().amax(1) < 1e-6
    assert 8 <= int(flat.sum()) < 48
    keep = torch.nonzero(~flat)[:, 0][None]
    with torch.no_grad():
        full = model(x)[0]
        merged = model(x, keep_indices=keep)[0]
        model.merge_dropped = 0
        dropped = model(x, keep_indices=keep)[0]
    torch.testing.assert_close(merged, full, rtol=1e-4, atol=1e-4)
    flat_full, flat_drop = full.flatten(2), dropped.flatten(2)
    assert (flat_drop[..., keep[0]] - flat_full[..., keep[0]]).abs().max() \
        > 1e-3


def test_merge_with_padding_equals_each_sample_alone():
    model = tiny(img_size=(128, 96), merge_dropped=2)
    x = torch.randn(2, 3, 128, 96)
    short, long = random_keep(1, 48, 9, seed=4)[0], random_keep(
        1, 48, 20, seed=5)[0]
    keep = torch.zeros(2, 20, dtype=torch.long)
    pad = torch.ones(2, 20, dtype=torch.bool)
    keep[0, :9], pad[0, :9] = short, False
    keep[0, 9:] = long[:11]  # padding pointing at other cells
    keep[1], pad[1] = long, False
    with torch.no_grad():
        batched = model(x, keep_indices=keep, key_padding_mask=pad)[0]
        for b, k in enumerate((short, long)):
            alone = model(x[b:b + 1], keep_indices=k[None])[0][0]
            torch.testing.assert_close(batched[b], alone, rtol=1e-5,
                                       atol=1e-5)


def test_merge_groups_must_fit_the_grid():
    with pytest.raises(ValueError, match='merge groups=9'):
        tiny(img_size=(128, 96), merge_dropped=9)(
            torch.randn(1, 3, 128, 96), keep_indices=torch.tensor([[0, 1]]))
    with pytest.raises(ValueError, match='merge_dropped'):
        PatchSelViT(arch=TINY, merge_dropped=-1)
