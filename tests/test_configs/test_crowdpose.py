"""The CrowdPose configs on mmpose's real CrowdPose test images.

A new dataset costs one base file and three short configs; these tests show
that it then works the mmpose way: the skeleton selection follows
CrowdPose's own 14-joint skeleton through the configs' real pipelines, and
the full config tests on detected person boxes with mmpose's crowd metric
(CocoMetric, ``iou_type='keypoints_crowd'``, ``use_area=False``).
Training and testing with ``mim`` is in test_mim_configs.py.
"""
from pathlib import Path

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.runner import Runner
from mmpose.datasets.datasets.utils import parse_pose_metainfo
from mmpose.registry import DATASETS

from mmpose_patchsel.selection import PatchGrid, select_patches

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIGS = PROJECT_ROOT / 'configs' / 'crowdpose'
CONFIG = 'td-hm_patchsel-vit-base-{}_8xb64-210e_crowdpose-256x192.py'
GRID = PatchGrid((192, 256), 16, 2)


def crowdpose_links() -> list:
    """CrowdPose's skeleton, from mmpose's own dataset metainfo file."""
    meta = parse_pose_metainfo(
        dict(from_file='configs/_base_/datasets/crowdpose.py'))
    assert meta['num_keypoints'] == 14
    return [tuple(link) for link in meta['skeleton_links']]


def selection_dataset(split: str, files):
    """The skeleton config's ``split`` dataset on the test images; the
    guide is the annotation itself (no jitter, no drop, or a guide file
    written from it), so the expected cells follow from mmpose's own
    warped keypoints."""
    cfg = Config.fromfile(str(CONFIGS / CONFIG.format('skeleton')))
    ds = cfg[f'{split}_dataloader'].dataset
    ds.data_root, ds.ann_file = f'{files.root}/', files.ann_file
    ds.data_prefix = dict(img='')
    for transform in ds.pipeline:
        if transform.type == 'LoadGuideKeypoints':
            ds.bbox_file = None  # the guide file's boxes: ground truth
            transform.guide_file = str(files.guide_file)
        if transform.type == 'GenerateGTGuideKeypoints':
            transform.update(jitter_std=0.0, drop_prob=0.0)
    return DATASETS.build(ds), cfg


@pytest.mark.parametrize('split', ['train', 'val'])
def test_skeleton_selection_follows_crowdpose_skeleton(split,
                                                       config_testdata):
    np.random.seed(0)  # train: mmpose's flip / half body / box jitter
    dataset, cfg = selection_dataset(split,
                                     config_testdata['CrowdPoseDataset'])
    select = [t for t in cfg[f'{split}_dataloader'].dataset.pipeline
              if t.type == 'SelectPatches']
    assert len(select) == 1 and select[0].mode == 'skeleton'
    links = crowdpose_links()
    coco_links = parse_pose_metainfo(
        dict(from_file='configs/_base_/datasets/coco.py'))['skeleton_links']
    assert links != [tuple(link) for link in coco_links]
    limbs_added = 0
    for i in range(len(dataset)):
        results = dataset.get_data_info(i)
        for transform in dataset.pipeline.transforms[:-1]:  # all but packing
            results = transform(results)
        assert results['skeleton_links'] == links  # the sample's own
        kept = results['patch_mask']
        # The cells on the CrowdPose limbs of mmpose's warped annotation.
        kpts = results['transformed_keypoints'][0]
        visible = results['keypoints_visible'][0]
        assert kpts.shape == (14, 2)
        expected = select_patches(GRID, kpts, visible, mode='skeleton',
                                  score_thr=select[0].score_thr,
                                  skeleton_links=links).mask
        np.testing.assert_array_equal(kept, expected, err_msg=str(i))
        joints = select_patches(GRID, kpts, visible, mode='neighbour').mask
        assert (kept >= joints).all()
        limbs_added += int(kept.sum() > joints.sum())
    assert limbs_added > 0, 'no limb added a cell to its joints'


def test_full_config_tests_on_detections_with_the_crowd_metric(
        config_testdata, tmp_path):
    """``Runner.test`` of the full config as shipped, but for the data
    paths (the bundled detection file, ``data_prefix``) and a ViT-S sized
    backbone without the MAE download: CrowdPose's AP(E/M/H) come only
    from the crowd OKS of the shipped evaluator."""
    files = config_testdata['CrowdPoseDataset']
    cfg = Config.fromfile(str(CONFIGS / CONFIG.format('full')))
    ds = cfg.test_dataloader.dataset
    detections = files.root / 'test_crowdpose_det_AP_40.json'
    ds.update(data_root=f'{files.root}/', ann_file=files.ann_file,
              bbox_file=str(detections), data_prefix=dict(img=''))
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False,
                               batch_size=4)
    cfg.test_evaluator.ann_file = str(files.root / files.ann_file)
    cfg.model.backbone.update(arch='small', init_cfg=None)
    cfg.model.head.in_channels = 384
    cfg.work_dir = str(tmp_path)
    metrics = Runner.from_cfg(cfg).test()
    for name in ('AP', 'AP .5', 'AP .75', 'AR', 'AP(E)', 'AP(M)', 'AP(H)'):
        value = metrics[f'crowdpose/{name}']
        assert -1.0 <= value <= 1.0, (name, value)
    # Every detected box was evaluated (6 in the bundled file).
    assert len(DATASETS.build(ds)) == 6
