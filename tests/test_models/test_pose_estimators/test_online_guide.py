"""The online guide: frozen, out of the optimizer, equal to its own dump."""
import json
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmpose.apis import MMPoseInferencer, inference_topdown, init_model
from mmpose.registry import DATASETS, MODELS

from mmpose_patchsel.apis import dump_guide
from mmpose_patchsel.keys import SELECTION_META_KEYS
from mmpose_patchsel.selection import SelectionOptions

INPUT_SIZE = (192, 256)
META_KEYS = ('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
             'input_size', 'input_center', 'input_scale', 'flip',
             'flip_direction', 'flip_indices', 'patch_mask', 'patch_mask_flip')
# Random guide weights give low scores; count every keypoint.
SELECTION = dict(mode='skeleton', num_neighbours=0, score_thr=-1e6)


def online_cfg(tiny_coco_cfg, guide_ckpt, **kwargs) -> Config:
    cfg = Config.fromfile(str(tiny_coco_cfg))
    cfg.model.metainfo = dict(from_file='configs/_base_/datasets/coco.py')
    cfg.model.guide = dict(config=str(tiny_coco_cfg))
    if guide_ckpt is not None:
        cfg.model.guide.checkpoint = str(guide_ckpt)
    cfg.model.selection = dict(SELECTION)
    cfg.model.update(kwargs)
    return cfg


def coco_dataset(coco_root, *middle, meta_keys=META_KEYS):
    return DATASETS.build(
        dict(
            type='CocoDataset',
            data_root=str(coco_root),
            ann_file='test_coco.json',
            data_prefix=dict(img=''),
            test_mode=True,
            pipeline=[
                dict(type='LoadImage'),
                dict(type='GetBBoxCenterScale'),
                *middle[:1],
                dict(type='TopdownAffine', input_size=INPUT_SIZE,
                     use_udp=True),
                *middle[1:],
                dict(type='PackPoseInputs', meta_keys=meta_keys),
            ]))


def test_online_guide_equals_its_offline_dump(tiny_coco_cfg, guide_ckpt,
                                              coco_root, tmp_path):
    guide_model = init_model(
        str(tiny_coco_cfg), str(guide_ckpt), device='cpu')
    guide_dataset = DATASETS.build(
        dict(guide_model.cfg.test_dataloader.dataset,
             data_root=str(coco_root)))
    guide_file = tmp_path / 'guide.json'
    summary = dump_guide(guide_model, guide_dataset, str(guide_file),
                         batch_size=5, progress=False)
    assert summary['persons'] == len(guide_dataset) == 12

    offline = coco_dataset(
        coco_root,
        dict(type='LoadGuideKeypoints', guide_file=str(guide_file)),
        dict(type='SelectPatches', input_size=INPUT_SIZE, **SELECTION),
        meta_keys=META_KEYS + SELECTION_META_KEYS)
    offline = [offline[i]['data_samples'] for i in range(len(offline))]
    offline_masks = np.stack([s.patch_mask for s in offline])

    model = init_model(online_cfg(tiny_coco_cfg, guide_ckpt), device='cpu')
    model.test_cfg['flip_test'] = True
    plain = coco_dataset(coco_root)
    results = model.test_step(
        pseudo_collate([plain[i] for i in range(len(plain))]))
    online_masks = np.stack([r.patch_mask.cpu().numpy() for r in results])

    assert not online_masks.all(), 'the guide selected nothing specific'
    np.testing.assert_array_equal(online_masks, offline_masks)
    # Both paths write the same keys, with the same shapes.
    for off, on in zip(offline, results):
        assert set(SELECTION_META_KEYS) <= set(off.metainfo)
        assert set(SELECTION_META_KEYS) <= set(on.metainfo)
        np.testing.assert_array_equal(off.patch_mask_flip,
                                      on.patch_mask_flip.cpu().numpy())
        for key in SELECTION_META_KEYS[2:]:
            assert np.shape(off.metainfo[key]) == np.shape(on.metainfo[key])
        np.testing.assert_allclose(off.patch_guide_keypoints,
                                   on.patch_guide_keypoints, atol=1e-2)


def test_selection_options_and_their_defaults(tiny_coco_cfg, guide_ckpt):
    cfg = online_cfg(tiny_coco_cfg, guide_ckpt)
    cfg.model.selection = dict()
    model = MODELS.build(cfg.model)
    assert model.selection_options == SelectionOptions()
    assert model.use_udp is True
    cfg.model.selection = dict(mode='skeleton', num_neigbours=2)
    with pytest.raises(TypeError, match='num_neigbours'):
        MODELS.build(cfg.model)


def test_guide_is_frozen_and_outside_optimizer_and_state(
        tiny_coco_cfg, guide_ckpt):
    cfg = online_cfg(tiny_coco_cfg, guide_ckpt)
    model = MODELS.build(cfg.model)
    guide = model.online_guide.model
    assert all(not p.requires_grad for p in guide.parameters())
    model.train()
    assert not guide.training, 'model.train() switched the guide to train'
    guide_params = {id(p) for p in guide.parameters()}
    assert not guide_params & {id(p) for p in model.parameters()}
    assert not any(k.startswith('online_guide') for k in model.state_dict())
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    in_optim = {id(p) for g in optim.optimizer.param_groups
                for p in g['params']}
    assert in_optim and not guide_params & in_optim

    saved = MODELS.build(dict(cfg.model, save_guide=True))
    assert any(k.startswith('online_guide.model.backbone')
               for k in saved.state_dict())
    saved.train()
    assert not saved.online_guide.model.training


def test_mismatched_guide_checkpoint_fails_at_build(tiny_coco_cfg,
                                                    guide_ckpt, tmp_path):
    state = torch.load(guide_ckpt, weights_only=False)
    state['state_dict'].pop('head.final_layer.weight')
    broken = tmp_path / 'broken.pth'
    torch.save(state, broken)
    cfg = online_cfg(tiny_coco_cfg, broken)
    with pytest.raises(ValueError, match='does not match guide config'):
        MODELS.build(cfg.model)


def test_guide_with_other_keypoint_set_needs_mapping(tiny_coco_cfg,
                                                     guide_ckpt, tmp_path):
    cfg = online_cfg(tiny_coco_cfg, None)
    cfg.model.guide.cfg_options = {'model.head.out_channels': 16}
    with pytest.raises(ValueError, match='keypoint_mapping'):
        MODELS.build(cfg.model)
    cfg.model.guide.keypoint_mapping = [(i, i) for i in range(16)]
    model = MODELS.build(cfg.model)
    assert model.online_guide.target == list(range(16))


def test_selection_beyond_grid_fails_at_build(tiny_coco_cfg, guide_ckpt):
    cfg = online_cfg(tiny_coco_cfg, guide_ckpt)
    cfg.model.selection.num_keep = 500
    with pytest.raises(ValueError, match='500'):
        MODELS.build(cfg.model)


def test_mmpose_inferencer_runs_with_online_guide(tiny_coco_cfg, guide_ckpt,
                                                  coco_root, tmp_path):
    cfg = online_cfg(tiny_coco_cfg, guide_ckpt)
    cfg_path = tmp_path / 'online.py'
    cfg.dump(str(cfg_path))
    ckpt = tmp_path / 'main.pth'
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), ckpt)
    inferencer = MMPoseInferencer(
        pose2d=str(cfg_path), pose2d_weights=str(ckpt),
        det_model='whole_image', device='cpu')
    image = coco_root / '000000000785.jpg'
    result = next(
        inferencer(str(image), vis_out_dir=str(tmp_path / 'vis'),
                   kpt_thr=-1e6, return_datasamples=True))
    sample = result['predictions'][0]
    assert sample.pred_instances.keypoints.shape == (1, 17, 2)
    assert 0 < int(sample.patch_mask.sum()) < 192
    assert (tmp_path / 'vis' / image.name).is_file()


def test_dump_guide_cli(tiny_coco_cfg, guide_ckpt, coco_root, tmp_path):
    out = tmp_path / 'cli_guide.json'
    proc = subprocess.run([
        sys.executable, 'tools/dump_guide.py', str(tiny_coco_cfg),
        str(guide_ckpt), '--out', str(out), '--data-root', f'{coco_root}/',
        '--bbox-file', str(coco_root / 'test_coco_det_AP_H_56.json'),
        '--work-dir', str(tmp_path / 'work')
    ], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'persons in' in proc.stdout
    entries = json.loads(out.read_text())
    assert entries and {'image_id', 'bbox', 'keypoints', 'file_name'} <= set(
        entries[0])
    assert len(entries[0]['keypoints']) == 17 * 3


def test_inference_topdown_with_online_guide(tiny_coco_cfg, guide_ckpt,
                                             coco_root):
    model = init_model(online_cfg(tiny_coco_cfg, guide_ckpt), device='cpu')
    ann = json.loads((coco_root / 'test_coco.json').read_text())
    boxes = np.array([a['bbox'] for a in ann['annotations']
                      if a['image_id'] == 40083], dtype=np.float32)
    results = inference_topdown(
        model, str(coco_root / '000000040083.jpg'), boxes, bbox_format='xywh')
    assert len(results) == len(boxes)
    for result in results:
        assert 0 < int(result.patch_mask.sum()) < 192
        assert result.patch_guide_keypoints.shape == (17, 2)


def test_samples_with_their_own_selection_skip_the_online_guide(
        tiny_coco_cfg, guide_ckpt, coco_root):
    """A batch that carries masks (a tracker's previous-frame guide) keeps
    them: the online guide does not overwrite them."""
    model = init_model(online_cfg(tiny_coco_cfg, guide_ckpt), device='cpu')
    plain = coco_dataset(coco_root)
    batch = pseudo_collate([plain[i] for i in range(3)])
    own = np.zeros(192, bool)
    own[:24] = True  # the top two rows: nothing a guide would pick
    for sample in batch['data_samples']:
        sample.set_metainfo(dict(patch_mask=own.copy()))
    results = model.test_step(batch)
    for result in results:
        np.testing.assert_array_equal(np.asarray(result.patch_mask), own)
        assert 'patch_guide_keypoints' not in result.metainfo
    # Without them, the guide selects (and writes its keypoints).
    guided = model.test_step(pseudo_collate([plain[i] for i in range(3)]))
    assert all('patch_guide_keypoints' in r.metainfo for r in guided)
