"""Turn guide keypoints into the ViT patches to keep, inside the pipeline."""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS
from mmpose.structures.bbox import get_udp_warp_matrix, get_warp_matrix

from mmpose_patchsel.models.pose_estimators.patchsel_topdown import (
    FLIP_PATCH_MASK_KEY, PATCH_MASK_KEY)
from mmpose_patchsel.selection import (PatchGrid, check_options,
                                       flip_keypoints, select_patches)
from .guide_keypoints import GUIDE_KEYPOINTS, GUIDE_SCORES

#: input-space guide keypoints (1, K, 2), kept for visualisation.
INPUT_GUIDE_KEYPOINTS = 'patch_guide_keypoints'


@TRANSFORMS.register_module()
class SelectPatches(BaseTransform):
    """Select the ViT patches to keep from the guide keypoints.

    Place it after ``TopdownAffine``. It replays on the guide keypoints what
    the pipeline did to the image (``RandomFlip``, then the affine warp from
    ``input_center``/``input_scale``/``bbox_rotation``, UDP or not), so the
    selection follows ``RandomFlip``, ``RandomHalfBody`` and
    ``RandomBBoxTransform``. It writes ``patch_mask`` and, for flip test, the
    selection of the horizontally flipped input, ``patch_mask_flip`` (the
    grid is not mirror-symmetric, so it is computed from the flipped guide,
    not mirrored). Add both keys to ``PackPoseInputs``' ``meta_keys`` so the
    ``PatchSelTopdownEstimator`` receives them.

    Args:
        input_size (tuple[int, int]): model input (w, h), as given to
            ``TopdownAffine``; a ``num_keep`` larger than its grid fails here.
        mode (str): ``'neighbour'`` or ``'skeleton'``.
        num_neighbours (int): BFS neighbours added around each seed cell.
        num_keep (int, optional): keep exactly this many patches (one
            sequence length per batch); ``None`` keeps the plain union.
        score_thr (float): guide keypoints with lower scores are ignored.
        skeleton_links (list, optional): joint index pairs; by default the
            dataset's own ``skeleton_links`` from the sample.
        patch_size (int): patch size of the ViT. Defaults to 16.
        padding (int): padding of the ViT's patch embedding. Defaults to 2.
        use_udp (bool): must match ``TopdownAffine``; checked against the
            annotated keypoints whenever the sample has them.
    """

    def __init__(self,
                 input_size: Tuple[int, int],
                 mode: str = 'skeleton',
                 num_neighbours: int = 0,
                 num_keep: Optional[int] = None,
                 score_thr: float = 0.3,
                 skeleton_links: Optional[Sequence[Sequence[int]]] = None,
                 patch_size: int = 16,
                 padding: int = 2,
                 use_udp: bool = True) -> None:
        self.grid = PatchGrid(tuple(input_size), patch_size, padding)
        self.num_neighbours, self.score_thr, self.num_keep = check_options(
            self.grid, mode, num_neighbours, score_thr, num_keep)
        self.mode = mode
        self.skeleton_links = skeleton_links
        self.use_udp = use_udp

    def transform(self, results: dict) -> Optional[dict]:
        for key in (GUIDE_KEYPOINTS, 'input_center', 'input_scale'):
            if key not in results:
                raise KeyError(
                    f'SelectPatches needs {key!r}: put a guide transform '
                    '(LoadGuideKeypoints or GenerateGTGuideKeypoints) before '
                    'the augmentations and TopdownAffine before SelectPatches')
        if tuple(results['input_size']) != self.grid.input_size:
            raise ValueError(
                f'SelectPatches input_size={self.grid.input_size} differs '
                f"from TopdownAffine's {tuple(results['input_size'])}")
        keypoints = np.asarray(results[GUIDE_KEYPOINTS], np.float32)
        scores = np.asarray(results[GUIDE_SCORES], np.float32)
        if results.get('flip', False):
            if results.get('flip_direction') != 'horizontal':
                raise ValueError('SelectPatches supports horizontal flips '
                                 f"only, got {results['flip_direction']!r}")
            keypoints, scores = flip_keypoints(keypoints, scores,
                                               results['ori_shape'][1],
                                               results['flip_indices'])
        warp = self._warp_matrix(results)
        self._check_warp(results, warp)
        keypoints = cv2.transform(keypoints, warp).astype(np.float32)

        links = self.skeleton_links
        if links is None and self.mode == 'skeleton':
            links = results.get('skeleton_links')
            if links is None:
                raise KeyError('skeleton mode needs skeleton_links: none in '
                               'the sample (dataset metainfo) or the config')
        flip_kpts, flip_scores = flip_keypoints(keypoints, scores,
                                                self.grid.width,
                                                results['flip_indices'])
        results[PATCH_MASK_KEY] = self._select(keypoints[0], scores[0], links)
        results[FLIP_PATCH_MASK_KEY] = self._select(flip_kpts[0],
                                                    flip_scores[0], links)
        results[INPUT_GUIDE_KEYPOINTS] = keypoints
        return results

    def _select(self, keypoints, scores, links) -> np.ndarray:
        return select_patches(
            self.grid,
            keypoints,
            scores,
            mode=self.mode,
            num_neighbours=self.num_neighbours,
            score_thr=self.score_thr,
            skeleton_links=links,
            num_keep=self.num_keep).mask

    def _warp_matrix(self, results: dict) -> np.ndarray:
        rot = results['bbox_rotation'][0] if 'bbox_rotation' in results \
            else 0.
        get_matrix = get_udp_warp_matrix if self.use_udp else get_warp_matrix
        return get_matrix(
            results['input_center'],
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
        return (f'{self.__class__.__name__}('
                f'input_size={self.grid.input_size}, mode={self.mode!r}, '
                f'num_neighbours={self.num_neighbours}, '
                f'num_keep={self.num_keep}, score_thr={self.score_thr}, '
                f'skeleton_links={self.skeleton_links}, '
                f'patch_size={self.grid.patch_size}, '
                f'padding={self.grid.padding}, use_udp={self.use_udp})')
