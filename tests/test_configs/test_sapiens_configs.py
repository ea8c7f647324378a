"""Every config under configs/sapiens: what it promises, against Sapiens'
own configs, and its model at full size, against Sapiens' checkpoint layout
(built on the meta device, no memory). What every config promises (the
estimator, the guide and the selection its name states) and a run on the
bundled COCO and COCO-WholeBody images at reduced width and depth are
test_all_configs.py's, as for every config.

Sapiens' settings are written out below from facebookresearch/sapiens,
``pose/configs/sapiens_pose/coco/sapiens_{0.3b,1b}-210e_coco-1024x768.py``
and ``pose/configs/sapiens_pose/coco_wholebody/sapiens_{0.3b,1b}-210e_
coco_wholebody-1024x768.py``; the released checkpoints' names from its
``docs/POSE_README.md``. The configs are found, not listed, so a new one
cannot land untested.
"""
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.utils import import_modules_from_strings
from mmpose.registry import MODELS

from patchsel_testing import config_id, strip_scope
from sapiens_testing import SAPIENS_ARCHS, pose_shapes

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r'td-hm_patchsel-sapiens-(?P<arch>0\.3b|1b)-'
                  r'(?P<variant>full|skeleton-k768|neighbour40-k768)'
                  r'(?P<extra>-testonly|-from-sapiens)?_'
                  r'(?:8xb64-(?P<epochs>\d+)e_)?'
                  r'(?P<dataset>coco|coco-wholebody)-1024x768\.py$')
CONFIGS = sorted(
    p.relative_to(PROJECT_ROOT).as_posix()
    for p in (PROJECT_ROOT / 'configs' / 'sapiens').glob('*.py'))

# ------------------------------------------------ Sapiens' configs' facts
CODEC = dict(type='UDPHeatmap', input_size=[768, 1024],
             heatmap_size=[192, 256], sigma=6)
BACKBONE = dict(type='PatchSelViT', img_size=[1024, 768], patch_size=16,
                qkv_bias=True, final_norm=True, drop_path_rate=0.0,
                with_cls_token=False, out_type='featmap',
                patch_cfg=dict(padding=2))
HEAD = dict(type='SapiensHeatmapHead', deconv_out_channels=[768, 768],
            deconv_kernel_sizes=[4, 4], conv_out_channels=[768, 768],
            conv_kernel_sizes=[1, 1],
            loss=dict(type='KeypointMSELoss', use_target_weight=True),
            decoder=CODEC)
PREPROCESSOR = dict(type='PoseDataPreprocessor',
                    mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
TEST_CFG = dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False)
OPTIMIZER = dict(type='AdamW', lr=5e-4, betas=[0.9, 0.999],
                 weight_decay=0.1)
CUSTOM_KEYS = {
    'bias': dict(decay_multi=0.0),
    'pos_embed': dict(decay_mult=0.0),
    'relative_position_bias_table': dict(decay_mult=0.0),
    'norm': dict(decay_mult=0.0),
}
SCHEDULER = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001,
         by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=210, milestones=[170, 200],
         gamma=0.1, by_epoch=True)
]
# Differ by config: 0.3B whole-body decays 0.75; 1B whole-body scales LR.
LAYER_DECAY = {('0.3b', 'coco-wholebody'): 0.75}
AUTO_SCALE = {('1b', 'coco-wholebody'): True}
PRETRAINED = {
    '0.3b': 'sapiens_0.3b_epoch_1600_clean.pth',
    '1b': 'sapiens_1b_epoch_173_clean.pth',
}
RELEASED = {
    ('0.3b', 'coco'): 'sapiens_0.3b_coco_best_coco_AP_796.pth',
    ('1b', 'coco'): 'sapiens_1b_coco_best_coco_AP_821.pth',
    ('0.3b', 'coco-wholebody'):
    'sapiens_0.3b_coco_wholebody_best_coco_wholebody_AP_620.pth',
    ('1b', 'coco-wholebody'):
    'sapiens_1b_coco_wholebody_best_coco_wholebody_AP_727.pth',
}
DATA = {
    'coco': dict(
        type='CocoDataset', joints=17, save_best='coco/AP',
        metric='CocoMetric',
        train='annotations/person_keypoints_train2017.json',
        val='annotations/person_keypoints_val2017.json'),
    'coco-wholebody': dict(
        type='CocoWholeBodyDataset', joints=133,
        save_best='coco-wholebody/AP', metric='CocoWholeBodyMetric',
        train='annotations/coco_wholebody_train_v1.0.json',
        val='annotations/coco_wholebody_val_v1.0.json'),
}
BBOX_FILE = ('data/coco/person_detection_results/'
             'COCO_val2017_detections_AP_H_70_person.json')
# Sapiens' pipelines, less its Albumentation step (see the base config).
TRAIN_TYPES = [
    'LoadImage', 'GetBBoxCenterScale', 'RandomFlip', 'RandomHalfBody',
    'RandomBBoxTransform', 'TopdownAffine', 'PhotometricDistortion',
    'GenerateTarget'
]
VAL_TYPES = ['LoadImage', 'GetBBoxCenterScale', 'TopdownAffine']
SELECTING = ('LoadGuideKeypoints', 'GenerateGTGuideKeypoints',
             'SelectPatches')
PACKERS = ('PackPoseInputs', 'PackPatchSelInputs')
NUM_PATCHES = 64 * 48
# The guides run at their own input, (w, h).
GUIDE_INPUT = (192, 256)


def load(config: str) -> Config:
    return Config.fromfile(str(PROJECT_ROOT / config))


def types(pipeline) -> list:
    return [t['type'] for t in pipeline]


def test_configs_are_found():
    names = [NAME.search(c) for c in CONFIGS]
    assert all(names), [c for c, m in zip(CONFIGS, names) if not m]
    kinds = {(m['arch'], m['dataset'], m['variant'], m['extra'])
             for m in names}
    for arch in ('0.3b', '1b'):
        for dataset in DATA:
            for kind in (('full', None), ('skeleton-k768', None),
                         ('neighbour40-k768', None),
                         ('skeleton-k768', '-testonly'),
                         ('skeleton-k768', '-from-sapiens')):
                assert (arch, dataset, *kind) in kinds


# ------------------------------------------------------- what they promise
@pytest.mark.parametrize('config', CONFIGS, ids=config_id)
def test_config_states_what_it_promises(config):
    m = NAME.search(config)
    arch, dataset, extra = m['arch'], m['dataset'], m['extra']
    dims, depth, _ = SAPIENS_ARCHS[f'sapiens_{arch}']
    data = DATA[dataset]
    cfg = load(config)

    assert strip_scope(cfg.codec) == CODEC
    model = cfg.model
    assert strip_scope(model.data_preprocessor) == PREPROCESSOR
    assert strip_scope(model.test_cfg) == TEST_CFG
    assert strip_scope(model.head) == dict(HEAD,
                                           in_channels=dims,
                                           out_channels=data['joints'])
    backbone = strip_scope(model.backbone)
    init_cfg = backbone.pop('init_cfg')
    assert backbone == dict(BACKBONE, arch=f'sapiens_{arch}')
    released = RELEASED[arch, dataset]
    if extra:  # the released checkpoint holds every weight
        assert init_cfg is None
        assert cfg.load_from.endswith(f'/sapiens_{arch}/{released}')
        assert cfg.load_from.startswith('https://huggingface.co/noahcao/'
                                        'sapiens-pose-coco/resolve/main/')
    else:  # Sapiens' MAE checkpoint, its 64x64 grid stated
        assert init_cfg == dict(
            type='Pretrained',
            checkpoint=f'checkpoints/sapiens/{PRETRAINED[arch]}',
            src_grid=[64, 64])
        assert cfg.get('load_from') is None

    # Schedule: Sapiens' (the fine-tuning config's own short one).
    if extra == '-testonly':
        for key in ('train_dataloader', 'train_cfg', 'optim_wrapper',
                    'param_scheduler'):
            assert cfg.get(key) is None, key
    else:
        optim = strip_scope(cfg.optim_wrapper)
        assert optim['constructor'] == 'LayerDecayOptimWrapperConstructor'
        assert optim['clip_grad'] == dict(max_norm=1., norm_type=2)
        assert optim['paramwise_cfg'] == dict(
            num_layers=depth,
            layer_decay_rate=LAYER_DECAY.get((arch, dataset), 0.85),
            custom_keys=CUSTOM_KEYS)
        if extra == '-from-sapiens':
            assert cfg.train_cfg.max_epochs == int(m['epochs']) < 210
            assert optim['optimizer'] == dict(OPTIMIZER, lr=5e-5)
        else:
            assert cfg.train_cfg.max_epochs == int(m['epochs']) == 210
            assert optim['optimizer'] == OPTIMIZER
            assert strip_scope(cfg.param_scheduler) == SCHEDULER
    scaling = {'enable': True} if AUTO_SCALE.get((arch, dataset)) else {}
    assert strip_scope(cfg.auto_scale_lr) == dict(base_batch_size=512,
                                                  **scaling)

    # Data: Sapiens' sets, its AP_H_70 person boxes, its metric.
    assert cfg.default_hooks.checkpoint.save_best == data['save_best']
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is None:
            continue
        ds = loader.dataset
        assert (ds.type, ds.data_root, ds.data_mode) == (
            data['type'], 'data/coco/', 'topdown')
        assert ds.ann_file == data['train' if split == 'train' else 'val']
        if split != 'train':
            assert ds.bbox_file == BBOX_FILE and ds.test_mode
    for split in ('val', 'test'):
        evaluator = cfg[f'{split}_evaluator']
        assert evaluator.type == data['metric']
        assert evaluator.ann_file == 'data/coco/' + data['val']
    check_pipelines_and_guide(cfg, m)


def check_pipelines_and_guide(cfg: Config, m) -> None:
    """Sapiens' transforms in Sapiens' order (a selection's around them:
    test_all_configs.py); the guide file of Sapiens' person boxes, or the
    online guide at its own input, with the dataset's joints."""
    online = cfg.model.get('guide') is not None
    assert online == (m['extra'] == '-testonly')
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is None:
            continue
        pipe = loader.dataset.pipeline
        names = types(pipe)
        expect = TRAIN_TYPES if split == 'train' else VAL_TYPES
        assert [n for n in names
                if n not in SELECTING + PACKERS] == expect, (split, names)
        if 'LoadGuideKeypoints' in names:
            guide_file = pipe[names.index('LoadGuideKeypoints')].guide_file
            assert guide_file.endswith('_val2017_det_AP_H_70_guide.json')
            assert ('wholebody' in guide_file) == (
                m['dataset'] == 'coco-wholebody')
    if online:
        dataset_meta = {'coco': 'coco.py',
                        'coco-wholebody': 'coco_wholebody.py'}
        assert cfg.model.metainfo.from_file == \
            'configs/_base_/datasets/' + dataset_meta[m['dataset']]
        guide_cfg = get_config(cfg.model.guide.config)
        assert tuple(guide_cfg.codec.input_size) == GUIDE_INPUT
        assert guide_cfg.model.head.out_channels == DATA[
            m['dataset']]['joints']


# ---------------------------------------- full size, on the meta device
FULL_SIZE = [c for c in CONFIGS if '-full_' in c or '-testonly_' in c]


@pytest.mark.parametrize('config', FULL_SIZE, ids=config_id)
def test_full_size_model_loads_sapiens_layout_strictly(config):
    """The config's model at its real size, built on the meta device (no
    memory), has Sapiens' checkpoint keys and shapes (pos_embed (1, 3072,
    C)) and takes such a state dict with ``strict=True``. The online guide
    is left out: it is not in the state dict."""
    m = NAME.search(config)
    dims, depth, _ = SAPIENS_ARCHS[f'sapiens_{m["arch"]}']
    cfg = load(config)
    import_modules_from_strings(**cfg.custom_imports)
    for key in ('guide', 'selection'):
        cfg.model.pop(key, None)
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    shapes = pose_shapes(dims, depth, DATA[m['dataset']]['joints'])
    assert shapes['backbone.pos_embed'] == (1, NUM_PATCHES, dims)
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert own == dict(shapes)
    state = {k: torch.empty(s, device='meta') for k, s in shapes.items()}
    model.load_state_dict(state, strict=True, assign=True)
