"""``mim train`` then ``mim test`` in a subprocess, as a user runs them."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


# The AP mmengine logs (4 decimals).
AP = re.compile(r'coco/AP: (-?[0-9.]+)')


def _mim(*args: str, cwd: Path) -> str:
    mim = Path(sys.executable).with_name('mim')
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)  # the installed package must be enough
    proc = subprocess.run([str(mim), *args],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def _cfg_options(options: dict) -> list:
    return ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]


@pytest.mark.slow
def test_mim_train_then_test(tiny_coco_cfg, coco_cfg_options, tmp_path):
    """One epoch trained and validated, then ``mim test`` of its
    checkpoint on the same images scores what the validation scored: the
    weights saved are the weights trained."""
    work_dir = tmp_path / 'work'
    options = _cfg_options({
        **coco_cfg_options, 'train_cfg.max_epochs': 1,
        'default_hooks.checkpoint.interval': 1
    })
    out = _mim('train', 'mmpose', str(tiny_coco_cfg), '--launcher', 'none',
               '--work-dir', str(work_dir), *options, cwd=tmp_path)
    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.is_file(), out[-4000:]
    validated = AP.findall(out)
    assert len(validated) == 1, out[-4000:]  # val_interval 1, one epoch

    out = _mim('test', 'mmpose', str(tiny_coco_cfg), '--checkpoint',
               str(ckpt), '--launcher', 'none', '--work-dir',
               str(tmp_path / 'test'), *_cfg_options(coco_cfg_options),
               cwd=tmp_path)
    tested = AP.findall(out)
    assert tested == validated, out[-4000:]
    assert 0.0 <= float(tested[0]) <= 1.0  # -1: CocoMetric found no person
