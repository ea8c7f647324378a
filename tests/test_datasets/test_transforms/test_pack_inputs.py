"""PackPatchSelInputs on mmpose's real COCO test images."""
import numpy as np
from mmpose.datasets.transforms import PackPoseInputs
from mmpose.registry import TRANSFORMS

from mmpose_patchsel.datasets.transforms import PackPatchSelInputs
from mmpose_patchsel.datasets.transforms.pack_inputs import POSE_META_KEYS
from mmpose_patchsel.keys import (FLIP_PATCH_MASK_KEY, PATCH_MASK_KEY,
                                  SELECTION_META_KEYS)
from patchsel_testing import selecting_coco_dataset


def dataset(coco_root, pack):
    return selecting_coco_dataset(coco_root, pack)


def test_default_meta_keys_are_mmposes_plus_the_selections():
    pack = TRANSFORMS.build(dict(type='PackPatchSelInputs'))
    assert isinstance(pack, PackPoseInputs)
    assert pack.meta_keys == PackPoseInputs().meta_keys + SELECTION_META_KEYS
    assert POSE_META_KEYS == PackPoseInputs().meta_keys


def test_packed_sample_carries_the_masks(coco_root):
    ours = dataset(coco_root, dict(type='PackPatchSelInputs'))
    plain = dataset(coco_root, dict(type='PackPoseInputs'))
    for i in range(len(ours)):
        sample = ours[i]['data_samples']
        for key in (PATCH_MASK_KEY, FLIP_PATCH_MASK_KEY):
            mask = sample.metainfo[key]
            assert mask.dtype == bool and mask.shape == (16 * 12, )
        assert 0 < sample.metainfo[PATCH_MASK_KEY].sum() < 16 * 12
        # mmpose's default drops them silently; everything else is equal.
        theirs = plain[i]['data_samples']
        assert PATCH_MASK_KEY not in theirs.metainfo
        for key in POSE_META_KEYS:
            if key in theirs.metainfo:
                np.testing.assert_equal(sample.metainfo[key],
                                        theirs.metainfo[key])
        np.testing.assert_array_equal(ours[i]['inputs'], plain[i]['inputs'])


def test_given_meta_keys_are_used_as_they_are(coco_root):
    keys = ('img_id', PATCH_MASK_KEY)
    sample = dataset(coco_root, dict(type='PackPatchSelInputs',
                                     meta_keys=keys))[0]['data_samples']
    assert set(sample.metainfo) == set(keys)


def test_repr():
    pack = PackPatchSelInputs(meta_keys=('img_id', PATCH_MASK_KEY))
    assert repr(pack) == ("PackPatchSelInputs(meta_keys=('img_id', "
                          "'patch_mask'), pack_transformed=False)")
