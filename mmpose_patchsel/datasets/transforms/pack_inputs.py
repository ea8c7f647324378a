"""``PackPoseInputs`` that also packs what patch selection writes."""
import inspect
from typing import Sequence

from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import TRANSFORMS

from mmpose_patchsel.keys import SELECTION_META_KEYS

#: mmpose's own default ``meta_keys`` of ``PackPoseInputs``.
POSE_META_KEYS = tuple(
    inspect.signature(PackPoseInputs).parameters['meta_keys'].default)


@TRANSFORMS.register_module()
class PackPatchSelInputs(PackPoseInputs):
    """``PackPoseInputs`` whose default ``meta_keys`` add the selection's.

    ``PackPoseInputs`` copies only the metainfo keys it is told to and
    silently skips the others, so with its defaults the masks that
    ``SelectPatches`` writes never reach ``PatchSelTopdownEstimator``, which
    then runs every patch. This transform packs mmpose's default keys plus
    :data:`~mmpose_patchsel.keys.SELECTION_META_KEYS` (the patch masks and
    the input-space guide keypoints); keys a sample lacks are skipped as
    mmpose does. Given ``meta_keys`` are used as they are.

    Args:
        meta_keys (Sequence[str]): metainfo keys to pack. Defaults to
            mmpose's defaults plus ``SELECTION_META_KEYS``.
        pack_transformed (bool): as in ``PackPoseInputs``.
    """

    def __init__(self,
                 meta_keys: Sequence[str] = POSE_META_KEYS +
                 SELECTION_META_KEYS,
                 pack_transformed: bool = False) -> None:
        super().__init__(
            meta_keys=tuple(meta_keys), pack_transformed=pack_transformed)
