"""tools/deployment/benchmark_onnx.py on the tiny model: every row is timed
in one run, its speed-ups are ratios of that run, and the JSON renders."""
import json
import os.path as osp

import pytest
from conftest import TEST_CONFIGS
from patchsel_testing import load_script

from mmpose_patchsel.analysis.results_tables import onnx_speed_table

pytest.importorskip('onnxruntime')
pytest.importorskip('patchsel_runtime')

TOOL = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
                'tools', 'deployment', 'benchmark_onnx.py')


@pytest.mark.slow
def test_dry_run_writes_consistent_rows(tmp_path, coco_root):
    out = tmp_path / 'onnx.json'
    load_script(TOOL).main([
        '--config',
        str(TEST_CONFIGS /
            'td-hm_patchsel-vit-tiny-skeleton_coco-testdata-256x192.py'),
        '--guide-config', str(TEST_CONFIGS /
                              'td-hm_patchsel-vit-tiny_coco-testdata-'
                              '256x192.py'), '--input-sizes', '192x256',
        '96x128', '--batch-sizes', '1', '2', '--keep', '0.5', '--repeats',
        '1', '--warmup', '0', '--threads', '1', '--data',
        str(coco_root), '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(out)
    ])
    results = json.loads(out.read_text())
    assert [(r['input_size'], r['batch']) for r in results['rows']] == [
        ([192, 256], 1), ([192, 256], 2), ([96, 128], 1), ([96, 128], 2)]
    for row in results['rows']:
        patches = (row['input_size'][0] // 16) * (row['input_size'][1] // 16)
        assert row['patches'] == patches
        (budget, ) = row['budgets']
        assert budget['num_keep'] == round(patches * 0.5)
        assert budget['speedup'] == pytest.approx(row['full_ms'] /
                                                  budget['ms'])
        assert budget['e2e_speedup'] == pytest.approx(row['e2e_full_ms'] /
                                                      budget['e2e_ms'])
        assert budget['of_bound'] == pytest.approx(budget['speedup'] /
                                                   budget['flops_bound'])
        # Half the tokens: the backbone's cost at most halves (a little
        # more with attention); the head's does not move.
        assert 1.1 < budget['flops_bound'] < 2.2
    # Each file is exported once and reused by a later run.
    assert sorted(p.name for p in (tmp_path / 'work').iterdir()) == sorted([
        'guide.onnx', 'full_192x256.onnx', 'selected_192x256_k96.onnx',
        'full_96x128.onnx', 'selected_96x128_k24.onnx'])
    table = onnx_speed_table(results)
    assert table.count('\n| 256x192 |') == 4 and 'K=96 (50%)' in table
