"""Write a guide model's predictions as the guide file, from mmengine's test
loop.

As the test evaluator of a guide model, :class:`GuideDumpMetric` turns each
predicted person into a guide entry (what :class:`LoadGuideKeypoints` reads)
and rank 0 writes them to one JSON file. So ``runner.test()`` dumps a guide
with loader workers and, under a launcher, on several processes or GPUs.
"""
import json
import logging
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpose.registry import METRICS

__all__ = ['GuideDumpMetric', 'guide_entry']


def guide_entry(sample: Dict[str, Any]) -> dict:
    """One guide file entry from a predicted sample (``PoseDataSample`` as
    a dict, :meth:`~mmengine.structures.BaseDataElement.to_dict`).

    COCO's keypoint results format for the sample's one person, plus the
    box it was estimated in (``xywh``) and the image's file name. The
    score is the mean keypoint score, times the box score where the sample
    has one.
    """
    pred = sample['pred_instances']
    keypoints = np.asarray(pred['keypoints'][0], np.float64)
    scores = np.asarray(pred['keypoint_scores'][0], np.float64)
    x0, y0, x1, y1 = np.asarray(pred['bboxes'][0], np.float64)
    bbox_score: Optional[float] = None
    if 'bbox_scores' in pred:
        bbox_score = float(np.asarray(pred['bbox_scores']).reshape(-1)[0])
    triplets = np.concatenate([keypoints, scores[:, None]], axis=1)
    return dict(image_id=int(sample['img_id']),
                category_id=int(sample.get('category_id', 1) or 1),
                bbox=[float(x0),
                      float(y0),
                      float(x1 - x0),
                      float(y1 - y0)],
                keypoints=[float(v) for v in triplets.reshape(-1)],
                score=float(scores.mean() *
                            (bbox_score if bbox_score else 1.0)),
                file_name=osp.basename(sample['img_path']))


@METRICS.register_module()
class GuideDumpMetric(BaseMetric):
    """Dump every predicted person to a guide file; report a summary.

    Each result is keyed by the sample's image id and dataset ``id`` (the
    annotation id, or the index of the detection in a ``bbox_file``), which
    mmpose's ``PackPoseInputs`` keeps by default. Entries are written in
    key order, one per key: the file is the same whatever the number of
    processes, the sampler's order or the samples it repeats to pad the
    ranks (``collect_results`` already drops the padding of mmengine's
    ``DefaultSampler`` by truncating to the dataset size).

    Args:
        out_file (str): the guide JSON to write (rank 0 writes it).
        collect_device (str): where ranks gather results, ``'cpu'`` or
            ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): prefix of the summary's keys. Defaults to
            ``'guide'``.
        collect_dir (str, optional): the folder ranks share to gather
            results on CPU (mmengine's default: a temporary one under
            ``.dist_test`` in the working directory).

    Summary: ``persons``, ``images`` and ``mean_score`` (the mean keypoint
    score over all persons and keypoints).
    """

    default_prefix: Optional[str] = 'guide'

    def __init__(self,
                 out_file: str,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device,
                         prefix=prefix,
                         collect_dir=collect_dir)
        self.out_file = out_file

    def process(self, data_batch: Any,
                data_samples: Sequence[Dict[str, Any]]) -> None:
        """Keep each sample's guide entry with its key."""
        for sample in data_samples:
            if sample.get('id') is None:
                raise KeyError(
                    f'{type(self).__name__} needs the dataset id of every '
                    "sample: keep 'id' in PackPoseInputs' meta_keys")
            entry = guide_entry(sample)
            self.results.append(
                ((entry['image_id'], int(sample['id'])), entry))

    def compute_metrics(self, results: List[Tuple[tuple, dict]]) -> dict:
        """Write the entries in key order, once each; summarise them."""
        entries = []
        last_key = None
        for key, entry in sorted(results, key=lambda r: r[0]):
            if key != last_key:
                entries.append(entry)
                last_key = key
        if len(entries) < len(results):
            print_log(
                f'{len(results) - len(entries)} repeated samples dropped',
                logger='current',
                level=logging.WARNING)
        os.makedirs(osp.dirname(osp.abspath(self.out_file)), exist_ok=True)
        with open(self.out_file, 'w') as f:
            json.dump(entries, f)
        images = {e['image_id'] for e in entries}
        scores = [np.mean(e['keypoints'][2::3]) for e in entries]
        summary = dict(
            persons=len(entries),
            images=len(images),
            mean_score=float(np.mean(scores)) if scores else float('nan'))
        print_log(
            f'wrote {self.out_file}: {summary["persons"]} persons in '
            f'{summary["images"]} images',
            logger='current')
        return summary
