"""GuideDumpMetric: one entry per dataset sample, in a fixed order, whatever
order and repeats the ranks deliver; the file reads back as the guide."""
import json

import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.registry import METRICS
from mmpose.structures import PoseDataSample

from mmpose_patchsel.datasets.transforms.guide_keypoints import load_guide_file
from mmpose_patchsel.evaluation import GuideDumpMetric, guide_entry

K = 17


def predicted(sample_id: int, img_id: int, bbox_score=None) -> dict:
    """A predicted person as the test loop hands it to the metric."""
    rng = np.random.default_rng(sample_id)
    pred = InstanceData(keypoints=rng.uniform(0, 100,
                                              (1, K, 2)).astype(np.float32),
                        keypoint_scores=rng.uniform(0, 1,
                                                    (1, K)).astype(np.float32),
                        bboxes=np.array([[sample_id, 10, sample_id + 40, 90]],
                                        np.float32))
    if bbox_score is not None:
        pred.bbox_scores = np.array([bbox_score], np.float32)
    sample = PoseDataSample(metainfo=dict(id=sample_id,
                                          img_id=img_id,
                                          img_path=f'/data/{img_id:012d}.jpg',
                                          category_id=1))
    sample.pred_instances = pred
    return sample.to_dict()


def test_guide_entry_is_coco_results_with_box_and_file():
    sample = predicted(3, 785, bbox_score=0.5)
    entry = guide_entry(sample)
    pred = sample['pred_instances']
    assert entry['image_id'] == 785 and entry['category_id'] == 1
    assert entry['file_name'] == '000000000785.jpg'
    assert entry['bbox'] == [3.0, 10.0, 40.0, 80.0]  # xywh
    triplets = np.asarray(entry['keypoints']).reshape(K, 3)
    np.testing.assert_allclose(triplets[:, :2], pred['keypoints'][0])
    np.testing.assert_allclose(triplets[:, 2], pred['keypoint_scores'][0])
    assert entry['score'] == pytest.approx(0.5 *
                                           pred['keypoint_scores'][0].mean(),
                                           rel=1e-6)
    # Without a box score (ground-truth boxes) the score is the mean.
    assert guide_entry(predicted(3, 785))['score'] == pytest.approx(
        pred['keypoint_scores'][0].mean(), rel=1e-6)


def test_entries_sorted_once_each(tmp_path):
    out = tmp_path / 'guide.json'
    metric = METRICS.build(dict(type='GuideDumpMetric', out_file=str(out)))
    # Two ranks' interleaved results, a padding repeat of the first sample.
    samples = [(5, 40083), (1, 785), (7, 40083), (2, 785), (1, 785)]
    metric.process({}, [predicted(i, img) for i, img in samples])
    summary = metric.compute_metrics(metric.results)

    entries = json.loads(out.read_text())
    assert [(e['image_id'], e['bbox'][0]) for e in entries] == [(785, 1.0),
                                                                (785, 2.0),
                                                                (40083, 5.0),
                                                                (40083, 7.0)]
    assert entries[0] == guide_entry(predicted(1, 785))
    assert summary['persons'] == 4 and summary['images'] == 2
    assert summary['mean_score'] == pytest.approx(
        np.mean([e['keypoints'][2::3] for e in entries]))

    by_image, image_of_file = load_guide_file(str(out))
    assert sorted(by_image) == [785, 40083]
    assert by_image[785]['keypoints'].shape == (2, K, 2)
    assert image_of_file == {
        '000000000785.jpg': 785,
        '000000040083.jpg': 40083
    }


def test_evaluate_drops_the_samplers_padding(tmp_path):
    """One process: ``evaluate(size)`` keeps the first ``size`` results
    (the tail a padding sampler adds) and prefixes the summary."""
    out = tmp_path / 'guide.json'
    metric = GuideDumpMetric(out_file=str(out))
    metric.process({}, [predicted(i, 785) for i in (0, 1, 2, 0)])
    summary = metric.evaluate(size=3)
    assert summary['guide/persons'] == 3
    assert metric.results == []  # reset for the next run
    assert len(json.loads(out.read_text())) == 3


def test_sample_without_dataset_id_is_refused(tmp_path):
    metric = GuideDumpMetric(out_file=str(tmp_path / 'guide.json'))
    sample = predicted(0, 785)
    del sample['id']
    with pytest.raises(KeyError, match="'id'"):
        metric.process({}, [sample])
