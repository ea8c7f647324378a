"""``mim train`` then ``mim test`` in a subprocess, as a user runs them."""
import os
import re
import subprocess
import sys
from pathlib import Path


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


def test_mim_train_then_test(tiny_coco_cfg, coco_cfg_options, tmp_path):
    work_dir = tmp_path / 'work'
    options = _cfg_options({
        **coco_cfg_options, 'train_cfg.max_epochs': 1,
        'default_hooks.checkpoint.interval': 1
    })
    out = _mim('train', 'mmpose', str(tiny_coco_cfg), '--launcher', 'none',
               '--work-dir', str(work_dir), *options, cwd=tmp_path)
    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.is_file(), out[-4000:]

    out = _mim('test', 'mmpose', str(tiny_coco_cfg), '--checkpoint',
               str(ckpt), '--launcher', 'none', '--work-dir',
               str(tmp_path / 'test'), *_cfg_options(coco_cfg_options),
               cwd=tmp_path)
    match = re.search(r'coco/AP: (-?[0-9.]+)', out)
    assert match, out[-4000:]
    assert -1.0 <= float(match.group(1)) <= 1.0
