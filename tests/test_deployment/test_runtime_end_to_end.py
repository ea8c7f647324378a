"""The exported models in ``patchsel_runtime`` against the PyTorch model in
mmpose's own inference (``inference_topdown``, online guide) on the
bundled COCO images: same crops, guide, selection and keypoints.

Untrained weights give flat heatmaps on which DARK refinement turns the
1e-6 differences between two runtimes into pixels; the models here decode
with ``MSRAHeatmap`` (argmax and a quarter-pixel shift), so a difference
shows a real mismatch. The runtime's DARK decoders are checked against
mmpose's in ``tests/test_runtime/test_decode.py``.
"""
import cv2
import numpy as np
import pytest
import torch
from conftest import TEST_CONFIGS
from mmengine.config import Config
from mmpose.apis import inference_topdown

from mmpose_patchsel.deployment.exporter import (export_pose_model,
                                                 load_pose_model)

ort = pytest.importorskip('onnxruntime')
patchsel_runtime = pytest.importorskip('patchsel_runtime')

GUIDED_CFG = str(
    TEST_CONFIGS /
    'td-hm_patchsel-vit-tiny-onlineguide_coco-testdata-256x192.py')
GUIDE_CFG = str(TEST_CONFIGS /
                'td-hm_patchsel-vit-tiny_coco-testdata-256x192.py')
MSRA = dict(type='MSRAHeatmap',
            input_size=(192, 256),
            heatmap_size=(48, 64),
            sigma=2)
NUM_KEEP = 64


def _random_checkpoint(config: Config, path, seed: int) -> str:
    torch.manual_seed(seed)
    _, model = load_pose_model(config)
    model.init_weights()
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return str(path)


@pytest.fixture(scope='module')
def models(tmp_path_factory, coco_root):
    root = tmp_path_factory.mktemp('e2e')
    guide_cfg = Config.fromfile(GUIDE_CFG)
    guide_cfg.model.head.decoder = MSRA
    guide_ckpt = _random_checkpoint(guide_cfg, root / 'guide.pth', 1)
    cfg = Config.fromfile(GUIDED_CFG)
    cfg.model.head.decoder = MSRA
    cfg.model.guide.update(checkpoint=guide_ckpt,
                           cfg_options={'model.head.decoder': MSRA})
    cfg.model.selection.num_keep = NUM_KEEP
    main_ckpt = _random_checkpoint(cfg, root / 'main.pth', 2)
    _, model = load_pose_model(cfg, main_ckpt)
    selected = export_pose_model(cfg,
                                 main_ckpt,
                                 str(root / 'sel.onnx'),
                                 check_data=str(coco_root),
                                 num_keep=NUM_KEEP)
    guide = export_pose_model(guide_cfg,
                              guide_ckpt,
                              str(root / 'guide.onnx'),
                              role='guide',
                              check_data=str(coco_root))
    return model, selected['onnx'], guide['onnx']


def test_runtime_equals_mmpose_inference(models, coco_root):
    model, selected, guide = models
    pose = patchsel_runtime.PatchSelPose(selected, guide=guide)
    images = sorted(coco_root.glob('*.jpg'))
    compared = 0
    for path in images:
        image = cv2.imread(str(path))
        # Persons of every size: the whole image, and two boxes in it.
        h, w = image.shape[:2]
        bboxes = np.array([[0, 0, w, h], [w * 0.1, h * 0.2, w * 0.5, h * 0.9],
                           [w * 0.4, h * 0.05, w * 0.95, h * 0.6]], np.float32)
        keypoints, scores = pose(image, bboxes)
        with torch.no_grad():
            samples = inference_topdown(model, str(path), bboxes)
        expected = np.concatenate(
            [s.pred_instances.keypoints for s in samples])
        expected_scores = np.concatenate(
            [s.pred_instances.keypoint_scores for s in samples])
        distance = np.linalg.norm(keypoints - expected, axis=-1)
        assert distance.max() < 0.5, (path.name, distance.max())
        np.testing.assert_allclose(scores,
                                   expected_scores,
                                   rtol=1e-3,
                                   atol=1e-6)
        compared += distance.size
    assert compared == len(images) * 3 * 17


RTMPOSE_CFG = ('mmpose::body_2d_keypoint/rtmpose/coco/'
               'rtmpose-t_8xb256-420e_coco-256x192.py')


def test_rtmpose_guide_equals_mmpose_inference(coco_root, tmp_path):
    """A SimCC guide (RTMPose-t) exported alone and run as a plain model
    by the runtime: its keypoints are mmpose's."""
    torch.manual_seed(3)
    cfg, model = load_pose_model(RTMPOSE_CFG)
    ckpt = tmp_path / 'rtmpose.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    exported = export_pose_model(cfg,
                                 str(ckpt),
                                 str(tmp_path / 'rtm.onnx'),
                                 role='guide',
                                 check_data=str(coco_root))
    assert exported['card']['outputs'] == ['simcc_x', 'simcc_y']
    pose = patchsel_runtime.PatchSelPose(exported['onnx'])
    model.test_cfg['flip_test'] = False  # the runtime makes one pass
    for path in sorted(coco_root.glob('*.jpg')):
        image = cv2.imread(str(path))
        h, w = image.shape[:2]
        bboxes = np.array([[0, 0, w, h], [w * 0.2, h * 0.1, w * 0.7, h]],
                          np.float32)
        keypoints, _ = pose(image, bboxes)
        with torch.no_grad():
            samples = inference_topdown(model, str(path), bboxes)
        expected = np.concatenate(
            [s.pred_instances.keypoints for s in samples])
        assert np.linalg.norm(keypoints - expected, axis=-1).max() < 0.5
