"""A benchmark training's time and scores, read from mmengine's logs."""
import glob
import json
import os.path as osp
from typing import List, Optional


def train_seconds(work_dir: str) -> Optional[float]:
    """Seconds of training iterations in a run's mmengine scalars."""
    curve = training_log(work_dir)
    return curve['seconds'][-1] if curve['seconds'] else None


def training_log(work_dir: str) -> dict:
    """A run's training from mmengine's ``vis_data/scalars.json`` (every
    log dir of ``work_dir``: a resumed run has several): per logged
    iteration the cumulative seconds of iterations (from their own
    ``time``, so a stopped and resumed run counts no gap), and the val
    scores with the seconds of training before them."""
    train, val = {}, {}
    for path in sorted(glob.glob(
            osp.join(work_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                if 'coco/AP' in record:
                    val[record['step']] = record
                elif 'iter' in record:
                    train[record['iter']] = record['time']
    iters, seconds, done, last = [], [], 0.0, 0
    for it in sorted(train):
        done += train[it] * (it - last)
        last = it
        iters.append(it)
        seconds.append(done)
    return dict(iters=iters, seconds=seconds, val=val)


def learning_curve(work_dir: str, iters_per_epoch: int) -> List[dict]:
    """Val AP/AR of a run at each scored epoch, with its training
    seconds and iterations so far."""
    log = training_log(work_dir)
    points = []
    for epoch in sorted(log['val']):
        it = epoch * iters_per_epoch
        before = [s for i, s in zip(log['iters'], log['seconds']) if i <= it]
        points.append(dict(epoch=epoch, iters=it,
                           train_seconds=before[-1] if before else 0.0,
                           AP=log['val'][epoch]['coco/AP'],
                           AR=log['val'][epoch]['coco/AR']))
    return points
