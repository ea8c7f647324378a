"""Run a guide pose model over a dataset once and save its keypoints.

The file is what :class:`LoadGuideKeypoints` reads: COCO's keypoint results
format plus the box each person was estimated in and the image file name.
"""
import json
import os
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.utils import ProgressBar
from torch import nn


def dump_guide(model: nn.Module,
               dataset,
               out_file: str,
               batch_size: int = 32,
               progress: bool = True) -> dict:
    """Predict every person of ``dataset`` with ``model``; write ``out_file``.

    Args:
        model: an mmpose top-down estimator in eval mode (``init_model``).
        dataset: an mmpose dataset built with the model's test pipeline;
            its person boxes (annotations or a detection ``bbox_file``)
            are the boxes the guide runs on.
        out_file: the JSON to write.
        batch_size: persons per forward.

    Returns:
        a summary: ``persons``, ``images`` and ``mean_score`` (mean
        keypoint score).
    """
    entries = []
    bar = ProgressBar(len(dataset)) if progress else None
    with torch.no_grad():
        for start in range(0, len(dataset), batch_size):
            items = [
                dataset[i]
                for i in range(start, min(start + batch_size, len(dataset)))
            ]
            for sample in model.test_step(pseudo_collate(items)):
                entries.append(_entry(sample))
                if bar is not None:
                    bar.update()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    with open(out_file, 'w') as f:
        json.dump(entries, f)
    scores = [np.mean(e['keypoints'][2::3]) for e in entries]
    return dict(
        persons=len(entries),
        images=len({e['image_id'] for e in entries}),
        mean_score=float(np.mean(scores)) if scores else float('nan'))


def _entry(sample) -> dict:
    pred = sample.pred_instances
    keypoints = np.asarray(pred.keypoints[0], np.float64)
    scores = np.asarray(pred.keypoint_scores[0], np.float64)
    x0, y0, x1, y1 = np.asarray(pred.bboxes[0], np.float64)
    bbox_score: Optional[float] = None
    if 'bbox_scores' in pred:
        bbox_score = float(np.asarray(pred.bbox_scores).reshape(-1)[0])
    triplets = np.concatenate([keypoints, scores[:, None]], axis=1)
    return dict(
        image_id=int(sample.img_id),
        category_id=int(sample.get('category_id', 1) or 1),
        bbox=[float(x0), float(y0), float(x1 - x0), float(y1 - y0)],
        keypoints=[float(v) for v in triplets.reshape(-1)],
        score=float(scores.mean() * (bbox_score if bbox_score else 1.0)),
        file_name=osp.basename(sample.img_path))
