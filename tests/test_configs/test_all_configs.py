"""Every config under configs/ parses, builds and runs on real images.

The configs are found, not listed, so a new one cannot land untested. Each
is read with ``Config.fromfile``, pointed at mmpose's own test images of its
dataset (COCO, COCO-WholeBody, MPII, CrowdPose; OCHuman for the val/test
side of the OCHuman configs, which train on COCO), its model built without
pretrained weights, and run once in ``loss`` mode on a batch from its own
train pipeline and once in ``predict`` mode on a batch from its own test
pipeline. An offline guide file is replaced by one written from the
annotations; an online guide gets fixed random weights. Batches hold 2
persons (1 for Sapiens); ``loss`` runs without gradients (training itself
is covered by test_mim_configs.py and the package's own tests). The ViT-S
models run at their size; ViT-B, -L and -H at their depth but 32 channels
wide, and the Sapiens models at a reduced width and depth (at full size
they are built on the meta device by test_sapiens_configs.py), to keep
the CPU time bearable. The COCO ViT-S configs (one per model
variant) and the Sapiens-0.3B ones run in the quick tier; the rest are
marked slow.

Cheap checks assert what the configs promise: for every config, the
package's estimator and the guide and selection its name states; for the
ViTPose ones, the mmpose ViTPose config of its size underneath, the same
schedule, codec and head, the backbone of that size, data where mmpose
keeps them (the Sapiens ones against Sapiens' own configs:
test_sapiens_configs.py).
"""
import ast
import json
import re
from pathlib import Path

import mmpose
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope
from mmengine.runner import load_checkpoint
from mmengine.utils import import_modules_from_strings
from mmpose.registry import DATASETS, MODELS, TRANSFORMS

from mmpose_patchsel.models.backbones import (JointTokenPatchSelViT,
                                              PatchSelViT)
from patchsel_testing import config_id, strip_scope
from sapiens_testing import reduce_config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / 'configs'
MMPOSE_CONFIGS = Path(mmpose.__file__).parent / '.mim' / 'configs'
SIZES = ('small', 'base', 'large', 'huge')
NAME = re.compile(r'td-hm_patchsel-vit-(?P<size>small|base|large|huge)-'
                  r'(?P<variant>full|neighbour4|skeleton|jointtokens)'
                  r'(?P<extra>-[a-z-]+)?_(?:8xb64-\d+e_)?'
                  r'(?P<dataset>coco|mpii|ochuman|crowdpose)-256x192\.py$')
# mmpose's ViTPose configs and model zoo, per size.
MMPOSE_VITPOSE = ('mmpose::body_2d_keypoint/topdown_heatmap/coco/'
                  'td-hm_ViTPose-{}_8xb64-210e_coco-256x192.py')
# mmpose's own CrowdPose config: the data and metric settings ours follow.
MMPOSE_CROWDPOSE = ('body_2d_keypoint/topdown_heatmap/crowdpose/'
                    'td-hm_res50_8xb64-210e_crowdpose-256x192.py')
JOINTS = dict(coco=17, mpii=16, ochuman=17, crowdpose=14)
JOINT_TOKEN_ARGS = ('num_joints', 'prune_after', 'keep_rate',
                    'test_keep_rate', 'joint_loss')
DEPTH = dict(small=12, base=12, large=24, huge=32)
# The selection a config's name states: its method (full and jointtokens
# select nothing) and, for a budget, -k<K>.
METHOD = re.compile(r'-(?P<variant>full|neighbour(?P<n>\d+)|skeleton|'
                    r'jointtokens)(?:-k(?P<k>\d+))?[-_]')
# Patch tokens per input size (w, h): 16x16 patches, padding 2.
NUM_PATCHES = {(192, 256): 16 * 12, (768, 1024): 64 * 48}
SELECTING = ('LoadGuideKeypoints', 'GenerateGTGuideKeypoints',
             'SelectPatches')


def size_rank(path: str):
    """Order: by size, then configs sharing one model next to each other
    (the run test reuses the last model built when the model config is
    identical)."""
    m = NAME.search(path)
    if m is None:
        return (len(SIZES), path)
    return (SIZES.index(m['size']), m['variant'] == 'jointtokens',
            m['dataset'] == 'mpii', path)


def is_sapiens(config: str) -> bool:
    """Sapiens' models at 1024x768 (configs/sapiens), not ViTPose's."""
    return config.startswith('configs/sapiens/')


# The synthetic benchmark's configs (configs/synthetic) follow their own
# small schedule and are trained end to end, every one of them, by
# tests/test_tools/test_benchmark_accuracy.py.
CONFIGS = sorted(
    (p.relative_to(PROJECT_ROOT).as_posix() for p in CONFIG_DIR.rglob('*.py')
     if not {'_base_', 'synthetic'} & set(p.relative_to(CONFIG_DIR).parts)),
    key=size_rank)
VITPOSE_CONFIGS = [c for c in CONFIGS if not is_sapiens(c)]


def test_configs_are_found():
    assert len(VITPOSE_CONFIGS) >= 3 * 4 * 4, VITPOSE_CONFIGS


def load(config: str) -> Config:
    return Config.fromfile(str(PROJECT_ROOT / config))


def pipelines(cfg: Config) -> dict:
    return {
        split: cfg[f'{split}_dataloader'].dataset.pipeline
        for split in ('train', 'val', 'test')
        if cfg.get(f'{split}_dataloader') is not None
    }


def types(pipeline) -> list:
    return [t['type'] for t in pipeline]


def named_selection(config: str) -> dict:
    """The ``SelectPatches`` options a config's name states; empty for a
    config that selects nothing."""
    m = METHOD.search(Path(config).name)
    assert m, f'{config}: no method in the name'
    if m['variant'] in ('full', 'jointtokens'):
        return {}
    return dict(mode='neighbour' if m['n'] else 'skeleton',
                num_neighbours=int(m['n'] or 0),
                num_keep=int(m['k']) if m['k'] else None,
                score_thr=0.3,
                use_udp=True)


def mmpose_bases(config: Path) -> list:
    """The ``mmpose::`` configs a config inherits, following local bases."""
    tree = ast.parse(config.read_text())
    bases = []
    for node in tree.body:
        if isinstance(node, ast.Assign) and \
                getattr(node.targets[0], 'id', None) == '_base_':
            bases = ast.literal_eval(node.value)
    bases = [bases] if isinstance(bases, str) else bases
    found = []
    for base in bases:
        if base.startswith('mmpose::'):
            found.append(base)
        else:
            found += mmpose_bases((config.parent / base).resolve())
    return found


def vitpose_weights(size: str) -> str:
    """The ViTPose checkpoint of mmpose's model zoo for a size."""
    yml = MMPOSE_CONFIGS / 'body_2d_keypoint' / 'topdown_heatmap' / 'coco' / \
        'vitpose_coco.yml'
    urls = re.findall(r'Weights: (\S+)', yml.read_text())
    url, = [u for u in urls if f'td-hm_ViTPose-{size}_8xb64' in u]
    return url


# ---------------------------------------------------------------------------
# What the configs promise (cheap: parsing only)
@pytest.mark.parametrize('config', CONFIGS, ids=config_id)
def test_config_selects_as_named(config):
    """The package's estimator, imported by ``custom_imports``; the guide
    before any augmentation, the selection the name states right after the
    warp, patch masks packed; none of them in a config that selects
    nothing; an online guide's selection in the model, none in its val and
    test pipelines."""
    cfg = load(config)
    assert cfg.custom_imports.imports == [
        'mmpose.engine.optim_wrappers.layer_decay_optim_wrapper',
        'mmpose_patchsel'
    ]
    assert cfg.model.type == 'PatchSelTopdownEstimator'
    options = named_selection(config)
    online = cfg.model.get('guide') is not None
    assert options or not online
    for split, pipe in pipelines(cfg).items():
        names = types(pipe)
        affine = pipe[names.index('TopdownAffine')]
        assert tuple(affine.input_size) == tuple(cfg.codec.input_size)
        assert affine.use_udp is True
        if not options or (online and split != 'train'):
            assert not set(names) & set(SELECTING), (split, names)
            assert names[-1] == 'PackPoseInputs', (split, names)
            continue
        guide = 'GenerateGTGuideKeypoints' if split == 'train' else \
            'LoadGuideKeypoints'
        assert names.index(guide) == names.index('GetBBoxCenterScale') + 1
        assert names.index('SelectPatches') == \
            names.index('TopdownAffine') + 1
        select = strip_scope(pipe[names.index('SelectPatches')])
        # Only flip test reads the flipped-image mask: not built in training.
        flip_mask = dict(with_flip_mask=False) if split == 'train' else {}
        assert select == dict(type='SelectPatches',
                              input_size=list(cfg.codec.input_size),
                              **options,
                              **flip_mask), (split, select)
        # The backbone's grid; K within it (the transform checks it).
        assert TRANSFORMS.build(select).grid.num_patches == \
            NUM_PATCHES[tuple(cfg.codec.input_size)]
        # Packed with the selection's meta keys, none listed in the config.
        assert strip_scope(pipe[-1]) == dict(type='PackPatchSelInputs')
        assert 'PackPoseInputs' not in names
        if guide == 'LoadGuideKeypoints':
            data_root = cfg[f'{split}_dataloader'].dataset.data_root
            guide_file = pipe[names.index(guide)].guide_file
            assert guide_file.startswith(data_root + 'guide/'), guide_file
    if online:
        assert strip_scope(cfg.model.selection) == options


@pytest.mark.parametrize('config', VITPOSE_CONFIGS, ids=config_id)
def test_config_states_what_it_promises(config):
    m = NAME.search(config)
    assert m, f'{config}: name does not follow the configs/ naming scheme'
    size, variant, dataset = m['size'], m['variant'], m['dataset']
    extra = m['extra'] or ''
    assert Path(config).parent.name == dataset
    cfg = load(config)

    # mmpose's ViTPose config of its size underneath, schedule untouched
    # (except the fine-tuning config's own short one).
    assert mmpose_bases(PROJECT_ROOT / config) == [
        MMPOSE_VITPOSE.format(size)
    ]
    vitpose = Config.fromfile(
        MMPOSE_CONFIGS / MMPOSE_VITPOSE.format(size)[len('mmpose::'):])
    assert strip_scope(cfg.codec) == strip_scope(vitpose.codec)
    if cfg.get('optim_wrapper') is not None:
        assert cfg.optim_wrapper.constructor == \
            'LayerDecayOptimWrapperConstructor'
        assert strip_scope(cfg.optim_wrapper.paramwise_cfg) == \
            strip_scope(vitpose.optim_wrapper.paramwise_cfg)
        assert cfg.optim_wrapper.paramwise_cfg.num_layers == DEPTH[size]
        assert cfg.auto_scale_lr == vitpose.auto_scale_lr
    if extra == '-from-vitpose':
        assert cfg.train_cfg.max_epochs < vitpose.train_cfg.max_epochs
    elif cfg.get('train_cfg') is not None:
        assert strip_scope(cfg.train_cfg) == strip_scope(vitpose.train_cfg)
        assert strip_scope(cfg.param_scheduler) == \
            strip_scope(vitpose.param_scheduler)
        assert strip_scope(cfg.optim_wrapper) == \
            strip_scope(vitpose.optim_wrapper)

    # The estimator and a backbone of that size.
    model = cfg.model
    backbone = model.backbone
    assert backbone.type == ('JointTokenPatchSelViT' if variant ==
                             'jointtokens' else 'PatchSelViT')
    # mmpose's ViTPose backbone arguments of that size, inherited as they
    # are (no _delete_): only the type and the joint tokens' own are ours.
    expect = dict(strip_scope(vitpose.model.backbone), type=backbone.type)
    if extra in ('-testonly', '-from-vitpose'):
        expect['init_cfg'] = None
        assert cfg.load_from == vitpose_weights(size)
    else:
        if size == 'huge':  # pads MAE-H/14 kernels as ViTPose does
            expect['init_cfg'] = dict(expect['init_cfg'],
                                      patch_kernel_resize='pad')
        assert cfg.get('load_from') is None
    own = {k: v for k, v in strip_scope(backbone).items()
           if k not in JOINT_TOKEN_ARGS}
    assert own == strip_scope(expect)
    assert strip_scope(model.data_preprocessor) == \
        strip_scope(vitpose.model.data_preprocessor)
    assert strip_scope(model.test_cfg) == strip_scope(vitpose.model.test_cfg)
    joints = JOINTS[dataset]
    expect_head = dict(strip_scope(vitpose.model.head), out_channels=joints)
    assert strip_scope(model.head) == expect_head
    if variant == 'jointtokens':
        assert backbone.num_joints == joints
        assert max(backbone.prune_after) < DEPTH[size]
        hooks = [h.type for h in cfg.custom_hooks]
        assert 'JointTokenKeepRateHook' in hooks
        # The joint tokens are supervised, with the keypoints it needs.
        assert backbone.joint_loss.type == 'JointTokenCellLoss'
        pack = cfg.train_dataloader.dataset.pipeline[-1]
        assert pack.type == 'PackPoseInputs' and pack.pack_transformed

    # Data where mmpose keeps it.
    crowdpose = Config.fromfile(MMPOSE_CONFIGS / MMPOSE_CROWDPOSE)
    loaders = {
        s: cfg[f'{s}_dataloader']
        for s in ('train', 'val', 'test')
        if cfg.get(f'{s}_dataloader') is not None
    }
    expect_type = dict(
        coco=('CocoDataset', 'CocoDataset'),
        mpii=('MpiiDataset', 'MpiiDataset'),
        ochuman=('CocoDataset', 'OCHumanDataset'),
        crowdpose=('CrowdPoseDataset', 'CrowdPoseDataset'))[dataset]
    for split, loader in loaders.items():
        ds = loader.dataset
        dtype = expect_type[split != 'train']
        assert ds.type == dtype, (split, ds.type)
        root = {'CocoDataset': 'data/coco/', 'MpiiDataset': 'data/mpii/',
                'OCHumanDataset': 'data/ochuman/',
                'CrowdPoseDataset': 'data/crowdpose/'}[dtype]
        assert ds.data_root == root, (split, ds.data_root)
        if dtype == 'OCHumanDataset':
            assert ds.ann_file == (
                f'annotations/ochuman_coco_format_{split}_range_0.00_1.00'
                '.json')
            assert ds.bbox_file is None
        if dtype == 'CrowdPoseDataset':  # as mmpose's CrowdPose config
            theirs = crowdpose.get(f'{split}_dataloader').dataset
            for key in ('data_mode', 'ann_file', 'bbox_file', 'data_prefix',
                        'test_mode'):
                assert ds.get(key) == theirs.get(key), (split, key)
        if dtype == 'MpiiDataset' and split != 'train':
            assert ds.headbox_file == 'data/mpii/annotations/mpii_gt_val.mat'
            assert ds.get('bbox_file') is None
    for split in ('val', 'test'):
        evaluator = cfg[f'{split}_evaluator']
        if dataset == 'mpii':
            assert strip_scope(evaluator) == dict(type='MpiiPCKAccuracy')
        elif dataset == 'crowdpose':  # use_area=False, keypoints_crowd
            assert strip_scope(evaluator) == \
                strip_scope(crowdpose[f'{split}_evaluator'])
        else:
            assert evaluator.type == 'CocoMetric'
            assert evaluator.ann_file.startswith(
                'data/' + ('ochuman/' if dataset == 'ochuman' else 'coco/'))
            assert evaluator.ann_file.endswith(loaders[split].dataset.ann_file)
    assert cfg.default_hooks.checkpoint.save_best == dict(
        mpii='PCK', crowdpose='crowdpose/AP').get(dataset, 'coco/AP')

    # OCHuman: a guide file per split.
    if dataset == 'ochuman':
        for split, pipe in pipelines(cfg).items():
            for transform in pipe:
                if transform.type == 'LoadGuideKeypoints':
                    assert f'_{split}' in transform.guide_file


# ---------------------------------------------------------------------------
# Build and run on real images
def point_at_testdata(cfg: Config, data: dict) -> None:
    """Replace a config's data paths and guide files by the test data's."""
    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if loader is None:
            continue
        ds = loader.dataset
        files = data[ds.type]
        ds.data_root = f'{files.root}/'
        ds.ann_file = files.ann_file
        ds.data_prefix = dict(img='')
        if split != 'train':
            ds.bbox_file = None  # ground-truth boxes, as the guide file's
        if ds.get('headbox_file'):
            ds.headbox_file = str(files.headbox_file)
        for transform in ds.pipeline:
            if transform['type'] == 'LoadGuideKeypoints':
                transform['guide_file'] = str(files.guide_file)


class RecordSelections:
    """Forward pre-hook recording the keep indices the backbone gets."""

    def __init__(self, backbone):
        self.calls = []
        self.handle = backbone.register_forward_pre_hook(
            self, with_kwargs=True)

    def __call__(self, module, args, kwargs):
        self.calls.append(kwargs.get('keep_indices'))

    def remove(self):
        self.handle.remove()


_last_model = {}


def narrow(cfg: Config) -> None:
    """A ViT-B, ViT-L or ViT-H config's model at its depth but 32 channels
    wide, which the CPU runs in a second: its arguments are checked against
    mmpose's ViTPose ones by ``test_config_states_what_it_promises`` (the
    ViT-S configs run at their width)."""
    depth = DEPTH[NAME.search(cfg.filename)['size']]
    cfg.model.backbone.arch = dict(
        embed_dims=32, num_layers=depth, num_heads=2, feedforward_channels=64)
    cfg.model.head.in_channels = 32


def build_model(cfg: Config):
    """``MODELS.build(cfg.model)``, reusing the previous model when the
    model config is identical (the weights are random either way)."""
    key = json.dumps(cfg.model.to_dict(), sort_keys=True, default=str)
    if key not in _last_model:
        _last_model.clear()
        torch.manual_seed(0)
        _last_model[key] = MODELS.build(cfg.model)
    return _last_model[key]


def batch(loader_cfg, size: int):
    dataset = DATASETS.build(loader_cfg.dataset)
    assert len(dataset) >= size
    return pseudo_collate([dataset[i] for i in range(size)])


def check_selection(calls, selecting: bool, num_patches: int,
                    num_keep: int = None):
    assert calls, 'the backbone was not called'
    if not selecting:
        assert all(c is None for c in calls), 'a full model got a selection'
        return
    assert all(c is not None for c in calls), 'a call ran every patch'
    assert any(c.shape[1] < num_patches for c in calls), \
        'the selection kept every patch'
    if num_keep:  # a budget keeps exactly K
        assert all(c.shape[1] == num_keep for c in calls), 'not K kept'


def quick_or_slow(config: str):
    """The COCO ViT-S configs (one per model variant) and the Sapiens-0.3B
    ones run in the quick tier; the other sizes and datasets build the same
    variants larger or on other data, and are marked slow."""
    m = NAME.search(config)
    if '-sapiens-0.3b-' in config or (m and m['size'] == 'small'
                                      and m['dataset'] == 'coco'):
        return config
    return pytest.param(config, marks=pytest.mark.slow)


@pytest.mark.parametrize('config', [quick_or_slow(c) for c in CONFIGS],
                         ids=config_id)
def test_config_runs_on_real_images(config, config_testdata,
                                    guide_checkpoints):
    np.random.seed(0)
    torch.manual_seed(0)
    cfg = load(config)
    import_modules_from_strings(**cfg.custom_imports)
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    point_at_testdata(cfg, config_testdata)
    cfg.model.backbone.init_cfg = None  # no download: random weights
    if is_sapiens(config):
        reduce_config(cfg)
    elif NAME.search(config)['size'] != 'small':
        narrow(cfg)
    if cfg.model.get('guide') is not None:
        cfg.model.guide.checkpoint = str(
            guide_checkpoints(cfg.model.guide.config))
        # Random guide weights give low scores: count every keypoint.
        cfg.model.selection.score_thr = -1e6
    size = 1 if is_sapiens(config) else 2

    model = build_model(cfg)
    backbone = model.backbone
    assert isinstance(backbone, PatchSelViT)
    num_patches = backbone.num_patches
    assert num_patches == NUM_PATCHES[tuple(cfg.codec.input_size)]
    num_keep = named_selection(config).get('num_keep')
    joint_tokens = isinstance(backbone, JointTokenPatchSelViT)
    num_joints = model.head.out_channels
    pipes = pipelines(cfg)
    record = RecordSelections(backbone)
    try:
        if 'train' in pipes:
            model.train()
            data = model.data_preprocessor(
                batch(cfg.train_dataloader, size), training=True)
            with torch.no_grad():
                losses = model(**data, mode='loss')
            assert torch.isfinite(losses['loss_kpt']), losses
            assert 'acc_pose' in losses
            train_selects = 'SelectPatches' in types(pipes['train'])
            check_selection(record.calls, train_selects, num_patches, num_keep)
        else:  # test only: nothing to train with, consistently
            assert cfg.get('train_cfg') is None
            assert cfg.get('optim_wrapper') is None

        record.calls.clear()
        model.eval()
        samples = batch(cfg.test_dataloader, size)
        data = model.data_preprocessor(samples, training=False)
        with torch.no_grad():
            results = model(**data, mode='predict')
        selecting = 'SelectPatches' in types(pipes['test']) or \
            model.has_online_guide
        check_selection(record.calls, selecting, num_patches, num_keep)
        flip = cfg.model.test_cfg.get('flip_test', False)
        assert len(record.calls) == (2 if flip else 1)
    finally:
        record.remove()

    assert len(results) == size
    for result in results:
        kpts = result.pred_instances.keypoints
        assert kpts.shape == (1, num_joints, 2)
        assert np.isfinite(kpts).all()
        if selecting:
            kept = int(np.asarray(result.metainfo['patch_mask']).sum())
            assert 0 < kept <= num_patches
    if joint_tokens:
        counts = backbone.patch_token_counts()
        assert counts[0] == num_patches and counts[-1] < num_patches
    # The val pipeline (another guide file on OCHuman) builds too.
    val = DATASETS.build(cfg.val_dataloader.dataset)
    assert 'inputs' in val[0]


def test_testonly_config_loads_mmpose_vitpose_checkpoints(vitpose_checkpoint):
    """A checkpoint named as mmpose's trained ViTPose-B loads strictly into
    the test-only config's model, backbone and head."""
    cfg = load('configs/coco/'
               'td-hm_patchsel-vit-base-skeleton-testonly_coco-256x192.py')
    model = MODELS.build(cfg.model)
    ckpt = vitpose_checkpoint(cfg.model.head, 768, 12)
    load_checkpoint(model, str(ckpt), map_location='cpu', strict=True)
    state = torch.load(ckpt, map_location='cpu')['state_dict']
    own = model.state_dict()
    assert set(own) == set(state)
    for key, value in state.items():
        assert torch.equal(own[key], value), key
