"""The clip format: round trip, and mmpose's CocoDataset / CocoMetric read
a written clip as they are (GT as predictions gives AP 1.0)."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest
from mmpose.datasets import CocoDataset
from mmpose.evaluation import CocoMetric

from mmpose_patchsel.synthetic import generate_sequence_clips
from mmpose_patchsel.video import load_clip, make_pan_zoom_clip, write_clip


def _person(track_id, shift):
    kpts = np.zeros((17, 3))
    kpts[:, 0] = np.linspace(10, 50, 17) + shift
    kpts[:, 1] = np.linspace(5, 60, 17)
    kpts[:, 2] = 2
    kpts[3] = (7, 8, 0)  # unlabelled: stored as (0, 0, 0)
    return dict(keypoints=kpts, bbox=[5 + shift, 2, 50, 60],
                track_id=track_id, pose_mode='walk')


def test_write_load_round_trip(tmp_path):
    frames = [np.full((48, 64, 3), 40 * i, np.uint8) for i in range(3)]
    persons = [[_person(7, 0)], [_person(7, 2), _person(9, 1)], []]
    folder = write_clip(str(tmp_path), frames, persons,
                        dict(description='test', synthetic=True), name='c')
    clip = load_clip(folder)
    assert clip.name == 'c' and len(clip) == 3
    assert all(osp.isfile(f) and osp.isabs(f) for f in clip.frame_files)
    assert cv2.imread(clip.frame_files[2]).shape == (48, 64, 3)
    assert [a['track_id'] for a in clip.persons(1)] == [7, 9]
    assert clip.persons(2) == [] and clip.gt_boxes(2).shape == (0, 4)
    ann = clip.persons(1)[0]
    kpts = np.array(ann['keypoints']).reshape(17, 3)
    np.testing.assert_allclose(kpts[4], persons[1][0]['keypoints'][4])
    assert kpts[3].tolist() == [0, 0, 0]
    assert ann['num_keypoints'] == 16 and ann['area'] == 50 * 60
    assert ann['pose_mode'] == 'walk' and ann['image_id'] == 2
    np.testing.assert_allclose(clip.gt_boxes(1)[0], [7, 2, 57, 62])
    image = clip.annotations['images'][1]
    assert (image['frame_index'], image['id'], image['clip']) == (1, 2, 'c')
    with pytest.raises(IndexError, match='frame_index=3'):
        clip.persons(3)


def test_write_clip_rejects_bad_input(tmp_path):
    frame = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match='2 frames but 3'):
        write_clip(str(tmp_path / 'a'), [frame, frame], [[], [], []], {})
    bad = _person(0, 0)
    del bad['track_id']
    with pytest.raises(KeyError, match='track_id'):
        write_clip(str(tmp_path / 'b'), [frame], [[bad]], {})
    with pytest.raises(FileNotFoundError, match='annotations.json'):
        load_clip(str(tmp_path / 'nowhere'))


@pytest.fixture(scope='module', params=['synthetic', 'pan_zoom'])
def clip_folder(request, tmp_path_factory, coco_root):
    out = str(tmp_path_factory.mktemp(request.param))
    if request.param == 'synthetic':
        return generate_sequence_clips(out, 1, 6, seed=3)[0]
    with open(coco_root / 'test_coco.json') as f:
        coco = json.load(f)
    anns = [a for a in coco['annotations'] if a['image_id'] == 196141]
    return make_pan_zoom_clip(str(coco_root / '000000196141.jpg'), anns, 5,
                              out, period=10)


def test_coco_dataset_and_metric_read_a_clip(clip_folder):
    dataset = CocoDataset(data_root=clip_folder, ann_file='annotations.json',
                          data_prefix=dict(img=''), pipeline=[],
                          test_mode=True)
    clip = load_clip(clip_folder)
    expected = sum(a['num_keypoints'] > 0
                   for a in clip.annotations['annotations'])
    assert len(dataset) == expected > 0
    assert osp.isfile(dataset[0]['img_path'])
    metric = CocoMetric(ann_file=osp.join(clip_folder, 'annotations.json'))
    metric.dataset_meta = dataset.metainfo
    samples = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        samples.append(
            dict(id=info['id'], img_id=info['img_id'], gt_instances={},
                 pred_instances=dict(
                     keypoints=info['keypoints'],
                     keypoint_scores=info['keypoints_visible'].astype(
                         np.float32))))
    metric.process([], samples)
    results = metric.evaluate(size=len(samples))
    assert results['coco/AP'] == pytest.approx(1.0)
