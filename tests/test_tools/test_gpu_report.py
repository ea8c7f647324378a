"""``tools/gpu_report.py --dry-run``: the GPU report's every stage, on the
CPU with tiny sizes, writes a report with the rows a GPU run will fill."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOOL = PROJECT_ROOT / 'tools' / 'gpu_report.py'


def run_tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args],
                          cwd=PROJECT_ROOT, capture_output=True,
                          text=True, timeout=600)


@pytest.mark.slow
def test_dry_run_writes_the_report(coco_root, tmp_path):
    proc = run_tool('--dry-run', '--out-dir', str(tmp_path),
                    '--data-root', str(coco_root))
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    report = json.loads((tmp_path / 'gpu_report.json').read_text())
    assert report['meta']['dry_run'] is True
    assert set(report['meta']['stage_s']) == {
        'cuda_tests', 'benchmark', 'host_syncs', 'training'
    }

    tests = report['cuda_tests']
    names = [t['name'] for t in tests['tests']]
    # fp16 autocast: the forward, a training step and the predict on CUDA.
    for test in ('test_selected_forward_under_autocast_close_to_fp32',
                 'test_training_step_under_autocast',
                 'test_predict_under_autocast_close_to_fp32'):
        assert any(f'{test}[cuda-fp16]' in n for n in names), (test, names)
    assert any('test_cuda_equals_cpu' in n for n in names), names
    expected = 'passed' if torch.cuda.is_available() else 'skipped'
    assert all(t['status'] == expected for t in tests['tests']), tests

    rows = report['benchmark']
    groups = {(r['input'], r['batch'], r['dtype']) for r in rows}
    assert groups == {(i, b, d) for i in ('256x192', '384x288')
                      for b in (1, 2) for d in ('fp32', 'bf16')}
    measured = [r for r in rows if 'skipped' not in r]
    # The first group always runs: the budget is checked between groups.
    first = [r for r in measured if (r['input'], r['batch'], r['dtype']) ==
             ('256x192', 2, 'fp32')]
    assert [r['setting'] for r in first] == ['full', 'K', 'K+guide']
    tokens = {'256x192': (192, 96), '384x288': (432, 216)}
    for r in measured:
        full, half = tokens[r['input']]
        assert r['tokens'] == (full if r['setting'] == 'full' else half)
        assert r['model_ms'] > 0 and r['img_s'] > 0
        if r['setting'] == 'full':
            assert r['backbone_speedup'] == r['model_speedup'] == 1.0
        assert (r['backbone_ms'] is None) == (r['setting'] == 'K+guide')

    syncs = report['host_syncs']
    assert len(syncs) == 4
    assert all((s['syncs'] is None) != torch.cuda.is_available()
               for s in syncs)

    train = report['training']
    assert train['returncode'] == 0, train.get('output_tail')
    assert train['iterations'] == 2 and train['losses_finite']
    assert not train['amp']  # AmpOptimWrapper needs a GPU

    text = (tmp_path / 'gpu_report.md').read_text()
    for heading in ('# GPU report (DRY RUN', '## CUDA tests',
                    '## Backbone speed-up, batch 2, 256x192',
                    '## All measurements',
                    '## Host synchronisations per forward', '## Training'):
        assert heading in text, heading
    assert text.count('| config | 256x192 | 2 | fp32 |') == 3


@pytest.mark.skipif(torch.cuda.is_available(), reason='a GPU is there')
def test_without_gpu_asks_for_dry_run(tmp_path):
    proc = run_tool('--out-dir', str(tmp_path))
    assert proc.returncode != 0
    assert 'no CUDA device: use --dry-run' in proc.stderr
    assert not (tmp_path / 'gpu_report.json').exists()
