"""Person boxes for :class:`~.pose_tracker.PatchSelPoseTracker`, from any of
the detectors it takes: none (the whole frame), a callable, a box file or an
mmdet detector."""
from typing import Callable, Dict, Optional, Union

import numpy as np
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope
from torch import nn

from mmpose_patchsel.utils.validation import check_int

__all__ = ['PERSON_LABEL', 'PersonDetector', 'as_detections']

#: label of the person class in COCO-trained mmdet detectors (used when
#: the detector's ``dataset_meta`` names no 'person' class).
PERSON_LABEL = 0

Detector = Union[None, Callable[[np.ndarray], np.ndarray],
                 Dict[int, np.ndarray], nn.Module]


class PersonDetector:
    """``(N, 5)`` xyxy + score person boxes of a frame.

    Args:
        detector: ``None`` (the whole image is one box), a callable
            ``frame -> (N, 4|5)`` xyxy[score] array, a box file
            ``{frame_index: (N, 4|5) array}`` (frames it lacks have no
            person), or an mmdet detector from ``mmdet.apis.init_detector``
            (its person class, through ``mmdet.apis.inference_detector``;
            the test pipeline is built once).
        score_thr (float): boxes scored below this are dropped.
    """

    def __init__(self, detector: Detector = None,
                 score_thr: float = 0.) -> None:
        self.score_thr = score_thr
        self.detector = detector
        if detector is None or isinstance(detector, dict):
            self.detector = None if detector is None else {
                check_int('detector (box file) frame index', k, 0):
                as_detections(v, f'detector[{k!r}]')
                for k, v in detector.items()
            }
        elif isinstance(detector, nn.Module):
            self._set_mmdet(detector)
        elif not callable(detector):
            raise TypeError('detector must be None, a callable, a box-file '
                            f'dict or an mmdet detector, got {type(detector)}')

    @property
    def whole_image(self) -> bool:
        """True when there is no detector: one box, the whole frame."""
        return self.detector is None

    def _set_mmdet(self, detector: nn.Module) -> None:
        from mmdet.models.detectors import BaseDetector
        from mmdet.utils import get_test_pipeline_cfg
        if not isinstance(detector, BaseDetector) or not hasattr(
                detector, 'cfg'):
            raise TypeError(
                'detector must be None, a callable, a box-file dict or '
                'an mmdet detector from mmdet.apis.init_detector, got '
                f'the module {type(detector)}')
        steps = get_test_pipeline_cfg(detector.cfg.copy())
        steps[0] = dict(steps[0], type='mmdet.LoadImageFromNDArray')
        with DefaultScope.overwrite_default_scope('mmdet'):
            self._det_pipeline = Compose(steps)
        classes = list((getattr(detector, 'dataset_meta', None)
                        or {}).get('classes', ()))
        self._person_label = classes.index('person') \
            if 'person' in classes else PERSON_LABEL

    def __call__(self, frame: np.ndarray,
                 index: Optional[int] = None) -> np.ndarray:
        """Boxes of ``frame`` (``index``: its key in a box file) scored at
        least ``score_thr``."""
        detector = self.detector
        if detector is None:
            h, w = frame.shape[:2]
            return np.array([[0, 0, w, h, 1]], np.float32)
        if isinstance(detector, dict):
            dets = detector.get(index, np.zeros((0, 5), np.float32))
        elif isinstance(detector, nn.Module):
            from mmdet.apis import inference_detector
            pred = inference_detector(
                detector, frame, test_pipeline=self._det_pipeline)
            pred = pred.pred_instances
            pred = pred[pred.labels == self._person_label].cpu().numpy()
            dets = np.concatenate([pred.bboxes, pred.scores[:, None]], 1)
        else:
            dets = as_detections(detector(frame), 'the detector output')
        return dets[dets[:, 4] >= self.score_thr]


def as_detections(boxes, name: str) -> np.ndarray:
    """``(N, 5)`` float32 xyxy + score (score 1 where not given)."""
    boxes = np.asarray(boxes, np.float32)
    if boxes.size == 0:
        return np.zeros((0, 5), np.float32)
    if boxes.ndim != 2 or boxes.shape[1] not in (4, 5):
        raise ValueError(f'{name} must be an (N, 4|5) xyxy[score] array, '
                         f'got shape {boxes.shape}')
    if boxes.shape[1] == 4:
        boxes = np.concatenate(
            [boxes, np.ones((len(boxes), 1), np.float32)], 1)
    return boxes
