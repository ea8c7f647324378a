"""``tools/profile_training.py --dry-run``: the loader, receive, step and
loop measurements of the accuracy benchmark's two trainings, at toy sizes."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
TOOL = PROJECT_ROOT / 'tools' / 'profile_training.py'


@pytest.mark.slow
def test_dry_run_reports_each_measurement(tmp_path):
    report = tmp_path / 'profile.txt'
    proc = subprocess.run(
        [sys.executable, str(TOOL), '--dry-run', '--work-dir',
         str(tmp_path / 'work'), '--num-train', '24', '--batch-size', '2',
         '4', '--workers', '0', '1', '--steps', '1', '--iters', '2',
         '--out', str(report)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    text = report.read_text()
    sections = re.split(r'^== ', text, flags=re.M)[1:]
    assert [s.split(':')[0] for s in sections] == ['warm start', 'guide']
    for section in sections:
        rates = re.findall(r'loader, (\d+) workers: (\d+) samples/s',
                           section)
        assert [w for w, _ in rates] == ['0', '1']
        assert all(int(r) > 0 for _, r in rates)
        # The main process's cost of taking a batch of 4 from a worker,
        # under both tensor sharing strategies; the image alone is one
        # tensor per sample.
        receives = re.findall(r'receive, batch 4 \((\d+) tensors\), '
                              r'(\w+): ([\d.]+) ms', section)
        assert [s for _, s, _ in receives] == [
            'file_descriptor', 'file_system']
        assert all(int(n) >= 4 and float(ms) > 0 for n, _, ms in receives)
        steps = re.findall(r'step, batch (\d+), compute_acc (\w+): '
                           r'([\d.]+) ms', section)
        assert [(b, a) for b, a, _ in steps] == [
            ('2', 'True'), ('2', 'False'), ('4', 'True'), ('4', 'False')]
        assert all(float(ms) > 0 for _, _, ms in steps)
    # The loop is profiled once, the warm start's, down to its train step.
    assert text.count('mmengine loop, 2 iterations') == 1
    share = re.search(r'train_step: ([\d.]+)s of the loop \((\d+)%\)',
                      sections[0])
    assert share and float(share[1]) > 0 and 0 < int(share[2]) <= 100
    assert 'train_step' not in sections[1]
