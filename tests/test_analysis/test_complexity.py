"""FLOPs with the attention matmuls, against closed forms and the paper."""
import pytest
from mmengine.config import Config
from mmpose.registry import MODELS

from mmpose_patchsel.analysis import count_flops

VITB_CFG = 'configs/coco/td-hm_patchsel-vit-base-skeleton_8xb64-210e_coco-256x192.py'  # noqa: E501


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


def test_num_keep_beyond_grid_is_an_error(tiny_coco_cfg):
    with pytest.raises(ValueError, match='num_keep=193'):
        count_flops(build(str(tiny_coco_cfg)), (3, 256, 192), 193)
