"""Where guide keypoints come from: an offline guide file or the ground truth.

Guide transforms write ``guide_keypoints`` (1, K, 2) and
``guide_keypoint_scores`` (1, K) in ORIGINAL image coordinates. Put them
right after ``GetBBoxCenterScale``, before any augmentation: ``SelectPatches``
replays ``RandomFlip`` and the ``TopdownAffine`` warp on them, so they follow
the image whatever the augmentations do to it.
"""
import json
import os.path as osp
from collections import defaultdict
from typing import Dict, Optional, Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS
from mmpose.structures.bbox import bbox_overlaps

from mmpose_patchsel.keys import GUIDE_KEYPOINTS_KEY, GUIDE_SCORES_KEY
from mmpose_patchsel.utils import check_choice, check_number


def load_guide_file(path: str) -> Tuple[Dict[int, dict], Dict[str, int]]:
    """Read a guide file, grouped by image.

    The file is a JSON list in COCO's keypoint results format, one entry per
    person, plus the box the guide ran on and, optionally, the image's file
    name (which lets ``inference_topdown``, whose samples carry a path but no
    image id, find its entries)::

        [{"image_id": 785, "category_id": 1,
          "bbox": [x, y, w, h],                 # the person box used
          "keypoints": [x1, y1, s1, x2, ...],   # K triplets, image pixels
          "score": 0.93,
          "file_name": "000000000785.jpg"},     # optional
         ...]

    Returns:
        ``{image_id: {'bboxes' (n, 4) xyxy, 'keypoints' (n, K, 2),
        'scores' (n, K)}}`` and ``{file_name: image_id}``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'guide file not found: {path}')
    with open(path) as f:
        entries = json.load(f)
    if not isinstance(entries, list):
        raise ValueError(f'guide file {path} must hold a JSON list of '
                         'per-person entries (COCO results format + bbox)')
    grouped = defaultdict(lambda: defaultdict(list))
    image_of_file = {}
    for i, entry in enumerate(entries):
        for key in ('image_id', 'bbox', 'keypoints'):
            if key not in entry:
                raise KeyError(f'guide file {path}: entry {i} has no {key!r}')
        kpts = np.asarray(entry['keypoints'], dtype=np.float32)
        if kpts.ndim != 1 or kpts.size % 3:
            raise ValueError(f'guide file {path}: entry {i} keypoints must '
                             f'be K (x, y, score) triplets, got {kpts.size} '
                             'values')
        x, y, w, h = entry['bbox']
        group = grouped[int(entry['image_id'])]
        if 'file_name' in entry:
            image_of_file[osp.basename(entry['file_name'])] = int(
                entry['image_id'])
        group['bboxes'].append([x, y, x + w, y + h])
        group['keypoints'].append(kpts.reshape(-1, 3)[:, :2])
        group['scores'].append(kpts.reshape(-1, 3)[:, 2])
    by_image = {
        img_id: {k: np.asarray(v, dtype=np.float32)
                 for k, v in group.items()}
        for img_id, group in grouped.items()
    }
    return by_image, image_of_file


@TRANSFORMS.register_module()
class LoadGuideKeypoints(BaseTransform):
    """Attach offline guide keypoints to the pipeline's person instance.

    The entry is matched by image (the sample's ``img_id``, or, for samples
    without one such as ``inference_topdown``'s, the file name of its
    ``img_path``) and by the IoU of its box with the instance's box (the best
    one, at least ``min_iou``), so a guide run once offline (any
    COCO-results file with boxes) serves any later run on the same boxes.

    Args:
        guide_file (str): the guide JSON (see :func:`load_guide_file`).
        min_iou (float): least box IoU for a match. Defaults to 0.9.
        on_missing (str): ``'error'`` raises naming the image id and box;
            ``'no_guide'`` attaches all-zero scores, so the selection falls
            back to its documented default. Defaults to ``'error'``.

    Added keys: ``guide_keypoints`` (1, K, 2), ``guide_keypoint_scores``
    (1, K).
    """

    def __init__(self,
                 guide_file: str,
                 min_iou: float = 0.9,
                 on_missing: str = 'error') -> None:
        self.guide_file = guide_file
        self.min_iou = check_number(
            'min_iou', min_iou, 0, 1, exclusive_min=True)
        self.on_missing = check_choice('on_missing', on_missing,
                                       ('error', 'no_guide'))
        self.guides, self.image_of_file = load_guide_file(guide_file)
        self.num_keypoints = next(
            iter(self.guides.values()))['keypoints'].shape[1] if (
                self.guides) else None

    def transform(self, results: dict) -> Optional[dict]:
        img_id = self._image_id(results)
        bbox = np.asarray(results['bbox'], dtype=np.float32).reshape(-1, 4)
        num_kpts = self._num_keypoints(results)
        entries = self.guides.get(img_id)
        index = None
        if entries is not None:
            ious = bbox_overlaps(
                torch.from_numpy(bbox),
                torch.from_numpy(entries['bboxes']))[0].numpy()
            best = int(np.argmax(ious))
            if ious[best] >= self.min_iou:
                index = best
        if index is None:
            if self.on_missing == 'error':
                raise KeyError(
                    f'guide file {self.guide_file} has no entry for image id '
                    f'{img_id} with a box matching {bbox[0].tolist()} '
                    f'(IoU >= {self.min_iou}); set on_missing="no_guide" to '
                    'fall back to the default selection')
            results[GUIDE_KEYPOINTS_KEY] = np.zeros((1, num_kpts, 2),
                                                    np.float32)
            results[GUIDE_SCORES_KEY] = np.zeros((1, num_kpts), np.float32)
            return results
        keypoints = entries['keypoints'][index]
        if keypoints.shape[0] != num_kpts:
            raise ValueError(
                f'guide file {self.guide_file}: image id {img_id} has '
                f'{keypoints.shape[0]} keypoints, the dataset has {num_kpts}')
        results[GUIDE_KEYPOINTS_KEY] = keypoints[None].copy()
        results[GUIDE_SCORES_KEY] = entries['scores'][index][None].copy()
        return results

    def _image_id(self, results: dict) -> int:
        if results.get('img_id') is not None:
            return int(results['img_id'])
        name = osp.basename(results.get('img_path') or '')
        if name not in self.image_of_file:
            raise KeyError(
                f'guide file {self.guide_file} has no entry for image '
                f'{name or "(no img_id, no img_path)"}: samples without an '
                'img_id are matched by the "file_name" of the entries')
        return self.image_of_file[name]

    def _num_keypoints(self, results: dict) -> int:
        # Every mmpose dataset's metainfo has one flip index per joint.
        if results.get('flip_indices') is not None:
            return len(results['flip_indices'])
        if self.num_keypoints is None:
            raise ValueError(f'guide file {self.guide_file} is empty')
        return self.num_keypoints

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(guide_file={self.guide_file!r}, '
                f'min_iou={self.min_iou}, on_missing={self.on_missing!r})')


@TRANSFORMS.register_module()
class GenerateGTGuideKeypoints(BaseTransform):
    """Guide keypoints from the annotation, with a light guide's errors.

    Training needs no guide network: each visible ground-truth keypoint
    becomes a guide keypoint, moved by Gaussian noise of ``jitter_std`` times
    the box size and dropped (score 0) with probability ``drop_prob``, so the
    ViT learns to cope with imperfect selections. Invisible keypoints get
    score 0. With the defaults of 0 it is the exact ground truth, which
    ``tools/selection_stats.py`` uses.

    Args:
        jitter_std (float): noise std as a fraction of max(bbox w, h).
        drop_prob (float): probability of dropping a visible keypoint.
    """

    def __init__(self,
                 jitter_std: float = 0.0,
                 drop_prob: float = 0.0) -> None:
        self.jitter_std = check_number('jitter_std', jitter_std, 0)
        self.drop_prob = check_number('drop_prob', drop_prob, 0, 1)

    def transform(self, results: dict) -> Optional[dict]:
        if results.get('keypoints') is None:
            raise KeyError('GenerateGTGuideKeypoints needs annotated '
                           "'keypoints'; use LoadGuideKeypoints for data "
                           'without annotations')
        keypoints = np.asarray(results['keypoints'][..., :2], np.float32)
        visible = np.asarray(results['keypoints_visible'], np.float32)
        if visible.ndim == 3:
            visible = visible[..., 0]
        scores = (visible > 0).astype(np.float32)
        if self.jitter_std > 0:
            x0, y0, x1, y1 = np.asarray(results['bbox'], np.float32)[0]
            size = max(x1 - x0, y1 - y0)
            keypoints = keypoints + np.random.normal(
                0.0, self.jitter_std * size, keypoints.shape)
        if self.drop_prob > 0:
            scores[np.random.rand(*scores.shape) < self.drop_prob] = 0.0
        results[GUIDE_KEYPOINTS_KEY] = keypoints.astype(np.float32)
        results[GUIDE_SCORES_KEY] = scores
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(jitter_std={self.jitter_std}, '
                f'drop_prob={self.drop_prob})')
