"""A short training run (optionally ``--amp``) through mmpose's own
``tools/train.py`` on mmpose's bundled COCO test images: does the config
train, are the losses finite, how long is an iteration."""
import json
import math
import subprocess
import sys
import time
from pathlib import Path

from mmengine.config import Config

from ..runs import mmpose_train_script

__all__ = ['short_training_config', 'run_short_training']

#: persons in mmpose's ``test_coco.json``.
TEST_COCO_PERSONS = 12


def short_training_config(preset: dict, data_root: str,
                          work_dir: Path) -> Path:
    """``preset['train_config']`` for ``train_iters`` iterations of
    ``train_batch`` on ``data_root`` (no validation, no pretrained
    weights), written to ``work_dir``; returns its path."""
    cfg = Config.fromfile(str(preset['train_config']))
    cfg.model.backbone.init_cfg = None  # no MAE download
    iters, batch = preset['train_iters'], preset['train_batch']
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=data_root.rstrip('/') + '/',
                   ann_file='test_coco.json', data_prefix=dict(img=''))
    cfg.train_dataloader = dict(
        batch_size=batch, num_workers=preset['workers'],
        persistent_workers=preset['workers'] > 0,
        sampler=dict(type='DefaultSampler', shuffle=True),
        dataset=dict(type='RepeatDataset', dataset=dataset,
                     times=math.ceil(iters * batch / TEST_COCO_PERSONS) + 1))
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters,
                         val_interval=iters + 1)
    for split in ('val', 'test'):
        cfg[f'{split}_cfg'] = cfg[f'{split}_dataloader'] = None
        cfg[f'{split}_evaluator'] = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.log_processor = dict(by_epoch=False)
    path = work_dir / 'train_config.py'
    cfg.dump(str(path))
    return path


def run_short_training(preset: dict, data_root: str, out_dir: Path,
                       root: Path) -> dict:
    """Train :func:`short_training_config` in a child process (cwd
    ``root``, ``--amp`` when ``preset['amp']``); returns the losses, the
    median iteration time after two warm-up iterations and the peak
    memory from mmengine's scalars, the output's tail when it failed."""
    work_dir = out_dir / 'train_work_dir'
    work_dir.mkdir(parents=True, exist_ok=True)
    config = short_training_config(preset, data_root, work_dir)
    cmd = [sys.executable, str(mmpose_train_script()), str(config),
           '--work-dir', str(work_dir)] + (['--amp'] if preset['amp'] else [])
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, capture_output=True, text=True)
    wall = time.perf_counter() - start
    scalars = sorted(work_dir.glob('*/vis_data/scalars.json'))
    logs = [json.loads(line) for line in scalars[-1].read_text().splitlines()
            ] if scalars else []
    train = [r for r in logs if 'loss' in r]
    times = [r['time'] for r in train[2:]] or [r['time'] for r in train]
    result = dict(
        config=str(Path(preset['train_config']).relative_to(root)),
        amp=preset['amp'], iterations=len(train), batch=preset['train_batch'],
        returncode=proc.returncode, wall_s=round(wall, 1),
        losses=[round(r['loss'], 6) for r in train],
        losses_finite=bool(train) and all(
            math.isfinite(r['loss']) for r in train),
        median_iter_s=round(sorted(times)[len(times) // 2], 4)
        if times else None,
        max_memory_mib=max((r.get('memory', 0) for r in train), default=None)
        or None)
    if proc.returncode != 0 or not train:
        result['output_tail'] = (proc.stdout + proc.stderr)[-3000:]
    return result
