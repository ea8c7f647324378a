"""Mixed precision: bf16 autocast on the CPU, fp16 on a GPU (``--amp``;
those cases skip on a machine without CUDA).

The selection is integer work on masks and indices, so autocast must not
move it: pipeline masks give the same keep indices and padding, the online
guide (run in fp32 on purpose) gives the same keypoints, and the joint-token
ranking may only swap tokens whose fp32 scores are near-ties. Losses stay
finite and outputs close to fp32 on mmpose's real COCO test images.

mmpose 1.3.2's heatmap decode and training accuracy cannot take bf16
heatmaps (``to_numpy`` of a bf16 tensor fails in
``mmpose/utils/tensor_utils.py``); the estimator runs its head in fp32
under bf16 autocast (``run_head``), so ``predict`` and ``loss`` work there.
"""
import copy
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import OptimWrapper
from mmengine.runner import autocast
from mmpose.registry import DATASETS, MODELS

from mmpose_patchsel.models.pose_estimators import masks_to_keep_indices
from mmpose_patchsel.selection import PatchGrid, select_patches_batched

CONFIGS = Path(__file__).resolve().parents[2] / 'tests' / 'data' / 'configs'
SKELETON_CFG = str(
    CONFIGS / 'td-hm_patchsel-vit-tiny-skeleton_coco-testdata-256x192.py')
GUIDE_CFG = str(
    CONFIGS / 'td-hm_patchsel-vit-tiny-onlineguide_coco-testdata-256x192.py')
TINY_CFG = str(CONFIGS / 'td-hm_patchsel-vit-tiny_coco-testdata-256x192.py')
# bf16 keeps 8 significant bits: one unit in the last place is 2**-8 of a
# value. The joint-token scores moved by at most ~2 such units in our runs;
# a token may enter or leave the kept set only if its fp32 score is within
# 4 units of the keep boundary, and 95 % of the kept set must agree.
NEAR_TIE = 4 * 2**-8
MIN_OVERLAP = 0.95
# Outputs: max abs difference over the max abs fp32 value (measured ~0.007
# for features and heatmaps of the tiny model in bf16).
REL_TOL = {torch.bfloat16: 0.03, torch.float16: 0.01}
# Each autocast test runs in bf16 on the CPU and in fp16 on a GPU.
PRECISIONS = [
    pytest.param('cpu', torch.bfloat16, id='cpu-bf16'),
    pytest.param('cuda', torch.float16, id='cuda-fp16',
                 marks=pytest.mark.skipif(not torch.cuda.is_available(),
                                          reason='needs CUDA')),
]


def build(cfg_file: str, seed: int = 0, **model):
    cfg = Config.fromfile(cfg_file)
    cfg.model.update(model)
    torch.manual_seed(seed)
    net = MODELS.build(cfg.model)
    net.init_weights()
    return net, cfg


def batch(net, cfg, coco_root, split: str = 'val'):
    dataset = DATASETS.build(
        dict(cfg[f'{split}_dataloader'].dataset, data_root=str(coco_root)))
    np.random.seed(0)  # the training pipeline's augmentation
    data = pseudo_collate([dataset[i] for i in range(len(dataset))])
    data = net.data_preprocessor(data, training=split == 'train')
    return data['inputs'], data['data_samples']


def rel_err(low: torch.Tensor, ref: torch.Tensor) -> float:
    return float((low.float() - ref).abs().max() / ref.abs().max())


@pytest.fixture(scope='module')
def skeleton_model():
    net, cfg = build(SKELETON_CFG)
    return net.eval(), cfg


def on_device(model, device: str):
    """The shared ``(net, cfg)`` itself on the CPU, a copy elsewhere (the
    fixture stays on the CPU for the other tests)."""
    net, cfg = model
    return (net, cfg) if device == 'cpu' else (copy.deepcopy(net).to(device),
                                               cfg)


def pipeline_selection(samples):
    masks = torch.stack([torch.as_tensor(s.patch_mask) for s in samples])
    return masks, masks_to_keep_indices(masks)


def run_selected(net, inputs, keep, padding, device, dtype):
    with torch.no_grad(), autocast(device_type=device, dtype=dtype,
                                   enabled=dtype is not None):
        feats = net.extract_feat(inputs, keep, padding)
        return feats[0], net.head.forward(feats)


@pytest.mark.parametrize('device,dtype', PRECISIONS)
def test_selected_forward_under_autocast_close_to_fp32(
        skeleton_model, coco_root, device, dtype):
    net, cfg = on_device(skeleton_model, device)
    inputs, samples = batch(net, cfg, coco_root)
    masks, (keep, padding) = pipeline_selection(samples)
    assert padding is not None, 'counts differ: the batch needs padding'
    feat32, heat32 = run_selected(net, inputs, keep, padding, device, None)
    feat, heat = run_selected(net, inputs, keep, padding, device, dtype)
    assert torch.isfinite(feat).all() and torch.isfinite(heat).all()
    # Unselected positions are exact zeros, whatever the precision.
    dropped = ~masks.view(len(masks), 1, *feat.shape[2:]).expand_as(feat)
    assert (feat[dropped] == 0).all() and (feat32[dropped] == 0).all()
    assert (feat[~dropped] != 0).any()
    assert rel_err(feat, feat32) < REL_TOL[dtype]
    assert rel_err(heat, heat32) < REL_TOL[dtype]


@pytest.mark.parametrize('device,dtype', PRECISIONS)
def test_training_step_under_autocast(coco_root, device, dtype):
    """The loss under autocast is finite and close to fp32; gradients are
    finite and an optimizer step changes the weights and keeps them finite.
    The forward runs in mmengine's ``autocast``, as ``AmpOptimWrapper``'s
    (which refuses to build on a CPU), the step without its loss scaling.

    mmpose's HeatmapHead computes its training accuracy in numpy, which
    has no bf16: the estimator runs the head in fp32 under bf16 autocast,
    so the accuracy stays on.
    """
    net, cfg = build(SKELETON_CFG)
    net.to(device).train()
    inputs, samples = batch(net, cfg, coco_root, 'train')
    assert any(s.patch_mask.sum() < s.patch_mask.size for s in samples)
    if dtype == torch.bfloat16:  # why run_head exists
        feats = net.extract_feat(inputs, *net.selection_from_samples(
            samples, inputs.device))
        with pytest.raises(TypeError, match='BFloat16'), autocast(
                device_type=device, dtype=dtype):
            net.head.loss(feats, samples, train_cfg=net.train_cfg)
    with autocast(device_type=device, dtype=dtype):
        acc = net.loss(inputs, samples)['acc_pose']
    assert torch.isfinite(torch.as_tensor(acc))
    loss32 = net.loss(inputs, samples)['loss_kpt']
    with autocast(device_type=device, dtype=dtype):
        loss = net.loss(inputs, samples)['loss_kpt']
    assert torch.isfinite(loss) and loss.dtype == torch.float32
    assert abs(float(loss) - float(loss32)) <= 0.05 * float(loss32)
    wrapper = OptimWrapper(torch.optim.AdamW(net.parameters(), lr=1e-3))
    wrapper.backward(loss)
    grads = [p.grad for p in net.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)
    before = [p.detach().clone() for p in net.parameters()]
    wrapper.step()
    assert all(torch.isfinite(p).all() for p in net.parameters())
    assert any(not torch.equal(p, q) for p, q in zip(net.parameters(), before))


@pytest.mark.parametrize('device,dtype', PRECISIONS)
def test_predict_under_autocast_close_to_fp32(skeleton_model, coco_root,
                                              device, dtype):
    """mmpose's whole predict (flip test, heatmap decode) under autocast
    gives finite keypoints close to fp32's (the selection is the
    pipeline's: the same for both)."""
    net, cfg = on_device(skeleton_model, device)
    data = DATASETS.build(
        dict(cfg.val_dataloader.dataset, data_root=str(coco_root)))
    data = pseudo_collate([data[i] for i in range(len(data))])
    with torch.no_grad():
        ref = net.test_step(data)
        with autocast(device_type=device, dtype=dtype):
            low = net.test_step(data)
    kpts = np.concatenate([r.pred_instances.keypoints for r in low])
    kpts32 = np.concatenate([r.pred_instances.keypoints for r in ref])
    assert np.isfinite(kpts).all()
    # bf16 rounding may swap near-equal heatmap peaks of this untrained
    # model (measured: 1 keypoint of 204 moved); almost none may move.
    moved = np.abs(kpts - kpts32).max(-1) > 1.0
    assert moved.mean() <= 0.05, moved.mean()


def test_online_guide_selection_unchanged_under_bf16(coco_root, tmp_path):
    guide_net, _ = build(TINY_CFG, seed=1)
    ckpt = tmp_path / 'guide.pth'
    torch.save(dict(state_dict=guide_net.state_dict(), meta={}), ckpt)
    cfg = Config.fromfile(GUIDE_CFG)
    cfg.model.guide.checkpoint = str(ckpt)
    torch.manual_seed(0)
    net = MODELS.build(cfg.model).eval()
    inputs, samples = batch(net, Config.fromfile(TINY_CFG), coco_root)
    guide = net.online_guide
    size = tuple(net.backbone.img_size[::-1])  # (w, h)
    with torch.no_grad():
        kpts32, scores32 = guide(inputs, samples, size)
        with autocast(device_type='cpu', dtype=torch.bfloat16):
            kpts, scores = guide(inputs, samples, size)
    assert torch.equal(kpts, kpts32) and torch.equal(scores, scores32)
    grid = PatchGrid(size, 16, 2)
    masks = select_patches_batched(grid, kpts, scores, mode='neighbour',
                                   score_thr=-1e6).masks
    masks32 = select_patches_batched(grid, kpts32, scores32,
                                     mode='neighbour', score_thr=-1e6).masks
    assert torch.equal(masks, masks32) and not masks.all()


def kept_sets_and_scores(backbone, inputs, device, dtype):
    scores = []
    rank = backbone.patch_scores
    backbone.patch_scores = lambda w: scores.append(rank(w)) or scores[-1]
    try:
        with torch.no_grad(), autocast(device_type=device, dtype=dtype,
                                       enabled=dtype is not None):
            out = backbone.forward_tokens(inputs)
    finally:
        del backbone.patch_scores
    return out.keep_indices, scores[0].float()


@pytest.mark.parametrize('device,dtype', PRECISIONS)
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_joint_token_ranking_moves_only_near_ties(seed, device, dtype):
    torch.manual_seed(seed)
    backbone = MODELS.build(
        dict(type='JointTokenPatchSelViT',
             arch=dict(embed_dims=96, num_layers=4, num_heads=3),
             img_size=(256, 192), num_joints=17, prune_after=(1, ),
             keep_rate=0.5)).to(device)
    backbone.init_weights()
    backbone.eval()
    inputs = torch.randn(4, 3, 256, 192, device=device)
    keep32, scores32 = kept_sets_and_scores(backbone, inputs, device, None)
    keep, _ = kept_sets_and_scores(backbone, inputs, device, dtype)
    k = keep32.shape[1]
    assert keep.shape == keep32.shape == (4, 96)
    for row in range(len(keep)):
        ref, low = set(keep32[row].tolist()), set(keep[row].tolist())
        assert len(ref & low) >= MIN_OVERLAP * k
        ranked = scores32[row].sort(descending=True).values
        boundary = float(ranked[k - 1] + ranked[k]) / 2
        for token in ref ^ low:
            gap = abs(float(scores32[row, token]) - boundary)
            assert gap <= NEAR_TIE * boundary, (row, token, gap, boundary)
