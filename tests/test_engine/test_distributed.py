"""Distributed training through mmengine's runner: 2 CPU processes (gloo).

mmpose's own ``tools/train.py`` runs under ``torchrun`` (through
``tools/dist_train_cpu.py``, which only creates the gloo process group first
and drops DDP's device ids, see there) for pipeline selection, the online
guide and joint tokens with their keep-rate hook, on mmpose's real COCO test
images. Every rank saves its own copy of the weights (``dist_probe.py``):
the ranks must agree exactly (buffers too, through mmpose's
``SyncBuffersHook``), the checkpoint must resume on both ranks, and the
online guide must stay outside DDP and the optimizer, its weights untouched.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

pytestmark = pytest.mark.slow  # 2-process trainings

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = PROJECT_ROOT / 'tests' / 'data' / 'configs'
LAUNCHER = PROJECT_ROOT / 'tools' / 'dist_train_cpu.py'
PROBE_DIR = Path(__file__).resolve().parent  # dist_probe.py

# 12 persons over 2 ranks in batches of 2: 3 iterations per epoch.
ITERS_PER_EPOCH = 3
CASES = {
    'pipeline-selection':
    'td-hm_patchsel-vit-tiny-skeleton_coco-testdata-256x192.py',
    'online-guide':
    'td-hm_patchsel-vit-tiny-onlineguide_coco-testdata-256x192.py',
    'joint-tokens':
    'td-hm_patchsel-vit-tiny-jointtokens_coco-testdata-256x192.py',
}


def user_config(case_cfg: Path, out: Path) -> Path:
    """The case's config plus the probe hook, as a user adds a hook."""
    base = Config.fromfile(str(case_cfg))
    hooks = list(base.get('custom_hooks', [])) + [
        dict(type='RankStateProbeHook')
    ]
    imports = list(base.custom_imports.imports) + ['dist_probe']
    out.write_text(f'_base_ = [{str(case_cfg)!r}]\n'
                   f'custom_imports = dict(imports={imports!r}, '
                   'allow_failed_imports=False)\n'
                   f'custom_hooks = {hooks!r}\n')
    return out


def torchrun(config: Path, work_dir: Path, options: dict, *extra: str,
             cwd: Path) -> str:
    torchrun_exe = Path(sys.executable).with_name('torchrun')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=str(PROBE_DIR))
    cmd = [
        str(torchrun_exe), '--standalone', '--nproc_per_node', '2',
        str(LAUNCHER),
        str(config), '--launcher', 'pytorch', '--work-dir',
        str(work_dir), *extra, '--cfg-options',
        *[f'{k}={v}' for k, v in options.items()]
    ]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    return output


def rank_states(work_dir: Path) -> list:
    files = [work_dir / f'rank{r}.pth' for r in range(2)]
    assert all(f.is_file() for f in files), list(work_dir.iterdir())
    return [torch.load(f, weights_only=False) for f in files]


def assert_same_weights(ranks: list) -> None:
    a, b = (r['state_dict'] for r in ranks)
    assert a.keys() == b.keys()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, f'ranks disagree on {differ}'


@pytest.mark.parametrize('case', sorted(CASES))
def test_two_cpu_processes_train_alike(case, coco_cfg_options, guide_ckpt,
                                       tmp_path):
    config = user_config(CONFIGS / CASES[case], tmp_path / 'cfg.py')
    work_dir = tmp_path / 'work'
    options = {
        **coco_cfg_options,
        'train_dataloader.batch_size': 2,
        'train_cfg.max_epochs': 1,
        'randomness.seed': 0,
    }
    if case == 'online-guide':
        options['model.guide.checkpoint'] = guide_ckpt

    out = torchrun(config, work_dir, options, cwd=tmp_path)
    assert re.search(rf'Epoch\(train\)\s+\[1\]\[{ITERS_PER_EPOCH}/'
                     rf'{ITERS_PER_EPOCH}\]', out), out[-4000:]
    assert re.search(r'coco/AP: (-?[0-9.]+)', out), out[-4000:]
    ranks = rank_states(work_dir)
    assert [r['rank'] for r in ranks] == [0, 1]
    assert all(r['world_size'] == 2 for r in ranks)
    assert all(r['wrapper'] == 'MMDistributedDataParallel' for r in ranks)
    assert all(r['iter'] == ITERS_PER_EPOCH for r in ranks)
    assert_same_weights(ranks)
    # Rank 0's checkpoint is what both ranks hold.
    ckpt = torch.load(work_dir / 'epoch_1.pth', weights_only=False)
    for key, value in ranks[1]['state_dict'].items():
        assert torch.equal(ckpt['state_dict'][key], value), key

    if case == 'online-guide':
        guide = torch.load(guide_ckpt, weights_only=False)['state_dict']
        for r in ranks:
            assert r['guide_params_in_ddp'] == 0
            assert r['guide_params_in_optim'] == 0
            assert not r['guide_requires_grad'] and not r['guide_training']
            assert not any(k.startswith('online_guide')
                           for k in r['state_dict'])
            # guide.state_dict() is OnlineGuide's: 'model.<key>'.
            assert r['guide_state'].keys() == {f'model.{k}' for k in guide}
            for key, value in guide.items():
                assert torch.equal(r['guide_state'][f'model.{key}'], value)
    if case != 'joint-tokens':
        return
    # warmup 1, ramp 2: iteration 2 (the last one) ran at 0.75.
    assert [r['keep_rate'] for r in ranks] == [0.75, 0.75]
    # A second launch resumes from epoch_1.pth and trains epoch 2 (once,
    # with the hook whose schedule must continue: each launch costs ~25 s).
    out = torchrun(config, work_dir, {**options, 'train_cfg.max_epochs': 2},
                   '--resume', cwd=tmp_path)
    assert 'resumed epoch: 1, iter: 3' in out, out[-4000:]
    assert re.search(r'Epoch\(train\)\s+\[2\]\[3/3\]', out), out[-4000:]
    ranks = rank_states(work_dir)
    assert all(r['start_iter'] == ITERS_PER_EPOCH for r in ranks)
    assert all(r['iter'] == 2 * ITERS_PER_EPOCH for r in ranks)
    assert_same_weights(ranks)
    assert not torch.equal(ranks[0]['state_dict']['head.final_layer.weight'],
                           ckpt['state_dict']['head.final_layer.weight'])
    assert [r['keep_rate'] for r in ranks] == [0.5, 0.5]
