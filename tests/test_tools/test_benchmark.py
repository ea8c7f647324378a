"""tools/benchmark.py --out on the tiny model: the rows it times, each
speed-up against the full model of the same run, the meta block saying
where, and --append adding a second input size."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from mmpose_patchsel.analysis.results_tables import speed_table

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def benchmark(*args) -> str:
    done = subprocess.run(
        [sys.executable, osp.join(PROJECT, 'tools', 'benchmark.py'), *args],
        cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


@pytest.mark.slow
def test_out_rows_ratios_and_meta(tiny_coco_cfg, tmp_path):
    out_file = str(tmp_path / 'speed.json')
    common = [str(tiny_coco_cfg), '--batch-size', '2', '--repeats', '2',
              '--warmup', '1', '--threads', '1', '--out', out_file]
    benchmark(*common, '--num-keep', '96', '--note', 'a dry run')
    benchmark(*common, '--num-keep', '108', '--input-size', '288', '384',
              '--append')
    with open(out_file) as f:
        results = json.load(f)
    assert results['tool'] == 'tools/benchmark.py'
    small, large = results['runs']
    assert small['input_size'] == [192, 256]
    assert large['input_size'] == [288, 384] and large['num_patches'] == 432
    for run, k in ((small, 96), (large, 108)):
        full, kept = run['rows']
        assert (full['setting'], full['tokens']) == ('full',
                                                     run['num_patches'])
        assert (kept['setting'], kept['tokens']) == (f'K={k}', k)
        assert full['model_speedup'] == full['backbone_speedup'] == 1.0
        assert kept['model_speedup'] == pytest.approx(
            full['model_ms'] / kept['model_ms'])
        assert run['meta']['threads'] == 1 and run['meta']['torch']
        assert run['meta']['machine']
        assert run['batch_size'] == 2 and run['repeats'] == 2
    assert small['meta']['note'] == 'a dry run'
    table = speed_table(results)
    assert '| 384x288 K=108 |' in table and 'a dry run' in table
