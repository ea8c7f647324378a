"""Run a guide pose model over a dataset once and save its keypoints.

The file is what :class:`LoadGuideKeypoints` reads: COCO's keypoint results
format plus the box each person was estimated in and the image file name.
This is the in-process loop (no loader workers, one process);
``tools/dump_guide.py`` runs the same :class:`GuideDumpMetric` in mmengine's
test loop, with workers and over several processes.
"""
import torch
from mmengine.dataset import pseudo_collate
from mmengine.utils import ProgressBar
from torch import nn

from mmpose_patchsel.evaluation import GuideDumpMetric


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
        progress: show a progress bar.

    Returns:
        a summary: ``persons``, ``images`` and ``mean_score`` (mean
        keypoint score).
    """
    metric = GuideDumpMetric(out_file=out_file)
    bar = ProgressBar(len(dataset)) if progress else None
    with torch.no_grad():
        for start in range(0, len(dataset), batch_size):
            batch = pseudo_collate([
                dataset[i]
                for i in range(start, min(start + batch_size, len(dataset)))
            ])
            samples = model.test_step(batch)
            metric.process(batch, [s.to_dict() for s in samples])
            if bar is not None:
                bar.update(len(samples))
    return metric.compute_metrics(metric.results)
