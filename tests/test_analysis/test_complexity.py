"""FLOPs with the attention matmuls, against closed forms and the paper;
the keep-rate helpers; a guide counted at its own input size."""
import pytest
from mmengine.config import Config
from mmpose.registry import MODELS

from mmpose_patchsel.analysis import (SelectionFlops, at_keep_rate,
                                      count_flops, guide_flops,
                                      measured_keep_rates, pruned_flops)
from mmpose_patchsel.models.pose_estimators import build_guide_model

VITB_CFG = 'configs/coco/td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py'  # noqa: E501
LITEHRNET = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
             'td-hm_litehrnet-18_8xb64-210e_coco-256x192.py')
#: LiteHRNet-18 at half the ViT's 256x192, as an online guide can run.
GUIDE_128X96 = {
    'model.head.decoder.input_size': (96, 128),
    'model.head.decoder.heatmap_size': (24, 32),
}


def build(cfg_path, **backbone):
    cfg = Config.fromfile(cfg_path)
    cfg.model.backbone.init_cfg = None
    cfg.model.backbone.update(backbone)
    return MODELS.build(cfg.model).eval()


@pytest.mark.parametrize('num_keep', [None, 150, 40])
def test_attention_and_linear_flops_follow_closed_forms(tiny_coco_cfg,
                                                        num_keep):
    model = build(str(tiny_coco_cfg))
    dims, layers, ffn = 96, 2, 192
    tokens = num_keep or 192
    result = count_flops(model, (3, 256, 192), num_keep)
    # QK^T and AV: L x S x d each, per layer (heads split d).
    assert result['attention_flops'] == layers * 2 * tokens * tokens * dims
    # Dropping tokens removes exactly their qkv/proj/MLP multiply-adds and
    # their 2 per layer + 1 final LayerNorms (5 FLOPs/element in mmengine).
    full = count_flops(model, (3, 256, 192))
    per_token = layers * (4 * dims * dims + 2 * dims * ffn) + (
        2 * layers + 1) * dims * 5
    saved = full['flops_no_attention'] - result['flops_no_attention']
    assert saved == per_token * (192 - tokens)


def test_full_vit_base_matches_the_paper():
    """Kinfu & Vidal report 17.9 GFLOPs for the full ViTPose-B 256x192,
    counted without attention matmuls."""
    result = count_flops(build(VITB_CFG), (3, 256, 192))
    assert result['flops_no_attention'] / 1e9 == pytest.approx(17.9, abs=0.05)
    assert result['attention_flops'] == 12 * 2 * 192 * 192 * 768
    assert result['params'] / 1e6 == pytest.approx(90.0, abs=0.5)


def test_head_flops_are_the_heads_and_do_not_shrink(tiny_coco_cfg):
    """The head runs on the restored grid: its multiply-adds (counted on
    the head alone) are the same at every kept-token count."""
    import torch
    from mmengine.analysis import FlopAnalyzer
    model = build(str(tiny_coco_cfg))
    with torch.no_grad():
        feats = model.backbone(torch.zeros(1, 3, 256, 192))
    alone = FlopAnalyzer(model.head, (feats, ))
    alone.unsupported_ops_warnings(False)
    full, kept = (count_flops(model, (3, 256, 192), k) for k in (None, 40))
    assert full['head_flops'] == kept['head_flops'] == alone.total() > 0
    assert kept['head_flops'] < kept['flops']


def test_num_keep_beyond_grid_is_an_error(tiny_coco_cfg):
    with pytest.raises(ValueError, match='num_keep=193'):
        count_flops(build(str(tiny_coco_cfg)), (3, 256, 192), 193)


def joint_token_model(tiny_coco_cfg, keep_rate=0.7, test_keep_rate=None):
    cfg = Config.fromfile(str(tiny_coco_cfg))
    cfg.model.backbone = dict(
        type='JointTokenPatchSelViT',
        arch=dict(embed_dims=96, num_layers=4, num_heads=3,
                  feedforward_channels=192),
        img_size=(256, 192), num_joints=17, prune_after=(0, 2),
        keep_rate=keep_rate, test_keep_rate=test_keep_rate)
    return MODELS.build(cfg.model).eval()


def test_measured_keep_rates_is_a_query(tiny_coco_cfg):
    model = joint_token_model(tiny_coco_cfg, 0.7, 0.5)
    backbone = model.backbone
    assert measured_keep_rates(backbone, []) == [0.5]  # eval: the test rate
    assert measured_keep_rates(backbone, [0.9, 0.6]) == [0.9, 0.6]
    assert (backbone.keep_rate, backbone.test_keep_rate) == (0.7, 0.5)
    plain = build(str(tiny_coco_cfg)).backbone
    assert measured_keep_rates(plain, []) == []
    with pytest.raises(ValueError, match='has no keep_rate'):
        measured_keep_rates(plain, [0.5])


def test_at_keep_rate_sets_then_restores_both_rates(tiny_coco_cfg):
    backbone = joint_token_model(tiny_coco_cfg, 0.7, 0.5).backbone
    with at_keep_rate(backbone, 1.0):
        assert backbone.current_keep_rate == 1.0
        assert backbone.patch_token_counts() == [192] * 4
    assert (backbone.keep_rate, backbone.test_keep_rate) == (0.7, 0.5)
    with pytest.raises(RuntimeError), at_keep_rate(backbone, 0.9):
        raise RuntimeError('restored on errors too')
    assert (backbone.keep_rate, backbone.test_keep_rate) == (0.7, 0.5)
    plain = build(str(tiny_coco_cfg)).backbone
    with at_keep_rate(plain, 1.0):  # nothing to set
        pass
    with pytest.raises(ValueError, match='has no keep_rate'):
        with at_keep_rate(plain, 0.5):
            pass


def test_pruned_flops_count_the_given_rate(tiny_coco_cfg):
    model = joint_token_model(tiny_coco_cfg, 0.7)
    pruned = pruned_flops(model, (3, 256, 192), 0.7)
    full = pruned_flops(model, (3, 256, 192), 1.0)
    assert pruned['tokens'] == (192 + 135 + 135 + 95) / 4
    assert full['tokens'] == 192
    assert pruned['flops'] < full['flops']
    assert model.backbone.keep_rate == 0.7


def test_selection_flops_average_each_persons_count(tiny_coco_cfg):
    model = build(str(tiny_coco_cfg))
    flops = SelectionFlops(model, (3, 256, 192))
    mean = flops.mean([40, 40, 150])
    for key in ('flops', 'attention_flops', 'flops_no_attention'):
        expected = (2 * count_flops(model, (3, 256, 192), 40)[key] +
                    count_flops(model, (3, 256, 192), 150)[key]) / 3
        assert mean[key] == pytest.approx(expected)
    assert mean['tokens'] == pytest.approx(230 / 3)
    assert mean['persons'] == 3
    # Attention is quadratic: the mean is not the count at the mean.
    assert mean['attention_flops'] > count_flops(model, (3, 256, 192),
                                                 77)['attention_flops']
    assert flops.at(192) == flops.at(None) == count_flops(model,
                                                          (3, 256, 192))
    with pytest.raises(ValueError, match='kept is empty'):
        flops.mean([])


def test_guide_flops_at_the_guides_own_input_size():
    guide = build_guide_model(LITEHRNET, cfg_options=GUIDE_128X96)
    result = guide_flops(guide)
    assert result['input_size'] == (96, 128)
    assert result == dict(count_flops(guide, (3, 128, 96)),
                          input_size=(96, 128))
    assert result['flops'] < count_flops(guide, (3, 256, 192))['flops']
