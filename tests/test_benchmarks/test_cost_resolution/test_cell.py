"""One cell on the tiny ViT at small sizes: every setting's row, the
ratios against the full model of the same run, the FLOPs bounds, and
skeleton's natural count on the bundled persons."""
import io

import pytest
from conftest import TINY_COCO_CFG
from mmengine.config import Config

from mmpose_patchsel.analysis import StageTimer

from mmpose_patchsel.benchmarks.cost_resolution import (measure_cell,
                                                        natural_tokens,
                                                        settings)


def test_settings_full_natural_then_budgets():
    rows = settings(192, 27.6, (0.5, 0.25))
    assert [(s.name, s.num_keep) for s in rows] == [('full', None),
                                                    ('skeleton', 28),
                                                    ('50%', 96), ('25%', 48)]
    assert settings(12, 0.2, (0.01, ))[1:] == [('skeleton', 1), ('1%', 1)]


def test_natural_count_is_selection_resolutions(coco_root):
    """The mean of docs/results/selection_resolution.json's skeleton:0 at
    256x192 (12 persons)."""
    natural = natural_tokens((192, 256), str(coco_root), 'test_coco.json')
    assert natural['persons'] == 12
    assert natural['mean'] == pytest.approx(27.583, abs=1e-3)
    assert natural['min'] <= natural['mean'] <= natural['max']


def test_cell_rows_are_consistent():
    cfg = Config.fromfile(str(TINY_COCO_CFG))
    natural = dict(mean=5.4, min=3, max=8, persons=2)
    cell = measure_cell(cfg, (96, 128),
                        natural,
                        str(TINY_COCO_CFG),
                        budgets=(0.5, 0.25),
                        repeats=1,
                        warmup=0,
                        stages=StageTimer('tiny', io.StringIO()))
    assert cell['input_size'] == [96, 128] and cell['grid'] == [8, 6]
    assert cell['num_patches'] == 48 and cell['natural_tokens'] == natural
    assert cell['guide']['input_size'] == [192, 256]
    assert cell['guide']['ms'] > 0 and cell['guide']['flops'] > 0
    stages = [name.split(':')[0] for name in cell['stage_seconds']]
    assert stages == ['build', 'FLOPs', 'timing', 'activation memory']
    rows = {r['setting']: r for r in cell['rows']}
    assert [(n, r['tokens']) for n, r in rows.items()] == [('full', 48),
                                                           ('skeleton', 5),
                                                           ('50%', 24),
                                                           ('25%', 12)]
    full = rows['full']
    assert full['num_keep'] is None and full['with_guide_ms'] is None
    assert full['flops_bound'] == full['model_speedup'] == 1
    assert full['activation_vs_full'] == 1
    for name in ('skeleton', '50%', '25%'):
        r = rows[name]
        # The head runs on the full grid: its FLOPs do not shrink.
        assert r['head_flops'] == full['head_flops']
        assert r['backbone_flops'] + r['head_flops'] == r['flops']
        assert r['flops_bound'] == pytest.approx(full['flops'] / r['flops'])
        assert 1 < r['flops_bound'] < r['backbone_flops_bound']
        assert r['backbone_speedup'] == pytest.approx(full['backbone_ms'] /
                                                      r['backbone_ms'])
        assert r['model_of_bound'] == pytest.approx(r['model_speedup'] /
                                                    r['flops_bound'])
        assert r['with_guide_ms'] == pytest.approx(r['model_ms'] +
                                                   cell['guide']['ms'])
        assert r['with_guide_speedup'] == pytest.approx(full['model_ms'] /
                                                        r['with_guide_ms'])
        assert r['guide_share'] == pytest.approx(
            cell['guide']['flops'] / (r['flops'] + cell['guide']['flops']))
        assert r['with_guide_flops_bound'] == pytest.approx(
            full['flops'] / (r['flops'] + cell['guide']['flops']))
        # No more activations than the full grid (this tiny model's peak
        # is the patch embedding of the whole crop, which every setting
        # computes); the backbone's peak is within the whole model's.
        assert 0 < r['backbone_activation_mib'] <= \
            full['backbone_activation_mib']
        assert r['backbone_activation_mib'] <= r['activation_mib']
    assert rows['25%']['flops'] < rows['50%']['flops']
