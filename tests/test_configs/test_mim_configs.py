"""``mim train`` then ``mim test`` with the shipped configs, as a user runs
them: one COCO, one MPII, one OCHuman and one CrowdPose config, pointed at
mmpose's test images with ``--cfg-options`` only. They are the ViT-S configs
(the smallest of the shipped sizes; CrowdPose ships ViT-B only and runs as
ViT-S through ``--cfg-options``), without the MAE download
(``model.backbone.init_cfg=None``), trained for two iterations (2 batches
of 2 persons, one epoch) and validated, then tested from the checkpoint:
the test scores what the validation scored (same images, same weights).

Also the documented test-only route: a checkpoint named as mmpose's trained
ViTPose ones, tested with the test-only config and no training. That config
is ViT-B; it runs here as ViT-S through ``--cfg-options`` to stay quick.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # trainings and mim runs

PROJECT_ROOT = Path(__file__).resolve().parents[2]

CASES = {
    'coco': ('configs/coco/'
             'td-hm_patchsel-vit-small-neighbour4_8xb64-210e_coco-256x192.py',
             r'coco/AP: (-?[0-9.]+)'),
    'mpii': ('configs/mpii/'
             'td-hm_patchsel-vit-small-skeleton_8xb64-210e_mpii-256x192.py',
             r'\bPCK: (-?[0-9.]+)'),
    'ochuman': ('configs/ochuman/'
                'td-hm_patchsel-vit-small-skeleton_8xb64-210e_ochuman-'
                '256x192.py', r'coco/AP: (-?[0-9.]+)'),
    'crowdpose': ('configs/crowdpose/td-hm_patchsel-vit-base-skeleton_'
                  '8xb64-210e_crowdpose-256x192.py',
                  r'crowdpose/AP: (-?[0-9.]+)'),
}
# mmpose's crowd metric: AP(H) exists only with iou_type keypoints_crowd
# (it may be -1 on these few images: no person in a hard crowd).
CROWD_METRIC = r'crowdpose/AP\(H\): (-?[0-9.]+)'
# As ViT-S (the arch of mmpose's ViTPose-S config, 384 channels).
SMALL = {'model.backbone.arch': 'small', 'model.head.in_channels': 384}
TESTONLY = ('configs/coco/'
            'td-hm_patchsel-vit-base-skeleton-testonly_coco-256x192.py')
# mmengine's warning when a checkpoint does not fit the model.
MISMATCH = ('do not match exactly', 'missing keys', 'unexpected key',
            'size mismatch')


def mim(*args: str, cwd: Path) -> str:
    exe = Path(sys.executable).with_name('mim')
    env = dict(os.environ)
    env.pop('PYTHONPATH', None)  # the installed package must be enough
    proc = subprocess.run([str(exe), *args],
                          cwd=cwd,
                          env=env,
                          capture_output=True,
                          text=True,
                          timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def cfg_options(options: dict) -> list:
    return ['--cfg-options'] + [f'{k}={v}' for k, v in options.items()]


def data_options(split: str, files, guide: bool) -> dict:
    """A user's overrides pointing one dataloader at other data."""
    key = f'{split}_dataloader'
    options = {
        f'{key}.dataset.data_root': f'{files.root}/',
        f'{key}.dataset.ann_file': files.ann_file,
        f'{key}.dataset.data_prefix.img': '',
        f'{key}.num_workers': 0,
        f'{key}.persistent_workers': False,
    }
    if split != 'train':
        options[f'{key}.dataset.bbox_file'] = None
        # The guide is transform 2 of the val/test pipelines.
        if guide:
            options[f'{key}.dataset.pipeline.2.guide_file'] = \
                files.guide_file
        if files.headbox_file is not None:
            options[f'{key}.dataset.headbox_file'] = files.headbox_file
    return options


def eval_options(dataset: str, files) -> dict:
    if dataset == 'mpii':
        return {}
    ann = files.root / files.ann_file
    return {'val_evaluator.ann_file': ann, 'test_evaluator.ann_file': ann}


def metric(pattern: str, output: str) -> float:
    match = re.search(pattern, output)
    assert match, output[-4000:]
    return float(match.group(1))


@pytest.mark.parametrize('dataset', sorted(CASES))
def test_mim_train_then_test(dataset, config_testdata, tmp_path):
    config, pattern = CASES[dataset]
    config = str(PROJECT_ROOT / config)
    coco = config_testdata['CocoDataset']
    own = config_testdata[{
        'coco': 'CocoDataset',
        'mpii': 'MpiiDataset',
        'ochuman': 'OCHumanDataset',
        'crowdpose': 'CrowdPoseDataset',
    }[dataset]]
    # OCHuman trains on COCO
    train_files = coco if dataset in ('coco', 'ochuman') else own
    evaluation = {
        **data_options('val', own, guide=True),
        **data_options('test', own, guide=True),
        **eval_options(dataset, own),
        **(SMALL if 'vit-base' in config else {}),
    }
    train = {
        **data_options('train', train_files, guide=False),
        **evaluation,
        # two iterations: 4 persons in batches of 2, one epoch
        'train_dataloader.batch_size': 2,
        'train_dataloader.dataset.indices': 4,
        'train_cfg.max_epochs': 1,
        'model.backbone.init_cfg': None,  # no MAE download
    }
    work_dir = tmp_path / 'train'
    out = mim('train', 'mmpose', config, '--launcher', 'none', '--work-dir',
              str(work_dir), *cfg_options(train), cwd=tmp_path)
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\]', out), out[-4000:]
    assert not re.search(r'Epoch\(train\)\s+\[1\]\[3/', out)
    validated = metric(pattern, out)  # validated after training
    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.is_file(), out[-4000:]

    out = mim('test', 'mmpose', config, '--checkpoint', str(ckpt),
              '--launcher', 'none', '--work-dir', str(tmp_path / 'test'),
              *cfg_options(evaluation), cwd=tmp_path)
    value = metric(pattern, out)
    assert value == validated
    if dataset == 'crowdpose':
        metric(CROWD_METRIC, out)
    # -1: the metric found no person
    assert 0.0 <= value <= (100.0 if dataset == 'mpii' else 1.0)


def test_mim_test_a_vitpose_checkpoint_with_selection(
        config_testdata, vitpose_checkpoint, tmp_path):
    """mmpose-named ViTPose weights + selection, no training: they load
    without a mismatch and the metric is printed."""
    from mmengine.config import Config
    cfg = Config.fromfile(str(PROJECT_ROOT / TESTONLY))
    head = dict(cfg.model.head, in_channels=384)
    ckpt = vitpose_checkpoint(head, 384, 12)  # ViT-S sized
    coco = config_testdata['CocoDataset']
    options = {
        **data_options('val', coco, guide=True),
        **data_options('test', coco, guide=True),
        **eval_options('coco', coco),
        **SMALL,
    }
    out = mim('test', 'mmpose', str(PROJECT_ROOT / TESTONLY), '--checkpoint',
              str(ckpt), '--launcher', 'none', '--work-dir',
              str(tmp_path / 'test'), *cfg_options(options), cwd=tmp_path)
    for text in MISMATCH:
        assert text not in out, out[-4000:]
    metric(r'coco/AP: (-?[0-9.]+)', out)
