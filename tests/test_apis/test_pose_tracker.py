"""PatchSelPoseTracker on a clip made from a real COCO photo.

The clip shifts ``000000040083.jpg`` (two persons) a few pixels per frame;
its box file is the photo's annotated boxes shifted the same way. The tiny
model has random weights, so its scores are low: the tests set
``min_pose_score=0`` and ``score_thr=-1e6``, as the online-guide tests do.
"""
import json

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmpose.apis import inference_topdown, init_model
from mmpose.structures.bbox import get_udp_warp_matrix

from mmpose_patchsel.apis import PatchSelPoseTracker
from mmpose_patchsel.selection import select_patches

IMAGE_ID = 40083
SHIFT = 4  # pixels per frame, to the right
NUM_FRAMES = 4
SELECTION = dict(mode='neighbour', num_neighbours=1, score_thr=-1e6)
# Random-weight keypoints scatter over the crop: a tight box, a low bar.
TRACKING = dict(min_pose_score=0., box_padding=1.0, match_thr=0.2)


@pytest.fixture(scope='module')
def clip(coco_root):
    """(frames, boxes per frame (2, 4) xyxy) of a shifted photo."""
    image = cv2.imread(str(coco_root / f'{IMAGE_ID:012d}.jpg'))
    ann = json.loads((coco_root / 'test_coco.json').read_text())
    boxes = np.array([
        a['bbox'] for a in ann['annotations']
        if a['image_id'] == IMAGE_ID and a['num_keypoints'] > 0
    ], np.float32)
    assert len(boxes) == 2
    boxes[:, 2:] += boxes[:, :2]
    frames, per_frame = [], []
    for i in range(NUM_FRAMES):
        frames.append(np.roll(image, SHIFT * i, axis=1))
        per_frame.append(boxes + np.float32([SHIFT * i, 0, SHIFT * i, 0]))
    return frames, per_frame


@pytest.fixture(scope='module')
def model(tiny_coco_cfg):
    torch.manual_seed(0)
    return init_model(str(tiny_coco_cfg), device='cpu')


@pytest.fixture(scope='module')
def online_model(tiny_coco_cfg, guide_ckpt):
    cfg = Config.fromfile(str(tiny_coco_cfg))
    cfg.model.guide = dict(config=str(tiny_coco_cfg),
                           checkpoint=str(guide_ckpt))
    cfg.model.selection = dict(mode='skeleton', score_thr=-1e6)
    torch.manual_seed(0)
    return init_model(cfg, device='cpu')


def run(tracker, frames):
    return [tracker.track(frame, i) for i, frame in enumerate(frames)]


def test_ids_persist_across_the_clip(model, clip):
    frames, boxes = clip
    tracker = PatchSelPoseTracker(
        model, dict(enumerate(boxes)), det_interval=2, selection=SELECTION,
        **TRACKING)
    results = run(tracker, frames)
    for i, frame_results in enumerate(results):
        assert [r.track_id for r in frame_results] == [0, 1]
        assert [r.frame_index for r in frame_results] == [i, i]
        for r in frame_results:
            pred = r.pred_instances
            assert pred.keypoints.shape == (1, 17, 2)
            assert pred.keypoint_scores.shape == (1, 17)
            assert pred.bboxes.shape == (1, 4)
            assert pred.bbox_scores.shape == (1, )
    # Detection frames (0, 2) estimate in the detected boxes.
    for i in (0, 2):
        np.testing.assert_allclose(
            [r.pred_instances.bboxes[0] for r in results[i]], boxes[i])
    assert [r.guide_source for r in results[0]] == ['full', 'full']
    assert all(r.guide_source == 'previous' for f in results[1:] for r in f)
    stats = tracker.stats
    assert (stats.frames, stats.persons, stats.detector_calls) == (4, 8, 2)
    assert stats.by_source == dict(previous=6, online=0, full=2)
    assert stats.fallbacks == 2  # the two new tracks of frame 0
    tracker.reset()
    assert tracker.stats.frames == 0
    assert [r.track_id for r in tracker.track(frames[0], 0)] == [0, 1]


def test_person_entering_mid_clip_falls_back_once(model, clip):
    frames, boxes = clip
    box_file = {i: b if i >= 2 else b[:1] for i, b in enumerate(boxes)}
    tracker = PatchSelPoseTracker(
        model, box_file, selection=SELECTION, **TRACKING)
    results = run(tracker, frames)
    assert [len(r) for r in results] == [1, 1, 2, 2]
    sources = [{r.track_id: r.guide_source for r in f} for f in results]
    assert sources == [{0: 'full'}, {0: 'previous'},
                       {0: 'previous', 1: 'full'},
                       {0: 'previous', 1: 'previous'}]
    assert tracker.stats.fallbacks == 2  # person 0 at frame 0, 1 at frame 2
    assert 'patch_mask' not in results[2][1].metainfo


@pytest.mark.parametrize('selection', [
    SELECTION,
    dict(mode='skeleton', num_neighbours=0, score_thr=-1e6, num_keep=40)
])
def test_selection_is_the_previous_pose_warped_into_the_crop(
        model, clip, selection):
    frames, boxes = clip
    tracker = PatchSelPoseTracker(
        model, dict(enumerate(boxes)), selection=selection, **TRACKING)
    results = run(tracker, frames[:3])
    grid = model.patch_grid()
    options = dict(selection)
    if options['mode'] == 'skeleton':
        options['skeleton_links'] = model.dataset_meta['skeleton_links']
    for previous, current in zip(results, results[1:]):
        before = {r.track_id: r.pred_instances for r in previous}
        for sample in current:
            assert sample.guide_source == 'previous'
            pred = before[sample.track_id]
            warp = get_udp_warp_matrix(
                sample.input_center, sample.input_scale, 0.,
                output_size=grid.input_size)
            kpts = cv2.transform(
                pred.keypoints.astype(np.float32), warp)[0]
            expected = select_patches(grid, kpts, pred.keypoint_scores[0],
                                      **options).mask
            mask = sample.patch_mask
            assert isinstance(mask, np.ndarray) and mask.dtype == bool
            np.testing.assert_array_equal(mask, expected)
            assert 0 < mask.sum() < grid.num_patches
            if 'num_keep' in selection:
                assert mask.sum() == selection['num_keep']


def test_flip_test_gets_a_flip_mask(model, clip):
    frames, boxes = clip
    model.test_cfg['flip_test'] = True
    try:
        tracker = PatchSelPoseTracker(
            model, dict(enumerate(boxes)), selection=SELECTION, **TRACKING)
        results = run(tracker, frames[:2])
    finally:
        model.test_cfg['flip_test'] = False
    for sample in results[1]:
        assert sample.guide_source == 'previous'
        assert sample.patch_mask_flip.shape == sample.patch_mask.shape
        assert not np.array_equal(sample.patch_mask_flip, sample.patch_mask)


def test_empty_and_corrupt_frames_return_nothing(model, clip):
    frames, boxes = clip
    outputs = iter([boxes[0], np.zeros((0, 4)), boxes[3]])
    calls = []

    def detector(frame):
        calls.append(frame.shape)
        return next(outputs)

    tracker = PatchSelPoseTracker(model, detector, selection=SELECTION,
                                  **TRACKING)
    results = run(tracker, [frames[0], frames[1], None, frames[3]])
    assert [len(r) for r in results] == [2, 0, 0, 2]
    # The empty frame ended both tracks: the last frame starts new ones.
    assert [r.track_id for r in results[3]] == [2, 3]
    assert [r.guide_source for r in results[3]] == ['full', 'full']
    stats = tracker.stats
    assert (stats.frames, stats.bad_frames, stats.empty_frames) == (4, 1, 1)
    assert stats.detector_calls == len(calls) == 3
    assert stats.persons == 4 and stats.fallbacks == 4


def test_detections_below_the_score_threshold_are_dropped(model, clip):
    frames, boxes = clip
    scored = np.concatenate([boxes[0], [[0.9], [0.2]]], axis=1)
    tracker = PatchSelPoseTracker(model, {0: scored}, det_score_thr=0.5)
    (result, ) = tracker.track(frames[0])
    np.testing.assert_allclose(result.pred_instances.bboxes[0], boxes[0][0])
    np.testing.assert_allclose(result.pred_instances.bbox_scores, [0.9])


def test_whole_image_box_without_detector(model, clip):
    frames, _ = clip
    tracker = PatchSelPoseTracker(model, selection=SELECTION, **TRACKING)
    results = run(tracker, frames[:2])
    h, w = frames[0].shape[:2]
    np.testing.assert_allclose(results[0][0].pred_instances.bboxes[0],
                               [0, 0, w, h])
    assert [(f[0].track_id, f[0].guide_source) for f in results] == [
        (0, 'full'), (0, 'previous')]


def test_online_and_full_guides(online_model, tiny_coco_cfg, clip):
    frames, boxes = clip
    box_file = dict(enumerate(boxes))
    online = run(
        PatchSelPoseTracker(online_model, box_file, guide='online',
                            **TRACKING), frames[:2])
    grid = online_model.patch_grid()
    for sample in online[0] + online[1]:
        assert sample.guide_source == 'online'
        assert isinstance(sample.patch_mask, np.ndarray)
        assert 0 < sample.patch_mask.sum() < grid.num_patches

    full_tracker = PatchSelPoseTracker(online_model, box_file, guide='full',
                                       **TRACKING)
    full = run(full_tracker, frames[:2])
    assert all(r.guide_source == 'full' and 'patch_mask' not in r.metainfo
               for f in full for r in f)
    assert full_tracker.stats.by_source == dict(previous=0, online=0, full=4)
    # 'full' skipped the online guide: it is the full model's output.
    plain = init_model(str(tiny_coco_cfg), device='cpu')
    plain.load_state_dict(online_model.state_dict())
    reference = inference_topdown(plain, frames[0], boxes[0])
    np.testing.assert_allclose(
        [r.pred_instances.keypoints for r in full[0]],
        [r.pred_instances.keypoints for r in reference], atol=1e-3)
    assert not np.allclose(
        [r.pred_instances.keypoints for r in full[0]],
        [r.pred_instances.keypoints for r in online[0]], atol=1e-3)

    # 'previous' on a model with a guide falls back to it, with its options.
    previous = PatchSelPoseTracker(online_model, box_file, **TRACKING)
    assert previous.selection_options == online_model.selection_options
    sources = [[r.guide_source for r in f] for f in run(previous, frames[:2])]
    assert sources == [['online', 'online'], ['previous', 'previous']]


def test_refresh_frames_use_the_fallback_for_everyone(model, clip):
    frames, boxes = clip
    tracker = PatchSelPoseTracker(
        model, dict(enumerate(boxes)), refresh_interval=2,
        selection=SELECTION, **TRACKING)
    sources = [[r.guide_source for r in f] for f in run(tracker, frames)]
    assert sources == [['full'] * 2, ['previous'] * 2] * 2
    assert tracker.stats.fallbacks == 0  # refreshes are not fallbacks


def test_bad_arguments_name_themselves(model, online_model):
    with pytest.raises(ValueError, match="'bogus'"):
        PatchSelPoseTracker(model, guide='bogus')
    with pytest.raises(ValueError, match='online guide'):
        PatchSelPoseTracker(model, guide='online')
    with pytest.raises(TypeError, match='int'):
        PatchSelPoseTracker(model, detector=42)
    with pytest.raises(TypeError, match='Linear'):
        PatchSelPoseTracker(model, detector=torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"detector\[3\]"):
        PatchSelPoseTracker(model, detector={3: np.zeros((2, 3))})
    with pytest.raises(ValueError, match='det_interval'):
        PatchSelPoseTracker(model, det_interval=0)
    with pytest.raises(TypeError, match='num_neigbours'):
        PatchSelPoseTracker(model, selection=dict(num_neigbours=2))
    with pytest.raises(ValueError, match='500'):
        PatchSelPoseTracker(model, selection=dict(num_keep=500))
    with pytest.raises(TypeError, match='frame'):
        PatchSelPoseTracker(model).track('000000.jpg')


def test_set_guide_pose_replaces_the_next_frames_guide(model, clip):
    """A pose set from outside (here: a tight cluster at one corner of the
    person's box) is what the next frame selects from."""
    frames, boxes = clip
    tracker = PatchSelPoseTracker(
        model, dict(enumerate(boxes)), selection=SELECTION, **TRACKING)
    first = tracker.track(frames[0], 0)
    x0, y0 = first[0].pred_instances.bboxes[0][:2]
    corner = np.tile(np.float32([x0 + 2, y0 + 2]), (17, 1))
    tracker.set_guide_pose(first[0].track_id, corner, np.ones(17))
    second = {r.track_id: r for r in tracker.track(frames[1], 1)}
    grid = model.patch_grid()
    sample = second[first[0].track_id]
    warp = get_udp_warp_matrix(sample.input_center, sample.input_scale, 0.,
                               output_size=grid.input_size)
    expected = select_patches(grid, cv2.transform(corner[None], warp)[0],
                              np.ones(17, np.float32), **SELECTION).mask
    np.testing.assert_array_equal(sample.patch_mask, expected)
    assert sample.patch_mask.sum() <= 5  # one cell and its neighbour
    with pytest.raises(KeyError, match='no live track with id 99'):
        tracker.set_guide_pose(99, corner, np.ones(17))
    with pytest.raises(ValueError, match='keypoints must be'):
        tracker.set_guide_pose(first[0].track_id, corner[:3], np.ones(3))
