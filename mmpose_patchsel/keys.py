"""Names of the keys patch selection adds to pipeline results and metainfo.

One place for them, so the data pipeline (``datasets/``), the estimator
(``models/``) and the packing transform agree. Pure python, no imports.
"""

#: guide keypoints ``(1, K, 2)`` in ORIGINAL image pixels (pipeline results),
#: written by ``LoadGuideKeypoints`` / ``GenerateGTGuideKeypoints``.
GUIDE_KEYPOINTS_KEY = 'guide_keypoints'
#: their scores ``(1, K)``.
GUIDE_SCORES_KEY = 'guide_keypoint_scores'

#: boolean patch mask ``(N,)`` of a sample over the row-major token grid.
PATCH_MASK_KEY = 'patch_mask'
#: the mask for the horizontally flipped input (flip test only).
FLIP_PATCH_MASK_KEY = 'patch_mask_flip'
#: guide keypoints ``(K, 2)`` in model-input pixels, the ones selected from.
INPUT_GUIDE_KEYPOINTS_KEY = 'patch_guide_keypoints'
#: their scores ``(K,)``.
INPUT_GUIDE_SCORES_KEY = 'patch_guide_keypoint_scores'
#: boolean mask ``(N,)`` of the patch tokens that reached the last block of
#: a backbone that prunes by itself (joint tokens), written by the estimator
#: in ``predict``: what keypoint-cell recall and drawings read.
KEPT_PATCH_MASK_KEY = 'kept_patch_mask'

#: what ``SelectPatches`` and the online guide both write per sample; the
#: metainfo keys to pack for the estimator (the flip mask only with flip
#: test, see ``SelectPatches``).
SELECTION_META_KEYS = (PATCH_MASK_KEY, FLIP_PATCH_MASK_KEY,
                       INPUT_GUIDE_KEYPOINTS_KEY, INPUT_GUIDE_SCORES_KEY)
