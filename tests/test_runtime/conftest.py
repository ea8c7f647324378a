"""Fixtures of the runtime tests: onnxruntime options, the real COCO test
images with their person boxes, and mmpose's own top-down test pipeline to
compare against."""
import json
from pathlib import Path
from typing import Callable, List, Tuple

import sys

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from test_runtime.tiny_onnx import MEAN, STD

try:
    from patchsel_runtime import OnnxPoseModel
except ImportError:  # not installed (pip install -e runtime): its sources
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / 'runtime'))
    from patchsel_runtime import OnnxPoseModel


@pytest.fixture(scope='session')
def ort_options() -> ort.SessionOptions:
    """One thread: the test machine's cores are busy."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return options


@pytest.fixture
def load(ort_options) -> Callable[[Path], OnnxPoseModel]:
    """``OnnxPoseModel`` on the CPU with one thread."""

    def _load(path) -> OnnxPoseModel:
        return OnnxPoseModel(path,
                             providers=['CPUExecutionProvider'],
                             session_options=ort_options)

    return _load


# -- real data ----------------------------------------------------------------
@pytest.fixture(scope='session')
def coco_persons(
        coco_root: Path) -> List[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(image, boxes (P, 4) xyxy, keypoints (P, 17, 3))`` per COCO test
    image, boxes clipped and typed as mmpose's COCO dataset does."""
    with open(coco_root / 'test_coco.json') as f:
        coco = json.load(f)
    samples = []
    for info in coco['images']:
        image = cv2.imread(str(coco_root / info['file_name']))
        h, w = image.shape[:2]
        boxes, kpts = [], []
        for ann in coco['annotations']:
            if ann['image_id'] != info['id']:
                continue
            x, y, bw, bh = ann['bbox']
            boxes.append([
                np.clip(x, 0, w - 1),
                np.clip(y, 0, h - 1),
                np.clip(x + bw, 0, w - 1),
                np.clip(y + bh, 0, h - 1)
            ])
            kpts.append(np.reshape(ann['keypoints'], (17, 3)))
        samples.append(
            (image, np.array(boxes, np.float32), np.array(kpts, np.float32)))
    assert sum(len(s[1]) for s in samples) >= 10
    return samples


@pytest.fixture(scope='session')
def mmpose_topdown():
    """mmpose's own test-time crop: ``GetBBoxCenterScale``,
    ``TopdownAffine``, ``PackPoseInputs`` and ``PoseDataPreprocessor``.
    Returns ``(inputs (P, 3, h, w), results per person)``."""
    from mmpose.datasets.transforms import (GetBBoxCenterScale, PackPoseInputs,
                                            TopdownAffine)
    from mmpose.models.data_preprocessors import PoseDataPreprocessor

    def run(image,
            boxes,
            input_size,
            use_udp,
            keypoints=None,
            padding=1.25,
            mean=MEAN,
            std=STD):
        center_scale = GetBBoxCenterScale(padding=padding)
        affine = TopdownAffine(input_size=tuple(input_size), use_udp=use_udp)
        pack = PackPoseInputs()
        packed, results = [], []
        for i, box in enumerate(boxes):
            info = dict(img=image.copy(),
                        bbox=box[None].copy(),
                        bbox_score=np.ones(1, np.float32))
            if keypoints is not None:
                info['keypoints'] = keypoints[i:i + 1, :, :2].copy()
                info['keypoints_visible'] = np.minimum(
                    keypoints[i:i + 1, :, 2], 1)
            info = affine(center_scale(info))
            results.append(info)
            packed.append(pack(dict(info)))
        pre = PoseDataPreprocessor(mean=mean, std=std, bgr_to_rgb=True)
        data = pre(
            dict(inputs=[p['inputs'] for p in packed],
                 data_samples=[p['data_samples'] for p in packed]))
        return data['inputs'].numpy(), results, data['data_samples']

    return run
