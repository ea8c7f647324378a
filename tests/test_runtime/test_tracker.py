"""The numpy tracker: previous poses guide their tracks, new tracks get the
guide model; its box geometry and matching against the PyTorch tracker's."""
import numpy as np
import pytest
from mmpose.codecs import UDPHeatmap

from mmpose_patchsel.apis import tracking as torch_tracking
from patchsel_runtime import PatchSelPose, PatchSelPoseTracker, tracking
from test_runtime.tiny_onnx import (constant_model, conv_heatmap_model,
                                    heatmap_codec, make_card, render_model)


@pytest.fixture
def pose(tmp_path, load):
    """A selected model that renders its guide, and a guide model that
    always predicts one pose."""
    guide_card = make_card('guide', (36, 48),
                           heatmap_codec('UDPHeatmap', (36, 48)))
    guide_px = np.random.default_rng(1).uniform([6, 8], [30, 40], (17, 2))
    heatmaps = UDPHeatmap(input_size=(36, 48), heatmap_size=(9, 12),
                          sigma=2).encode(guide_px[None])['heatmaps']
    guide = load(
        constant_model(tmp_path / 'guide.onnx', guide_card,
                       dict(heatmaps=heatmaps)))
    card = make_card('selected', (96, 128),
                     heatmap_codec('UDPHeatmap', (96, 128)))
    return PatchSelPose(load(render_model(tmp_path / 'sel.onnx', card)), guide)


@pytest.fixture
def frame(coco_persons):
    image, boxes, _ = max(coco_persons, key=lambda s: len(s[1]))
    return image, boxes[:2]


def test_previous_poses_guide_their_tracks(pose, frame):
    image, boxes = frame
    tracker = PatchSelPoseTracker(pose)
    first = tracker.track(image, boxes)
    assert first.sources == ['guide', 'guide']
    assert first.track_ids.tolist() == [0, 1]
    assert first.keypoints.shape == (2, 17, 2)
    second = tracker.track(image, boxes + 3)  # the persons moved a little
    assert second.sources == ['previous', 'previous']
    assert second.track_ids.tolist() == [0, 1]
    # The model renders its guide: the previous pose comes back.
    np.testing.assert_allclose(second.keypoints, first.keypoints, atol=0.1)
    # Between detections: boxes from the previous keypoints.
    third = tracker.track(image)
    assert third.track_ids.tolist() == [0, 1]
    assert third.sources == ['previous', 'previous']
    want = [
        tracking.box_from_keypoints(k, s, 0.3, 1.25, b)
        for k, s, b in zip(second.keypoints, second.scores, second.bboxes)
    ]
    np.testing.assert_allclose(third.bboxes, want)


def test_iou_matching_follows_the_boxes(pose, frame):
    image, boxes = frame
    tracker = PatchSelPoseTracker(pose)
    tracker.track(image, boxes)
    far = np.array([[0, 0, 30, 40]], np.float32)
    out = tracker.track(image, np.concatenate([boxes[::-1], far]))
    assert out.track_ids.tolist() == [1, 0, 2]
    assert out.sources == ['previous', 'previous', 'guide']
    out = tracker.track(image, far)  # tracks 0 and 1 end
    assert out.track_ids.tolist() == [2]
    assert tracker.track(image, np.zeros((0, 4))).keypoints.shape == (0, 17, 2)
    assert tracker.track(image).track_ids.tolist() == []
    tracker.track(image, boxes)
    # Between detections, a track whose box left the frame ends.
    small = np.ascontiguousarray(image[:20, :20])
    assert tracker.track(small).track_ids.tolist() == []


def test_external_track_ids(pose, frame):
    image, boxes = frame
    tracker = PatchSelPoseTracker(pose)
    tracker.track(image, boxes, track_ids=[5, 7])
    out = tracker.track(image, boxes, track_ids=[7, 9])
    assert out.track_ids.tolist() == [7, 9]
    assert out.sources == ['previous', 'guide']
    with pytest.raises(ValueError, match='distinct ids, one per box'):
        tracker.track(image, boxes, track_ids=[1, 1])


def test_refresh_and_weak_poses_use_the_guide(pose, frame):
    image, boxes = frame
    tracker = PatchSelPoseTracker(pose, refresh_interval=2)
    sources = [tracker.track(image, boxes).sources[0] for _ in range(4)]
    assert sources == ['guide', 'previous', 'guide', 'previous']
    tracker = PatchSelPoseTracker(pose, min_pose_score=2.0)
    assert [tracker.track(image, boxes).sources[0]
            for _ in range(2)] == ['guide', 'guide']
    tracker.reset()
    assert tracker.track(image, boxes).track_ids.tolist() == [0, 1]


def test_full_model_and_missing_guide(tmp_path, load, pose, frame):
    image, boxes = frame
    full = load(conv_heatmap_model(tmp_path / 'f.onnx', make_card('full')))
    tracker = PatchSelPoseTracker(PatchSelPose(full))
    assert tracker.track(image, boxes).sources == ['full', 'full']
    assert tracker.track(image, boxes).track_ids.tolist() == [0, 1]
    with pytest.raises(ValueError, match='needs a guide model'):
        PatchSelPoseTracker(PatchSelPose(pose.model))


# -- geometry and matching against the PyTorch tracker's ----------------------
def test_geometry_matches_the_pytorch_tracker():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = np.sort(rng.uniform(0, 100, (4, 2, 2)), axis=1).reshape(4, 4)
        b = np.sort(rng.uniform(0, 100, (3, 2, 2)), axis=1).reshape(3, 4)
        np.testing.assert_allclose(
            tracking.bbox_iou(a[:, [0, 2, 1, 3]], b[:, [0, 2, 1, 3]]),
            torch_tracking.bbox_iou(a[:, [0, 2, 1, 3]], b[:, [0, 2, 1, 3]]))
        kpts = rng.uniform(0, 100, (17, 2))
        scores = rng.uniform(0, 1, 17)
        fallback = np.array([1, 2, 3, 4], np.float32)
        np.testing.assert_array_equal(
            tracking.box_from_keypoints(kpts, scores, 0.3, 1.25, fallback),
            torch_tracking.box_from_keypoints(kpts, scores, 0.3, 1.25,
                                              fallback))


def test_matching_is_the_pytorch_trackers_optimal_one():
    # Greedy would pair (0, 0) and leave row 1 alone; optimal pairs both.
    iou = np.array([[0.6, 0.5], [0.55, 0.0], [0.1, 0.2]])
    assert tracking.match_boxes(iou, 0.3) == [(0, 1), (1, 0)]
    assert tracking.match_boxes(iou, 0.7) == []
    rng = np.random.default_rng(0)
    for _ in range(200):
        iou = rng.random(rng.integers(1, 7, 2))
        got = tracking.match_boxes(iou, 0.4)
        want = torch_tracking.match_boxes(iou, 0.4)[0]
        assert len(got) == len(want)
        assert np.isclose(sum(iou[p] for p in got), sum(iou[p] for p in want))
