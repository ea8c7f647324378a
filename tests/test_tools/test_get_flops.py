"""tools/get_flops.py end to end: the rows it prints and writes with
--out, each ratio in its own convention, an online guide counted at its own
input size (it resizes the ViT's crops to it), and --all-configs."""
import json
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from torch import nn

from mmpose_patchsel.analysis.config_flops import Counted, config_cost
from mmpose_patchsel.analysis.results_tables import (configs_table,
                                                     flops_table)
from mmpose_patchsel.models.pose_estimators import build_guide_model
from sapiens_testing import reduce_config

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


@pytest.mark.slow  # runs the tool on real configs (~12 s)
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
    # tokens, GFLOPs without attention, vs full, GFLOPs with it, vs full
    assert float(k96[1]) < float(full[1]) < float(full[3])
    assert float(full[2]) == float(full[4]) == 1.0
    # Attention shrinks quadratically: its convention's ratio is smaller.
    assert float(k96[4]) < float(k96[2]) < 1


def test_rows_of_a_self_pruning_backbone(tiny_coco_cfg, tmp_path):
    out_file = tmp_path / 'flops.json'
    out = get_flops(
        str(tiny_coco_cfg), '--keep-rate', '0.7', '--cfg-options',
        'model.backbone.type=JointTokenPatchSelViT',
        'model.backbone.num_joints=17', 'model.backbone.prune_after=[0]',
        'model.backbone.keep_rate=0.5', '--out', str(out_file))
    full, pruned = row(out, 'full'), row(out, 'keep_rate=0.7')
    assert float(full[0]) == 192  # the full row runs unpruned
    assert float(pruned[0]) == pytest.approx((192 + 135) / 2)
    assert re.search(r'params [\d.]+ M', out)
    # The tiny model's GFLOPs print alike at two decimals: the JSON's don't.
    full, pruned = json.loads(out_file.read_text())['runs'][0]['rows']
    assert pruned['flops_no_attention'] < full['flops_no_attention']
    assert pruned['flops'] < full['flops']


@pytest.mark.slow  # runs the tool on real configs (~12 s)
def test_out_writes_what_it_prints_and_append_adds_a_run(
        tiny_coco_cfg, coco_root, tmp_path):
    skeleton = osp.join(osp.dirname(tiny_coco_cfg),
                        'td-hm_patchsel-vit-tiny-skeleton_coco-testdata-'
                        '256x192.py')
    out_file = str(tmp_path / 'flops.json')
    out = get_flops(skeleton, '--num-keep', '96', '--data-root',
                    str(coco_root), '--out', out_file)
    get_flops(str(tiny_coco_cfg), '--keep-rate', '0.7', '--out', out_file,
              '--append', '--cfg-options',
              'model.backbone.type=JointTokenPatchSelViT',
              'model.backbone.num_joints=17',
              'model.backbone.prune_after=[0]')
    with open(out_file) as f:
        results = json.load(f)
    first, joint = results['runs']
    assert [r['kind'] for r in first['rows']] == ['full', 'num_keep',
                                                  'dataset']
    assert first['method'] == 'skeleton' and joint['method'] == 'joint tokens'
    full = first['rows'][0]
    for r in first['rows']:  # the JSON holds the printed numbers
        printed = row(out, r['setting'])
        assert float(printed[0]) == pytest.approx(r['tokens'], abs=0.05)
        assert float(printed[1]) == pytest.approx(
            r['flops_no_attention'] / 1e9, abs=0.005)
        assert float(printed[3]) == pytest.approx(r['flops'] / 1e9,
                                                  abs=0.005)
        # Each "vs full" is the ratio in its own column's convention.
        assert float(printed[2]) == pytest.approx(
            r['flops_no_attention'] / full['flops_no_attention'], abs=0.005)
        assert float(printed[4]) == pytest.approx(
            r['flops'] / full['flops'], abs=0.005)
    mean = first['rows'][2]
    assert mean['persons'] > 0 and 0 < mean['tokens'] < 192
    assert mean['data'] == 'coco/test_coco.json'
    rate = joint['rows'][1]
    assert rate['keep_rate'] == 0.7 and rate['joint_tokens'] == 17
    table = flops_table(results)
    assert 'joint tokens, keep 0.7' in table and table.count('| full |') == 1


@pytest.mark.slow
def test_all_configs(testdata_root, tmp_path):
    out_file = tmp_path / 'configs.json'
    get_flops('--all-configs', 'tests/data/configs', '--testdata',
              str(testdata_root), '--out', str(out_file))
    results = json.loads(out_file.read_text())
    entries = {osp.basename(c['config']).split('_')[1]: c
               for c in results['configs']}
    assert sorted(entries) == [
        'patchsel-vit-tiny', 'patchsel-vit-tiny-jointtokens',
        'patchsel-vit-tiny-onlineguide', 'patchsel-vit-tiny-skeleton']
    full = entries['patchsel-vit-tiny']
    assert full['tokens'] == 192 and full['tokens_from'] == 'all patches'
    assert full['guide'] is None
    skeleton = entries['patchsel-vit-tiny-skeleton']
    assert skeleton['tokens'] < 192
    assert skeleton['flops_no_attention'] < full['flops_no_attention']
    assert 'bundled coco test images' in skeleton['tokens_from']
    assert skeleton['params'] == full['params']
    joint = entries['patchsel-vit-tiny-jointtokens']
    assert joint['tokens'] < 192 and 'keep rate 0.5' in joint['tokens_from']
    guide = entries['patchsel-vit-tiny-onlineguide']['guide']
    assert guide['input_size'] == [192, 256] and guide['flops'] > 0
    assert configs_table(results).count('| `tests/data/configs/') == 4


def test_config_without_data_here_is_counted_on_the_full_grid(
        tiny_coco_cfg, tmp_path):
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(
        osp.dirname(tiny_coco_cfg),
        'td-hm_patchsel-vit-tiny-skeleton_coco-testdata-256x192.py'))
    counted = Counted(cfg)
    row = config_cost(cfg, counted, str(tmp_path))  # no coco/ there
    assert row['tokens'] == 192
    assert row['tokens_from'] == ('full grid (no coco data here to select '
                                  'on)')
    cfg.test_dataloader.dataset.pipeline[4].num_keep = 50
    row = config_cost(cfg, counted, str(tmp_path))
    assert row['tokens'] == 50 and 'fixed num_keep' in row['tokens_from']


@pytest.mark.parametrize('dataset, ann_file', [
    ('coco', 'test_coco.json'),
    ('coco-wholebody', 'test_coco_wholebody.json'),
])
def test_sapiens_config_counted_on_its_bundled_data(dataset, ann_file,
                                                    testdata_root):
    """A Sapiens selection config (at reduced width and depth) is counted
    on the bundled persons of its own dataset type: COCO-WholeBody's file,
    not COCO's, though both live in coco/."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(
        PROJECT, 'configs', 'sapiens',
        f'td-hm_patchsel-sapiens-0.3b-skeleton-k768_8xb64-210e_{dataset}-'
        '1024x768.py'))
    reduce_config(cfg)
    counted = Counted(cfg)
    row = config_cost(cfg, counted, str(testdata_root))
    assert row['data'] == f'coco/{ann_file}'
    assert row['tokens'] == 768  # the budget, K of 3072
    assert row['flops'] < counted.full()['flops']
