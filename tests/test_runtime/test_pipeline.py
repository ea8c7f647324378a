"""PatchSelPose end to end on tiny ONNX models built in the test: against
mmpose's own pipeline for a full model, and through the guide paths of a
selected model whose heatmaps render its guide keypoints."""
from types import SimpleNamespace

import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.codecs import MSRAHeatmap, SimCCLabel, UDPHeatmap
from mmpose.models.pose_estimators import TopdownPoseEstimator

from patchsel_runtime import PatchSelPose, read_model_card
from patchsel_runtime.decode import decode_outputs
from test_runtime.tiny_onnx import (constant_model, conv_heatmap_model,
                                    heatmap_codec, make_card, render_model)

CODECS = dict(UDPHeatmap=UDPHeatmap,
              MSRAHeatmap=MSRAHeatmap,
              SimCCLabel=SimCCLabel)


def _mmpose_image_keypoints(codec_cfg, outputs, samples):
    """mmpose's decode of each person's outputs, then its
    ``add_pred_to_datasample``: keypoints in image pixels."""
    cfg = dict(codec_cfg)
    codec = CODECS[cfg.pop('type')](**cfg)
    preds = []
    for i in range(len(samples)):
        if 'heatmaps' in outputs:
            kpts, scores = codec.decode(outputs['heatmaps'][i].copy())
        else:
            kpts, scores = codec.decode(outputs['simcc_x'][i:i + 1].copy(),
                                        outputs['simcc_y'][i:i + 1].copy())
        preds.append(InstanceData(keypoints=kpts, keypoint_scores=scores))
    TopdownPoseEstimator.add_pred_to_datasample(SimpleNamespace(test_cfg={}),
                                                preds, None, samples)
    return (np.concatenate([s.pred_instances.keypoints for s in samples]),
            np.concatenate([s.pred_instances.keypoint_scores
                            for s in samples]))


@pytest.mark.parametrize('kind,use_udp', [('UDPHeatmap', True),
                                          ('MSRAHeatmap', False)])
def test_full_model_matches_mmpose(tmp_path, load, coco_persons,
                                   mmpose_topdown, kind, use_udp):
    codec = heatmap_codec(kind, (48, 64), unbiased=True) \
        if kind == 'MSRAHeatmap' else heatmap_codec(kind, (48, 64))
    card = make_card('full', (48, 64), codec, use_udp=use_udp)
    model = load(conv_heatmap_model(tmp_path / 'full.onnx', card))
    pose = PatchSelPose(model)
    for image, boxes, _ in coco_persons:
        inputs, _, samples = mmpose_topdown(image, boxes, (48, 64), use_udp)
        want_k, want_s = _mmpose_image_keypoints(codec, model(inputs), samples)
        keypoints, scores = pose(image, boxes)
        assert keypoints.shape == (len(boxes), 17, 2)
        assert keypoints.dtype == scores.dtype == np.float32
        np.testing.assert_allclose(keypoints, want_k, rtol=0, atol=1e-3)
        np.testing.assert_allclose(scores, want_s, rtol=0, atol=1e-5)


def test_simcc_model_matches_mmpose(tmp_path, load, coco_persons,
                                    mmpose_topdown):
    codec = dict(type='SimCCLabel',
                 input_size=[48, 64],
                 sigma=[4.9, 5.66],
                 simcc_split_ratio=2.0,
                 normalize=False,
                 use_dark=True)
    card = make_card('full', (48, 64), codec)
    rng = np.random.default_rng(0)
    outputs = dict(simcc_x=rng.random((17, 96)), simcc_y=rng.random((17, 128)))
    model = load(constant_model(tmp_path / 'simcc.onnx', card, outputs))
    image, boxes, _ = coco_persons[0]
    inputs, _, samples = mmpose_topdown(image, boxes, (48, 64), True)
    want_k, want_s = _mmpose_image_keypoints(codec, model(inputs), samples)
    keypoints, scores = PatchSelPose(model)(image, boxes)
    np.testing.assert_allclose(keypoints, want_k, rtol=0, atol=1e-3)
    np.testing.assert_allclose(scores, want_s, rtol=0, atol=1e-6)


def _inside_guides(boxes, keypoints):
    """Annotated keypoints, unlabelled ones at their box centre."""
    guides = keypoints[..., :2].copy()
    centres = (boxes[:, None, :2] + boxes[:, None, 2:]) / 2
    return np.where(keypoints[..., 2:] > 0, guides, centres)


@pytest.mark.parametrize('kind,use_udp', [('UDPHeatmap', True),
                                          ('MSRAHeatmap', False)])
def test_selected_model_with_image_guide_round_trips(tmp_path, load,
                                                     coco_persons, kind,
                                                     use_udp):
    """Previous-frame mode: image-pixel guides warped into each crop come
    back out of a model that renders its guide, in image pixels."""
    codec = heatmap_codec(kind, (96, 128), unbiased=True)
    if kind == 'UDPHeatmap':
        codec.pop('unbiased')
    card = make_card('selected', (96, 128),
                     codec,
                     use_udp=use_udp,
                     outputs=['heatmaps', 'keep_indices'])
    pose = PatchSelPose(load(render_model(tmp_path / 'sel.onnx', card)))
    image, boxes, keypoints = coco_persons[0]
    guides = _inside_guides(boxes, keypoints)
    scores = np.full(guides.shape[:2], 0.9, np.float32)
    got, got_scores = pose(image, boxes, guide_keypoints=(guides, scores))
    # One heatmap pixel is box / 24 image pixels; DARK recovers a rendered
    # Gaussian's peak to a small fraction of it.
    tol = 0.01 * (boxes[:, 2:] - boxes[:, :2]).max() * 1.25 / 24
    np.testing.assert_allclose(got, guides, rtol=0, atol=tol)
    assert (got_scores > 0.5).all()


@pytest.mark.parametrize('use_udp', [True, False])
def test_selected_model_with_guide_model(tmp_path, load, coco_persons,
                                         mmpose_topdown, use_udp):
    """The guide runs on the resized crop; its keypoints reach the selected
    model at ``* (w - 1) / w_g`` (UDP) or ``* w / w_g`` of its input."""
    guide_codec = heatmap_codec('UDPHeatmap', (36, 48))
    guide_card = make_card('guide', (36, 48), guide_codec)
    guide_px = np.random.default_rng(1).uniform([6, 8], [30, 40], (17, 2))
    heatmaps = UDPHeatmap(input_size=(36, 48), heatmap_size=(9, 12),
                          sigma=2).encode(guide_px[None])['heatmaps']
    guide = load(
        constant_model(tmp_path / 'guide.onnx', guide_card,
                       dict(heatmaps=heatmaps)))
    codec = heatmap_codec('UDPHeatmap', (96, 128))
    card = make_card('selected', (96, 128), codec, use_udp=use_udp)
    pose = PatchSelPose(load(render_model(tmp_path / 'sel.onnx', card)), guide)
    image, boxes, _ = coco_persons[3]
    got, _ = pose(image, boxes)

    decoded = UDPHeatmap(input_size=(36, 48), heatmap_size=(9, 12),
                         sigma=2).decode(heatmaps.copy())[0][0]
    span = np.array([96, 128]) - (1 if use_udp else 0)
    in_vit = decoded * span / [36, 48]
    # The render model maps guide keypoints to heatmap pixels the UDP way:
    # decoding gives them back at ``in_vit * 96 / 95`` under UDPHeatmap.
    in_vit = in_vit * np.array([96, 128]) / [95, 127]
    _, _, samples = mmpose_topdown(image, boxes, (96, 128), use_udp)
    want = np.stack([
        in_vit / [96, 128] * s.metainfo['input_scale'] +
        s.metainfo['input_center'] - 0.5 * s.metainfo['input_scale']
        for s in samples
    ])
    tol = 0.01 * max(s.metainfo['input_scale'].max() for s in samples) / 24
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


def test_batch_equals_one_person_at_a_time(tmp_path, load, coco_persons):
    card = make_card('full', (48, 64))
    pose = PatchSelPose(load(conv_heatmap_model(tmp_path / 'f.onnx', card)))
    image, boxes, _ = coco_persons[1]
    assert len(boxes) >= 2
    keypoints, scores = pose(image, boxes)
    for i, box in enumerate(boxes):
        one_k, one_s = pose(image, box[None])
        np.testing.assert_allclose(one_k[0], keypoints[i], atol=1e-4)
        np.testing.assert_allclose(one_s[0], scores[i], atol=1e-6)


def test_zero_boxes_give_empty_arrays(tmp_path, load, coco_persons):
    card = make_card('full', (48, 64))
    pose = PatchSelPose(load(conv_heatmap_model(tmp_path / 'f.onnx', card)))
    image = coco_persons[0][0]
    for empty in (np.zeros((0, 4)), [], np.zeros((0, 4), np.float32)):
        keypoints, scores = pose(image, empty)
        assert keypoints.shape == (0, 17, 2) and scores.shape == (0, 17)
        assert keypoints.dtype == scores.dtype == np.float32


def test_decode_uses_card_codec_defaults():
    """A UDP codec without blur_kernel_size decodes with mmpose's 11."""
    maps = UDPHeatmap((48, 64), (12, 16),
                      sigma=2).encode(np.array([[[20.3,
                                                  30.7]]]))['heatmaps'][None]
    codec = heatmap_codec('UDPHeatmap', (48, 64))
    assert 'blur_kernel_size' not in codec
    got, _ = decode_outputs(dict(heatmaps=maps), codec)
    want, _ = decode_outputs(dict(heatmaps=maps),
                             dict(codec, blur_kernel_size=11))
    np.testing.assert_array_equal(got, want)


def test_paths_load_with_default_providers(tmp_path, coco_persons):
    path = conv_heatmap_model(tmp_path / 'f.onnx', make_card('full'))
    card = read_model_card(str(path))
    assert (card.role, card.crop_hw, card.num_keypoints) == ('full', (64, 48),
                                                             17)
    pose = PatchSelPose(str(path))
    assert "role='full'" in repr(pose.model)
    image, boxes, _ = coco_persons[0]
    assert pose(image, boxes)[0].shape == (len(boxes), 17, 2)
