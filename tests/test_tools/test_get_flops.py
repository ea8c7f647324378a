"""tools/get_flops.py end to end: the rows it prints, and an online guide
counted at its own input size (it resizes the ViT's crops to it)."""
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from torch import nn

from mmpose_patchsel.models.pose_estimators import build_guide_model

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LITEHRNET = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
             'td-hm_litehrnet-18_8xb64-210e_coco-256x192.py')
#: The guide at 128x96, the ViT at 256x192.
GUIDE_OPTIONS = {
    'model.head.decoder.input_size': (96, 128),
    'model.head.decoder.heatmap_size': (24, 32),
}



class _TensorForward(nn.Module):
    """A pose estimator's plain network forward (``mode='tensor'``)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, inputs):
        return self.model._forward(inputs)


def direct_flops(model, h: int, w: int) -> int:
    """mmengine's analyser on the model itself at a (h, w) input."""
    analyzer = FlopAnalyzer(_TensorForward(model).eval(),
                            torch.zeros(1, 3, h, w))
    analyzer.unsupported_ops_warnings(False)
    return analyzer.total()

def get_flops(*args) -> str:
    done = subprocess.run(
        [sys.executable, osp.join(PROJECT, 'tools', 'get_flops.py'), *args],
        cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def row(out: str, name: str) -> list:
    line = next(line for line in out.splitlines() if line.startswith(name))
    return line[len(name):].split()


@pytest.fixture
def online_guide_cfg(tiny_coco_cfg, tmp_path):
    cfg = tmp_path / 'online_guide.py'
    cfg.write_text(
        f'_base_ = [{str(tiny_coco_cfg)!r}]\n'
        'model = dict(\n'
        f'    guide=dict(config={LITEHRNET!r},\n'
        f'               cfg_options={GUIDE_OPTIONS!r}),\n'
        "    selection=dict(mode='skeleton'))\n")
    return cfg


def test_online_guide_is_counted_at_its_own_input_size(online_guide_cfg):
    out = get_flops(str(online_guide_cfg))
    gflops = float(row(out, '+ online guide (per person)')[0])
    guide = build_guide_model(LITEHRNET, cfg_options=GUIDE_OPTIONS).eval()
    own = direct_flops(guide, 128, 96) / 1e9
    at_vit = direct_flops(guide, 256, 192) / 1e9
    assert gflops == pytest.approx(own, abs=0.005)
    assert abs(gflops - at_vit) > 0.05
    assert 'at 96x128' in out


def test_rows_of_a_selection_config_on_real_data(tiny_coco_cfg, coco_root):
    out = get_flops(str(tiny_coco_cfg), '--num-keep', '96',
                    '--data-root', str(coco_root))
    assert 'no patch selection in this config' in out  # no SelectPatches
    full, k96 = row(out, 'full'), row(out, 'K=96')
    assert float(full[0]) == 192 and float(k96[0]) == 96
    assert float(k96[1]) < float(full[1]) and float(full[3]) == 1.0


def test_rows_of_a_self_pruning_backbone(tiny_coco_cfg):
    out = get_flops(
        str(tiny_coco_cfg), '--keep-rate', '0.7', '--cfg-options',
        'model.backbone.type=JointTokenPatchSelViT',
        'model.backbone.num_joints=17', 'model.backbone.prune_after=[0]',
        'model.backbone.keep_rate=0.5')
    full, pruned = row(out, 'full'), row(out, 'keep_rate=0.7')
    assert float(full[0]) == 192  # the full row runs unpruned
    assert float(pruned[0]) == pytest.approx((192 + 135) / 2)
    assert float(pruned[1]) < float(full[1])
    assert re.search(r'params [\d.]+ M', out)
