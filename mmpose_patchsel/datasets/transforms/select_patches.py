"""Turn guide keypoints into the ViT patches to keep, inside the pipeline."""
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix

from mmpose_patchsel.keys import (FLIP_PATCH_MASK_KEY, GUIDE_KEYPOINTS_KEY,
                                  GUIDE_SCORES_KEY, INPUT_GUIDE_KEYPOINTS_KEY,
                                  INPUT_GUIDE_SCORES_KEY, PATCH_MASK_KEY)
from mmpose_patchsel.selection import (PatchGrid, SelectionOptions,
                                       flip_keypoints, select_patches_batched)


@TRANSFORMS.register_module()
class SelectPatches(BaseTransform):
    """Select the ViT patches to keep from the guide keypoints.

    Place it after ``TopdownAffine``. It replays on the guide keypoints what
    the pipeline did to the image (``RandomFlip``, then the affine warp from
    ``input_center``/``input_scale``/``bbox_rotation``, UDP or not), so the
    selection follows ``RandomFlip``, ``RandomHalfBody`` and
    ``RandomBBoxTransform``.

    Added keys (the ones the online guide writes too, see
    :mod:`mmpose_patchsel.keys`): ``patch_mask`` (N,) bool,
    ``patch_guide_keypoints`` (K, 2) and ``patch_guide_keypoint_scores``
    (K,) in input pixels and, with ``with_flip_mask``, ``patch_mask_flip``:
    the selection of the horizontally flipped input for flip test (the grid
    is not mirror-symmetric, so it is computed from the flipped guide, not
    mirrored). Pack them as meta keys for the ``PatchSelTopdownEstimator``.

    Args:
        input_size (tuple[int, int]): model input (w, h), as given to
            ``TopdownAffine``; a ``num_keep`` larger than its grid fails here.
        patch_size (int): patch size of the ViT. Defaults to 16.
        padding (int): padding of the ViT's patch embedding. Defaults to 2.
        use_udp (bool): must match ``TopdownAffine``; checked against the
            annotated keypoints whenever the sample has them.
        with_flip_mask (bool): also write ``patch_mask_flip``. Only flip test
            reads it, so training pipelines can set False and save a
            selection per sample; the estimator's flip test fails naming the
            key when it is missing. Defaults to True.
        **options: :class:`~mmpose_patchsel.selection.SelectionOptions`
            (``mode``, ``num_neighbours``, ``num_keep``, ``score_thr``,
            ``skeleton_links``, and the resolution-aware
            ``neighbour_radius`` and ``limb_radius``, fractions of the crop
            height), with its defaults; ``skeleton_links=None`` takes the
            dataset's own from the sample.
    """

    def __init__(self,
                 input_size: Tuple[int, int],
                 patch_size: int = 16,
                 padding: int = 2,
                 use_udp: bool = True,
                 with_flip_mask: bool = True,
                 **options) -> None:
        self.grid = PatchGrid(tuple(input_size), patch_size, padding)
        self.options = SelectionOptions(**options).check_grid(self.grid)
        self.use_udp = use_udp
        self.with_flip_mask = with_flip_mask

    def transform(self, results: dict) -> Optional[dict]:
        for key in (GUIDE_KEYPOINTS_KEY, 'input_center', 'input_scale'):
            if key not in results:
                raise KeyError(
                    f'SelectPatches needs {key!r}: put a guide transform '
                    '(LoadGuideKeypoints or GenerateGTGuideKeypoints) before '
                    'the augmentations and TopdownAffine before SelectPatches')
        if tuple(results['input_size']) != self.grid.input_size:
            raise ValueError(
                f'SelectPatches input_size={self.grid.input_size} differs '
                f"from TopdownAffine's {tuple(results['input_size'])}")
        keypoints = np.asarray(results[GUIDE_KEYPOINTS_KEY], np.float32)
        scores = np.asarray(results[GUIDE_SCORES_KEY], np.float32)
        if results.get('flip', False):
            if results.get('flip_direction') != 'horizontal':
                raise ValueError('SelectPatches supports horizontal flips '
                                 f"only, got {results['flip_direction']!r}")
            keypoints, scores = flip_keypoints(keypoints, scores,
                                               results['ori_shape'][1],
                                               results['flip_indices'])
        warp = self._warp_matrix(results)
        self._check_warp(results, warp)
        keypoints = cv2.transform(keypoints, warp).astype(np.float32)[0]
        scores = scores[0]

        batch_kpts, batch_scores = keypoints[None], scores[None]
        if self.with_flip_mask:  # one call for the sample and its flip
            flip_kpts, flip_scores = flip_keypoints(keypoints, scores,
                                                    self.grid.width,
                                                    results['flip_indices'])
            batch_kpts = np.stack([keypoints, flip_kpts])
            batch_scores = np.stack([scores, flip_scores])
        with torch.inference_mode():
            masks = select_patches_batched(
                self.grid, torch.from_numpy(batch_kpts),
                torch.from_numpy(batch_scores),
                **self.options.keywords(
                    results.get('skeleton_links'),
                    'none in the sample (dataset metainfo) or the config')
            ).masks.numpy()
        results[PATCH_MASK_KEY] = masks[0]
        if self.with_flip_mask:
            results[FLIP_PATCH_MASK_KEY] = masks[1]
        results[INPUT_GUIDE_KEYPOINTS_KEY] = keypoints
        results[INPUT_GUIDE_SCORES_KEY] = scores
        return results

    def _warp_matrix(self, results: dict) -> np.ndarray:
        rot = results['bbox_rotation'][0] if 'bbox_rotation' in results \
            else 0.
        get_matrix = get_udp_warp_matrix if self.use_udp else get_warp_matrix
        return get_matrix(results['input_center'],
                          results['input_scale'],
                          rot,
                          output_size=self.grid.input_size)

    def _check_warp(self, results: dict, warp: np.ndarray) -> None:
        """Fail when ``use_udp`` disagrees with ``TopdownAffine``'s warp."""
        gt = results.get('keypoints')
        warped = results.get('transformed_keypoints')
        if gt is None or warped is None or np.ndim(warped) != 3:
            return
        expected = cv2.transform(np.asarray(gt[..., :2], np.float32), warp)
        if not np.allclose(expected, warped[..., :2], atol=1e-2):
            raise ValueError(
                f'SelectPatches(use_udp={self.use_udp}) does not reproduce '
                "TopdownAffine's warp of the keypoints; set use_udp to the "
                "value TopdownAffine uses")

    def __repr__(self) -> str:
        options = ', '.join(f'{k}={v!r}'
                            for k, v in self.options.shown().items())
        return (f'{self.__class__.__name__}('
                f'input_size={self.grid.input_size}, {options}, '
                f'patch_size={self.grid.patch_size}, '
                f'padding={self.grid.padding}, use_udp={self.use_udp}, '
                f'with_flip_mask={self.with_flip_mask})')
