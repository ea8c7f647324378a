"""The accuracy benchmark's CI run, shared by the benchmarks built on it."""
import json
import os.path as osp
import subprocess
import sys

import pytest

PROJECT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(PROJECT, 'tools')


@pytest.fixture(scope='session')
def ci_benchmark(tmp_path_factory):
    """``tools/benchmark_accuracy.py --preset ci``: its work dir and
    results (the video benchmark reuses its trained models)."""
    work_dir = tmp_path_factory.mktemp('accuracy')
    done = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'benchmark_accuracy.py'),
         '--preset', 'ci', '--work-dir', str(work_dir)],
        cwd=PROJECT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(work_dir / 'results.json') as f:
        return work_dir, json.load(f)
