"""SapiensHeatmapHead: Sapiens' InstanceNorm + SiLU heatmap head, its
checkpoints, its place after the patch-selecting backbone and its
masked_norm option."""
import numpy as np
import pytest
import torch
import torch.nn as nn
from conftest import TEST_CONFIGS
from mmengine.config import Config
from mmengine.runner import load_checkpoint
from mmpose.models.heads import HeatmapHead
from mmpose.registry import MODELS
from mmpose.testing import get_packed_inputs

from mmpose_patchsel.deployment.exporter import export_pose_model
from mmpose_patchsel.models import SapiensHeatmapHead
from patchsel_testing import (INPUT_SIZE, selected_batch,
                              small_sapiens_estimator)
from sapiens_testing import (ReferenceHead, head_shapes, pose_shapes,
                             random_state)

DECONV, CONV = (16, 16), (16, 16)
CODEC = dict(type='UDPHeatmap', input_size=INPUT_SIZE, heatmap_size=(48, 64),
             sigma=2)


def head(seed=0, **kwargs) -> SapiensHeatmapHead:
    """A small head as Sapiens' configs shape it: two deconvs, two 1x1
    convs, the final conv."""
    torch.manual_seed(seed)
    kwargs = dict(dict(in_channels=32, out_channels=17,
                       deconv_out_channels=DECONV,
                       deconv_kernel_sizes=(4, 4),
                       conv_out_channels=CONV, conv_kernel_sizes=(1, 1),
                       decoder=CODEC), **kwargs)
    model = MODELS.build(dict(type='SapiensHeatmapHead', **kwargs))
    model.init_weights()
    with torch.no_grad():  # init std 0.001 is too flat to compare outputs
        for p in model.parameters():
            p.normal_(0, 0.2)
    return model.eval()


def test_layers_are_sapiens_instance_norm_silu():
    model = head()
    for seq, conv_type in ((model.deconv_layers, nn.ConvTranspose2d),
                           (model.conv_layers, nn.Conv2d)):
        # mmcv's conv wrappers subclass torch's
        assert all(
            isinstance(m, t) for m, t in zip(
                seq, [conv_type, nn.InstanceNorm2d, nn.SiLU] * 2, strict=True))
        for norm in seq[1::3]:  # Sapiens' nn.InstanceNorm2d(C) defaults
            assert not norm.affine and not norm.track_running_stats
            assert norm.eps == 1e-5
        assert all(act.inplace for act in seq[2::3])
    assert model.deconv_layers[0].bias is None
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == dict(head_shapes(32, 17, DECONV, CONV))


def test_forward_equals_sapiens_reference():
    model = head()
    reference = ReferenceHead(32, 17, DECONV, CONV).eval()
    reference.load_state_dict(model.state_dict(), strict=True)
    feats = (torch.randn(2, 32, 16, 12), )
    with torch.no_grad():
        out = model(feats)
        torch.testing.assert_close(out, reference(feats), rtol=0, atol=0)
    assert out.shape == (2, 17, 64, 48)


def test_use_silu_false_is_mmpose_heatmap_head():
    ours = head(use_silu=False)
    stock = HeatmapHead(in_channels=32, out_channels=17,
                        deconv_out_channels=DECONV,
                        deconv_kernel_sizes=(4, 4),
                        conv_out_channels=CONV, conv_kernel_sizes=(1, 1))
    stock.load_state_dict(ours.state_dict(), strict=True)
    feats = (torch.randn(2, 32, 16, 12), )
    with torch.no_grad():
        torch.testing.assert_close(ours(feats), stock.eval()(feats))


def test_loss_and_flip_predict():
    model = head()
    batch = get_packed_inputs(2, num_keypoints=17, img_shape=(256, 192),
                              heatmap_size=(48, 64), with_simcc_label=False,
                              with_reg_label=False)['data_samples']
    feats = (torch.randn(2, 32, 16, 12), )
    losses = model.train().loss(feats, batch)
    assert set(losses) == {'loss_kpt', 'acc_pose'}  # mmpose's, no tuple
    assert torch.isfinite(losses['loss_kpt'])
    preds = model.eval().predict(
        [feats, (feats[0].flip(-1), )], batch,
        test_cfg=dict(flip_test=True, flip_mode='heatmap',
                      shift_heatmap=False))
    assert len(preds) == 2 and preds[0].keypoints.shape == (1, 17, 2)


# ------------------------------------------- with the patch-selecting ViT
def test_head_after_selected_tokens(coco_root):
    """Unselected tokens come back as zeros on the grid; the head reads
    the restored map, as mmpose's HeatmapHead does."""
    model = small_sapiens_estimator()
    data = selected_batch(model, coco_root)
    feats = []
    # predict calls head.forward directly: record what its layers get.
    hook = model.head.deconv_layers.register_forward_pre_hook(
        lambda _, args: feats.append(args[0]))
    with torch.no_grad():
        results = model(**data, mode='predict')
    hook.remove()
    assert len(feats) == 2  # the image and its flip
    for sample, feat in zip(data['data_samples'], feats[0]):
        dropped = ~torch.as_tensor(sample.metainfo['patch_mask'])
        assert dropped.sum() == 192 - 48
        assert feat.flatten(1)[:, dropped].abs().sum() == 0
    for result in results:
        assert result.pred_instances.keypoints.shape == (1, 17, 2)
        assert torch.isfinite(
            torch.as_tensor(result.pred_instances.keypoints)).all()


# ------------------------------------------------- Sapiens' checkpoints
def save_sapiens_pose(path, shapes, seed=0):
    """A checkpoint as Sapiens' finetune_clean_checkpoints.py leaves it."""
    state = random_state(shapes, seed)
    torch.save(dict(state_dict=state, meta=dict(mmpose_version='1.1.0')),
               path)
    return state


def pose_layout():
    """Sapiens' pose layout at this file's small sizes (16x12 grid)."""
    return pose_shapes(32, 1, 17, (16, 12), DECONV, CONV)


def test_sapiens_pose_checkpoint_loads_strictly(tmp_path):
    state = save_sapiens_pose(tmp_path / 'sapiens.pth', pose_layout())
    model = small_sapiens_estimator(seed=1)
    load_checkpoint(model, str(tmp_path / 'sapiens.pth'), map_location='cpu',
                    strict=True)
    own = model.state_dict()
    assert set(own) == set(state)
    for key, value in state.items():
        assert torch.equal(own[key], value), key
    # The head computes what Sapiens' head computes on the same features.
    reference = ReferenceHead(32, 17, DECONV, CONV).eval()
    reference.load_state_dict(
        {k[len('head.'):]: v for k, v in state.items()
         if k.startswith('head.')}, strict=True)
    x = torch.randn(1, 3, 256, 192)
    with torch.no_grad():
        feats = model.extract_feat(x)
        torch.testing.assert_close(model.head(feats), reference(feats))


def wrong_key(shapes):
    shapes['head.conv_layers.4.weight'] = shapes.pop(
        'head.conv_layers.3.weight')
    return ['head.conv_layers.4.weight', 'head.conv_layers.3.weight']


def wrong_shape(shapes):
    shapes['head.final_layer.weight'] = (18, 16, 1, 1)
    return ['head.final_layer.weight', '[18, 16, 1, 1]', '[17, 16, 1, 1]']


@pytest.mark.parametrize('breaker', [wrong_key, wrong_shape],
                         ids=lambda f: f.__name__)
def test_mismatched_pose_checkpoint_names_keys_and_shapes(breaker, tmp_path):
    shapes = pose_layout()
    expected = breaker(shapes)
    save_sapiens_pose(tmp_path / 'broken.pth', shapes)
    with pytest.raises(RuntimeError) as info:
        load_checkpoint(small_sapiens_estimator(),
                        str(tmp_path / 'broken.pth'), map_location='cpu',
                        strict=True)
    for text in expected:
        assert text in str(info.value)


def test_mmpose_heatmap_head_misses_sapiens_batchnorms(tmp_path):
    """mmpose's stock head builds BatchNorms a Sapiens checkpoint has no
    weights for: a strict load names them."""
    save_sapiens_pose(tmp_path / 'sapiens.pth', pose_layout())
    model = small_sapiens_estimator()
    model.head = HeatmapHead(in_channels=32, out_channels=17,
                             deconv_out_channels=DECONV,
                             deconv_kernel_sizes=(4, 4),
                             conv_out_channels=CONV,
                             conv_kernel_sizes=(1, 1))
    with pytest.raises(RuntimeError,
                       match=r'missing keys.*head\.deconv_layers\.1\.weight'):
        load_checkpoint(model, str(tmp_path / 'sapiens.pth'),
                        map_location='cpu', strict=True)


# ------------------------------------- masked_norm: computed positions only
def dropped_cells(feats: torch.Tensor, keep: float = 0.4, seed: int = 0):
    """``feats`` with zeros where no token was computed, and the (B, 16, 12)
    kept-cell mask (every sample keeps some)."""
    g = torch.Generator().manual_seed(seed)
    kept = torch.rand(feats.shape[0], *feats.shape[2:], generator=g) < keep
    kept[:, 8, 6] = True
    return feats * kept[:, None], kept


def reference_masked_forward(model: SapiensHeatmapHead, x: torch.Tensor,
                             kept: torch.Tensor) -> torch.Tensor:
    """The head's layers, each InstanceNorm replaced by a float64 numpy
    norm over the kept cells, the grid mask repeated 2x per deconv."""
    mask = kept.numpy()
    for layer in (*model.deconv_layers, *model.conv_layers):
        if not isinstance(layer, nn.InstanceNorm2d):
            x = layer(x)
            continue
        factor = x.shape[-1] // mask.shape[-1]
        up = mask.repeat(factor, 1).repeat(factor, 2)
        values = x.numpy().astype(np.float64)
        out = np.empty_like(values)
        for b in range(values.shape[0]):
            sel = values[b][:, up[b]]  # (C, kept)
            mean = sel.mean(1)[:, None, None]
            var = sel.var(1)[:, None, None]
            out[b] = (values[b] - mean) / np.sqrt(var + layer.eps)
        x = torch.from_numpy(out).float()
    return model.final_layer(x)


def test_masked_norm_with_every_position_computed_is_sapiens_head():
    plain, masked = head(), head(masked_norm=True)
    masked.load_state_dict(plain.state_dict(), strict=True)  # same layout
    assert masked.state_dict().keys() == plain.state_dict().keys()
    feats = (torch.randn(2, 32, 16, 12), )
    with torch.no_grad():
        torch.testing.assert_close(masked(feats), plain(feats))


def test_masked_norm_statistics_cover_the_computed_positions():
    model = head(masked_norm=True)
    x, kept = dropped_cells(torch.randn(2, 32, 16, 12))
    with torch.no_grad():
        out = model((x, ))
        expected = reference_masked_forward(model, x, kept)
        torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)
        # Plain InstanceNorm counts the zeros: every position moves.
        plain = head()((x, ))
    assert (plain - out).abs().amax(dim=(0, 1)).min() > 0


def test_masked_norm_needs_instance_norm():
    with pytest.raises(ValueError, match='use_silu=True'):
        head(use_silu=False, masked_norm=True)


def test_masked_norm_in_the_estimator_with_selection(coco_root):
    """Selected tokens come back as zeros: the masked head leaves them out
    of its statistics (other heatmaps than the plain head's); on the full
    grid it is the plain head."""
    model = small_sapiens_estimator()
    data = selected_batch(model, coco_root)
    with torch.no_grad():
        plain = model(**data, mode='tensor')
        model.head.masked_norm = True
        masked = model(**data, mode='tensor')
        full = model(data['inputs'], mode='tensor')
        model.head.masked_norm = False
        torch.testing.assert_close(full, model(data['inputs'], mode='tensor'))
    assert masked.shape == plain.shape == (2, 17, 64, 48)
    assert not torch.allclose(masked, plain)


def test_masked_and_tiled_head_exports_to_onnx(coco_root, tmp_path):
    """The masked head exports; so does a config with tiles (the exporter
    runs the dense head: the same heatmaps, static shapes)."""
    pytest.importorskip('onnxruntime')
    cfg = Config.fromfile(
        TEST_CONFIGS /
        'td-hm_patchsel-vit-tiny-skeleton_coco-testdata-256x192.py')
    cfg.model.head.update(type='SapiensHeatmapHead', masked_norm=True,
                          tile_cells=2)
    result = export_pose_model(cfg,
                               None,
                               str(tmp_path / 'masked.onnx'),
                               check_data=str(coco_root),
                               max_persons=2,
                               num_keep=48)
    # ONNX Runtime reproduces the masked head (check_onnx raises if not).
    assert result['check']['max_rel_diff'] <= 1e-3
