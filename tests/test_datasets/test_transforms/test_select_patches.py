"""Guide + selection transforms on mmpose's real COCO test images."""
import json

import numpy as np
import pytest
from mmpose.datasets import CocoDataset, MpiiDataset

from patchsel_testing import write_annotation_guide

from mmpose_patchsel.datasets.transforms import (GenerateGTGuideKeypoints,
                                                 LoadGuideKeypoints,
                                                 SelectPatches)
from mmpose_patchsel.keys import (FLIP_PATCH_MASK_KEY, GUIDE_SCORES_KEY,
                                  INPUT_GUIDE_KEYPOINTS_KEY,
                                  INPUT_GUIDE_SCORES_KEY, PATCH_MASK_KEY)
from mmpose_patchsel.selection import SelectionOptions

INPUT_SIZE = (192, 256)


def cells_of(points: np.ndarray, visible: np.ndarray) -> set:
    """Flat 16x12-grid cells of input-space points (patch 16, padding 2)."""
    pix = np.floor(points + 0.5)
    inside = visible & (pix[:, 0] >= 0) & (pix[:, 0] < INPUT_SIZE[0]) & (
        pix[:, 1] >= 0) & (pix[:, 1] < INPUT_SIZE[1])
    col = np.minimum((pix[inside, 0] + 2) // 16, 11).astype(int)
    row = np.minimum((pix[inside, 1] + 2) // 16, 15).astype(int)
    return set((row * 12 + col).tolist())


def make_dataset(coco_root, pipeline, test_mode=False):
    return CocoDataset(
        data_root=str(coco_root),
        ann_file='test_coco.json',
        data_prefix=dict(img=''),
        data_mode='topdown',
        test_mode=test_mode,
        pipeline=pipeline)


def make_mpii_dataset(testdata_root, pipeline):
    return MpiiDataset(
        data_root=str(testdata_root / 'mpii'),
        ann_file='test_mpii.json',
        data_prefix=dict(img=''),
        pipeline=pipeline)


def pipeline(*augment, guide=None, select=None):
    return [
        dict(type='LoadImage'),
        dict(type='GetBBoxCenterScale'),
        guide or dict(type='GenerateGTGuideKeypoints'),
        *augment,
        dict(type='TopdownAffine', input_size=INPUT_SIZE, use_udp=True),
        select or dict(
            type='SelectPatches', input_size=INPUT_SIZE, mode='neighbour'),
    ]


def visible_gt_cells(results) -> set:
    vis = np.asarray(results['keypoints_visible'][0]) > 0
    return cells_of(results['transformed_keypoints'][0][:, :2], vis)


def test_gt_guide_selects_the_cells_of_the_warped_keypoints(coco_root):
    dataset = make_dataset(coco_root, pipeline())
    for i in range(len(dataset)):
        results = dataset[i]
        kept = set(np.flatnonzero(results['patch_mask']).tolist())
        expected = visible_gt_cells(results)
        if expected:
            assert kept == expected, results['img_id']
        else:  # no visible keypoint in the crop: keep-all fallback
            assert results['patch_mask'].all()


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_selection_follows_mmpose_augmentations(coco_root, seed):
    """Flip, half body and box jitter move guide and image alike."""
    np.random.seed(seed)
    dataset = make_dataset(
        coco_root,
        pipeline(
            dict(type='RandomFlip', direction='horizontal', prob=1.0),
            dict(type='RandomHalfBody', prob=1.0, min_total_keypoints=4),
            dict(type='RandomBBoxTransform', rotate_prob=0.5)))
    for i in range(len(dataset)):
        results = dataset[i]
        assert results['flip']
        expected = visible_gt_cells(results)
        if expected:
            kept = set(np.flatnonzero(results['patch_mask']).tolist())
            assert kept == expected, (results['img_id'], seed)


def test_flip_mask_equals_selection_of_flipped_image(coco_root):
    plain = make_dataset(coco_root, pipeline())
    flipped = make_dataset(
        coco_root,
        pipeline(dict(type='RandomFlip', direction='horizontal', prob=1.0)))
    differs = 0
    for i in range(len(plain)):
        a, b = plain[i], flipped[i]
        np.testing.assert_array_equal(a['patch_mask_flip'], b['patch_mask'])
        differs += int((a['patch_mask'] != a['patch_mask_flip']).any())
    assert differs > 0, 'flip masks never differ: flip was not applied'


@pytest.mark.parametrize('mode', ['neighbour', 'skeleton'])
def test_mpii_selection_with_its_own_skeleton(testdata_root, mode):
    """MPII (16 joints, its own skeleton_links) needs no code change."""
    select = dict(type='SelectPatches', input_size=INPUT_SIZE, mode=mode)
    plain = make_mpii_dataset(testdata_root, pipeline(select=select))
    flipped = make_mpii_dataset(
        testdata_root,
        pipeline(
            dict(type='RandomFlip', direction='horizontal', prob=1.0),
            select=select))
    assert len(plain) == 5
    for i in range(len(plain)):
        results = plain[i]
        assert len(results['skeleton_links']) > 0
        joints = visible_gt_cells(results)
        kept = set(np.flatnonzero(results['patch_mask']).tolist())
        if mode == 'neighbour':
            assert kept == joints
        else:
            assert joints < kept
        np.testing.assert_array_equal(results['patch_mask_flip'],
                                      flipped[i]['patch_mask'])


def test_skeleton_mode_covers_limbs(coco_root):
    dataset = make_dataset(
        coco_root,
        pipeline(select=dict(
            type='SelectPatches', input_size=INPUT_SIZE, mode='skeleton')))
    for i in range(len(dataset)):
        results = dataset[i]
        joints = visible_gt_cells(results)
        kept = set(np.flatnonzero(results['patch_mask']).tolist())
        assert joints <= kept
        if len(joints) > 3:
            assert len(kept) > len(joints), 'no limb cells were added'


def test_budget_keeps_exactly_k(coco_root):
    dataset = make_dataset(
        coco_root,
        pipeline(select=dict(
            type='SelectPatches', input_size=INPUT_SIZE, mode='skeleton',
            num_keep=96)))
    for i in range(len(dataset)):
        results = dataset[i]
        assert results['patch_mask'].sum() == 96
        assert results['patch_mask_flip'].sum() == 96


def test_udp_mismatch_is_reported(coco_root):
    dataset = make_dataset(
        coco_root,
        pipeline(select=dict(
            type='SelectPatches', input_size=INPUT_SIZE, use_udp=False)))
    with pytest.raises(ValueError, match='use_udp'):
        dataset[0]


def test_num_keep_beyond_grid_fails_at_build():
    with pytest.raises(ValueError, match='193'):
        SelectPatches(input_size=INPUT_SIZE, num_keep=193)


def test_offline_guide_matches_instances_by_box(coco_root, coco_guide_file):
    guide = coco_guide_file
    dataset = make_dataset(
        coco_root,
        # Default min_iou: the dataset clips boxes to the image, the file not.
        pipeline(guide=dict(type='LoadGuideKeypoints', guide_file=str(guide))))
    for i in range(len(dataset)):
        results = dataset[i]
        np.testing.assert_allclose(results['guide_keypoints'][0],
                                   results['keypoints'][0], atol=1e-3)
        # COCO visibility (0/1/2) as score: unlabelled joints drop out.
        expected = visible_gt_cells(results)
        if expected:
            kept = set(np.flatnonzero(results['patch_mask']).tolist())
            assert kept == expected


def test_missing_guide_entry_names_the_image(coco_root, tmp_path):
    guide = write_annotation_guide(
        coco_root, tmp_path / 'guide.json', drop_image=785)
    transform = dict(type='LoadGuideKeypoints', guide_file=str(guide))
    dataset = make_dataset(coco_root, pipeline(guide=transform))
    index = next(i for i in range(len(dataset))
                 if dataset.get_data_info(i)['img_id'] == 785)
    with pytest.raises(KeyError, match='785'):
        dataset[index]

    dataset = make_dataset(
        coco_root, pipeline(guide=dict(transform, on_missing='no_guide')))
    assert dataset[index]['patch_mask'].all()  # documented keep-all fallback


def test_guide_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.json'):
        LoadGuideKeypoints(str(tmp_path / 'nowhere.json'))
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps([dict(image_id=1, keypoints=[0, 0, 1])]))
    with pytest.raises(KeyError, match="'bbox'"):
        LoadGuideKeypoints(str(bad))


def test_gt_guide_jitter_and_dropout():
    np.random.seed(0)
    results = dict(
        keypoints=np.full((1, 17, 2), 100.0, np.float32),
        keypoints_visible=np.ones((1, 17), np.float32),
        bbox=np.array([[0, 0, 200, 100]], np.float32))
    out = GenerateGTGuideKeypoints(jitter_std=0.05, drop_prob=0.5)(
        dict(results))
    offsets = out['guide_keypoints'] - 100.0
    assert 2.0 < offsets.std() < 20.0  # ~0.05 * 200 px
    assert 0 < out['guide_keypoint_scores'].sum() < 17


def test_reprs(coco_guide_file):
    assert repr(LoadGuideKeypoints(str(coco_guide_file))) == (
        f"LoadGuideKeypoints(guide_file='{coco_guide_file}', min_iou=0.9, "
        "on_missing='error')")
    assert repr(GenerateGTGuideKeypoints(0.1, 0.2)) == (
        'GenerateGTGuideKeypoints(jitter_std=0.1, drop_prob=0.2)')
    assert repr(SelectPatches(INPUT_SIZE, num_keep=96)) == (
        "SelectPatches(input_size=(192, 256), mode='neighbour', "
        'num_neighbours=0, score_thr=0.3, num_keep=96, skeleton_links=None, '
        'patch_size=16, padding=2, use_udp=True, with_flip_mask=True)')


def test_defaults_are_the_selection_options():
    transform = SelectPatches(INPUT_SIZE)
    assert transform.options == SelectionOptions()
    with pytest.raises(TypeError, match='num_neigbours'):
        SelectPatches(INPUT_SIZE, num_neigbours=4)


def test_flip_mask_only_when_asked(coco_root):
    select = dict(type='SelectPatches', input_size=INPUT_SIZE, mode='skeleton')
    with_flip = make_dataset(coco_root, pipeline(select=select))[0]
    without = make_dataset(
        coco_root, pipeline(select=dict(select, with_flip_mask=False)))[0]
    assert FLIP_PATCH_MASK_KEY in with_flip
    assert FLIP_PATCH_MASK_KEY not in without
    np.testing.assert_array_equal(with_flip[PATCH_MASK_KEY],
                                  without[PATCH_MASK_KEY])
    # The keys the online guide writes too, per sample (not per instance).
    for results in (with_flip, without):
        assert results[PATCH_MASK_KEY].shape == (192, )
        assert results[PATCH_MASK_KEY].dtype == bool
        assert results[INPUT_GUIDE_KEYPOINTS_KEY].shape == (17, 2)
        np.testing.assert_array_equal(results[INPUT_GUIDE_SCORES_KEY],
                                      results[GUIDE_SCORES_KEY][0])


@pytest.mark.parametrize('build,exc,words', [
    (lambda f: LoadGuideKeypoints(f, min_iou=0), ValueError,
     ['min_iou', '(0, 1]', 'min_iou=0']),
    (lambda f: LoadGuideKeypoints(f, on_missing='skip'), ValueError,
     ['on_missing', "'skip'"]),
    (lambda f: GenerateGTGuideKeypoints(jitter_std=-1), ValueError,
     ['jitter_std', '-1']),
    (lambda f: GenerateGTGuideKeypoints(drop_prob='0.1'), TypeError,
     ['drop_prob', "'0.1'"]),
])
def test_guide_transform_argument_errors(coco_guide_file, build, exc, words):
    with pytest.raises(exc) as info:
        build(str(coco_guide_file))
    for word in words:
        assert word in str(info.value)
