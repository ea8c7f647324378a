"""Fixtures for the config tests: mmpose's real test images per dataset,
guide files and an MPII head-box file written from their annotations."""
import json
from pathlib import Path
from typing import Dict, NamedTuple

import numpy as np
import pytest
import torch
from mmpose.registry import DATASETS
from scipy.io import savemat

from mmpose_patchsel.models.pose_estimators.online_guide import \
    build_guide_model

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / 'configs'


class DatasetFiles(NamedTuple):
    """One dataset of ``mmpose_testdata``, ready to replace a config's."""
    root: Path  # data_root (images directly under it: data_prefix img='')
    ann_file: str  # relative to root
    guide_file: Path  # LoadGuideKeypoints file: the annotations as guide
    headbox_file: Path = None  # MPII only


def annotation_guide(dataset_type: str, root: Path, ann_file: str,
                     out: Path) -> Path:
    """A guide file whose 'predictions' are the annotated keypoints of every
    person the dataset yields in test mode (its own boxes, so they match)."""
    dataset = DATASETS.build(
        dict(type=dataset_type, data_root=str(root), ann_file=ann_file,
             data_prefix=dict(img=''), test_mode=True, pipeline=[]))
    entries = []
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        x0, y0, x1, y1 = np.asarray(info['bbox'], np.float64).reshape(4)
        kpts = np.asarray(info['keypoints'], np.float64).reshape(-1, 2)
        vis = np.asarray(info['keypoints_visible'], np.float64).reshape(-1)
        triplets = np.concatenate([kpts, (vis > 0)[:, None]], axis=1)
        entries.append(
            dict(image_id=int(info['img_id']), category_id=1,
                 bbox=[x0, y0, x1 - x0, y1 - y0],
                 keypoints=triplets.reshape(-1).tolist(), score=1.0,
                 file_name=Path(info['img_path']).name))
    assert entries, f'no person in {root / ann_file}'
    out.write_text(json.dumps(entries))
    return out


def mpii_headboxes(root: Path, ann_file: str, out: Path) -> Path:
    """An ``mpii_gt_val.mat``-style head-box file (``headboxes_src``,
    2 x 2 x N) around each person's upper neck and head top."""
    anns = json.loads((root / ann_file).read_text())
    boxes = []
    for ann in anns:
        joints = np.asarray(ann['joints'], np.float64)
        head = joints[[8, 9]]  # upper neck, head top
        boxes.append([head.min(axis=0) - 5, head.max(axis=0) + 5])
    savemat(str(out), {'headboxes_src': np.transpose(boxes, (1, 2, 0))})
    return out


@pytest.fixture(scope='session')
def config_testdata(testdata_root: Path,
                    tmp_path_factory) -> Dict[str, DatasetFiles]:
    """Test data by the dataset type a config names."""
    tmp = tmp_path_factory.mktemp('config_testdata')
    specs = {
        'CocoDataset': ('coco', 'test_coco.json'),
        'MpiiDataset': ('mpii', 'test_mpii.json'),
        'OCHumanDataset': ('ochuman', 'test_ochuman.json'),
        'CrowdPoseDataset': ('crowdpose', 'test_crowdpose.json'),
        'CocoWholeBodyDataset': ('coco', 'test_coco_wholebody.json'),
    }
    data = {}
    for dataset_type, (name, ann_file) in specs.items():
        root = testdata_root / name
        guide = annotation_guide(dataset_type, root, ann_file,
                                 tmp / f'{Path(ann_file).stem}_guide.json')
        headbox = mpii_headboxes(root, ann_file, tmp / 'mpii_headboxes.mat') \
            if name == 'mpii' else None
        data[dataset_type] = DatasetFiles(root, ann_file, guide, headbox)
    return data


@pytest.fixture(scope='session')
def guide_checkpoints(tmp_path_factory):
    """``get(config)``: a checkpoint of an online guide's config with fixed
    random weights (no download), written once per config."""
    tmp = tmp_path_factory.mktemp('guide_ckpts')
    cache = {}

    def get(config: str) -> Path:
        if config not in cache:
            torch.manual_seed(0)
            model = build_guide_model(config)
            path = tmp / f'guide{len(cache)}.pth'
            torch.save(dict(state_dict=model.state_dict(), meta={}), path)
            cache[config] = path
        return cache[config]

    return get


def vitpose_state_dict(embed_dims: int, num_layers: int, head_state: dict,
                       grid=(16, 12), seed: int = 0) -> dict:
    """A state dict named as mmpose's ViTPose checkpoints are.

    mmpose builds ViTPose's backbone as mmpretrain's ``VisionTransformer``
    (``with_cls_token=False``, ``out_type='featmap'``, ``qkv_bias=True``,
    no layer scale, final norm ``ln1``); its keys are written out here, not
    taken from PatchSelViT. ``head_state`` is mmpose's own ``HeatmapHead``'s.
    """
    gen = torch.Generator().manual_seed(seed)
    c, hidden = embed_dims, 4 * embed_dims

    def rand(*shape):
        return 0.02 * torch.randn(shape, generator=gen)

    state = {
        # no class token: (1, rows * cols, C)
        'backbone.pos_embed': rand(1, grid[0] * grid[1], c),
        'backbone.patch_embed.projection.weight': rand(c, 3, 16, 16),
        'backbone.patch_embed.projection.bias': rand(c),
    }
    for i in range(num_layers):
        p = f'backbone.layers.{i}.'
        state.update({
            p + 'ln1.weight': 1 + rand(c), p + 'ln1.bias': rand(c),
            p + 'attn.qkv.weight': rand(3 * c, c),
            p + 'attn.qkv.bias': rand(3 * c),
            p + 'attn.proj.weight': rand(c, c), p + 'attn.proj.bias': rand(c),
            p + 'ln2.weight': 1 + rand(c), p + 'ln2.bias': rand(c),
            p + 'ffn.layers.0.0.weight': rand(hidden, c),
            p + 'ffn.layers.0.0.bias': rand(hidden),
            p + 'ffn.layers.1.weight': rand(c, hidden),
            p + 'ffn.layers.1.bias': rand(c),
        })
    state['backbone.ln1.weight'] = 1 + rand(c)
    state['backbone.ln1.bias'] = rand(c)
    state.update({f'head.{k}': v.clone() for k, v in head_state.items()})
    return state


@pytest.fixture(scope='session')
def vitpose_checkpoint(tmp_path_factory):
    """``get(head_cfg, embed_dims, num_layers)``: a checkpoint file shaped
    as mmpose's trained ViTPose ones (see :func:`vitpose_state_dict`)."""
    from mmpose.registry import MODELS
    tmp = tmp_path_factory.mktemp('vitpose_ckpts')

    def get(head_cfg, embed_dims: int, num_layers: int) -> Path:
        torch.manual_seed(0)
        head = MODELS.build(head_cfg)
        state = vitpose_state_dict(embed_dims, num_layers, head.state_dict())
        path = tmp / f'vitpose_{embed_dims}x{num_layers}.pth'
        torch.save(dict(meta=dict(mmpose_version='1.3.2'), state_dict=state),
                   path)
        return path

    return get
