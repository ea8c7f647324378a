"""The accuracy benchmark's CI run, shared by the benchmarks built on it."""
import json
import os.path as osp
import subprocess
import sys

import pytest
from filelock import FileLock

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(PROJECT, 'tools')


@pytest.fixture(scope='session')
def ci_benchmark(tmp_path_factory, worker_id):
    """``tools/benchmark_accuracy.py --preset ci``: its work dir and
    results (the video benchmark reuses its trained models).

    Run once per test session: under pytest-xdist the workers share it
    through a file lock in their common temporary folder.
    """
    root = tmp_path_factory.getbasetemp()
    if worker_id != 'master':
        root = root.parent
    work_dir = root / 'accuracy_ci'
    results = work_dir / 'results.json'
    with FileLock(str(root / 'accuracy_ci.lock')):
        if not results.is_file():
            done = subprocess.run(
                [sys.executable, osp.join(TOOLS, 'benchmark_accuracy.py'),
                 '--preset', 'ci', '--work-dir', str(work_dir)],
                cwd=PROJECT, capture_output=True, text=True)
            assert done.returncode == 0, \
                done.stdout[-3000:] + done.stderr[-3000:]
    with open(results) as f:
        return work_dir, json.load(f)
