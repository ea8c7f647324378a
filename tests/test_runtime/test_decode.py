"""The runtime's decoders against mmpose's codecs, on heatmaps and SimCC
vectors encoded from the real COCO keypoints plus noise."""
from types import SimpleNamespace

import numpy as np
import pytest
from mmengine.structures import InstanceData
from mmpose.codecs import MSRAHeatmap, SimCCLabel, UDPHeatmap
from mmpose.models.pose_estimators import TopdownPoseEstimator

from patchsel_runtime.decode import decode_outputs, input_to_image

INPUT_SIZE = (192, 256)


def _crop_keypoints(coco_persons, mmpose_topdown, use_udp):
    """``(P, 17, 2)`` annotated keypoints in crop pixels and visibility."""
    kpts, visible = [], []
    for image, boxes, keypoints in coco_persons:
        _, results, _ = mmpose_topdown(image,
                                       boxes,
                                       INPUT_SIZE,
                                       use_udp,
                                       keypoints=keypoints)
        kpts += [r['transformed_keypoints'][0] for r in results]
        visible += [r['keypoints_visible'][0] for r in results]
    return np.array(kpts, np.float32), np.array(visible, np.float32)


def _noisy(maps: np.ndarray, seed: int, scale: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    maps = maps + rng.normal(0, scale, maps.shape).astype(np.float32)
    maps[:, 1] = -0.5  # a map without a positive maximum: mmpose gives -1
    return maps.astype(np.float32)


@pytest.mark.parametrize('codec_cfg', [
    dict(type='UDPHeatmap', heatmap_size=(48, 64), sigma=2),
    dict(
        type='UDPHeatmap', heatmap_size=(48, 64), sigma=3,
        blur_kernel_size=17),
    dict(type='MSRAHeatmap', heatmap_size=(48, 64), sigma=2, unbiased=False),
    dict(type='MSRAHeatmap',
         heatmap_size=(48, 64),
         sigma=2,
         unbiased=True,
         blur_kernel_size=11),
])
def test_heatmap_decoders_match_mmpose(coco_persons, mmpose_topdown,
                                       codec_cfg):
    cfg = dict(codec_cfg, input_size=INPUT_SIZE)
    kind = cfg.pop('type')
    codec = (UDPHeatmap if kind == 'UDPHeatmap' else MSRAHeatmap)(**cfg)
    kpts, visible = _crop_keypoints(coco_persons, mmpose_topdown,
                                    kind == 'UDPHeatmap')
    maps = np.stack([
        codec.encode(k[None], v[None])['heatmaps']
        for k, v in zip(kpts, visible)
    ])
    maps = _noisy(maps, seed=len(codec_cfg), scale=0.02)
    want = [codec.decode(m.copy()) for m in maps]  # as the head: per person
    card_codec = dict(cfg,
                      type=kind,
                      input_size=list(INPUT_SIZE),
                      heatmap_size=list(cfg['heatmap_size']))
    got_k, got_s = decode_outputs(dict(heatmaps=maps.copy()), card_codec)
    np.testing.assert_allclose(got_k,
                               np.concatenate([k for k, _ in want]),
                               rtol=0,
                               atol=1e-4)
    np.testing.assert_allclose(got_s,
                               np.concatenate([s for _, s in want]),
                               rtol=0,
                               atol=1e-6)
    assert (got_s[:, 1] == -0.5).all()  # the quirk path was taken


@pytest.mark.parametrize('use_dark', [False, True])
def test_simcc_decoder_matches_mmpose(coco_persons, mmpose_topdown, use_dark):
    cfg = dict(input_size=INPUT_SIZE,
               sigma=(4.9, 5.66),
               simcc_split_ratio=2.0,
               normalize=False,
               use_dark=use_dark)
    codec = SimCCLabel(**cfg)
    kpts, visible = _crop_keypoints(coco_persons, mmpose_topdown, True)
    enc = codec.encode(kpts, visible)
    rng = np.random.default_rng(3)
    sx = (enc['keypoint_x_labels'] +
          rng.normal(0, 0.02, enc['keypoint_x_labels'].shape)).astype(
              np.float32)
    sy = (enc['keypoint_y_labels'] +
          rng.normal(0, 0.02, enc['keypoint_y_labels'].shape)).astype(
              np.float32)
    sx[:, 1] = -0.5
    # The head decodes each person's (1, K, W) slice (to_numpy unzip).
    want = [
        codec.decode(x[None].copy(), y[None].copy()) for x, y in zip(sx, sy)
    ]
    got_k, got_s = decode_outputs(
        dict(simcc_x=sx.copy(), simcc_y=sy.copy()),
        dict(cfg,
             type='SimCCLabel',
             input_size=list(INPUT_SIZE),
             sigma=list(cfg['sigma'])))
    np.testing.assert_allclose(got_k,
                               np.concatenate([k for k, _ in want]),
                               rtol=0,
                               atol=1e-4)
    np.testing.assert_allclose(got_s,
                               np.concatenate([s for _, s in want]),
                               rtol=0,
                               atol=1e-6)


def test_input_to_image_matches_add_pred_to_datasample(coco_persons,
                                                       mmpose_topdown):
    image, boxes, _ = coco_persons[2]
    _, _, samples = mmpose_topdown(image, boxes, INPUT_SIZE, True)
    rng = np.random.default_rng(0)
    kpts = rng.uniform(-10, 200, (len(boxes), 17, 2)).astype(np.float32)
    preds = [
        InstanceData(keypoints=k[None].copy(),
                     keypoint_scores=np.ones((1, 17), np.float32))
        for k in kpts
    ]
    estimator = SimpleNamespace(test_cfg={})  # what the method reads
    TopdownPoseEstimator.add_pred_to_datasample(estimator, preds, None,
                                                samples)
    want = np.concatenate([s.pred_instances.keypoints for s in samples])
    centers = [s.metainfo['input_center'] for s in samples]
    scales = [s.metainfo['input_scale'] for s in samples]
    got = input_to_image(kpts, centers, scales, INPUT_SIZE)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4)
