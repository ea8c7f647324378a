"""JointTokenCellLoss: training signal for the joint tokens' ranking."""
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmpose.registry import DATASETS, MODELS

from mmpose_patchsel.analysis import keypoint_cell_recall
from mmpose_patchsel.models.backbones import JointTokenPatchSelViT
from mmpose_patchsel.models.losses import (JointTokenCellLoss, cell_targets,
                                           input_keypoints)
from mmpose_patchsel.selection import PatchGrid

TINY = dict(embed_dims=64, num_layers=4, num_heads=4, feedforward_channels=128)
IMG = (64, 64)  # patch 8, no padding: an 8 x 8 grid
GRID = PatchGrid((64, 64), 8, 0)
J = 3
LOSS = dict(type='JointTokenCellLoss', loss_weight=1.0, sigma=0.)
CONFIG = ('configs/coco/'
          'td-hm_patchsel-vit-base-jointtokens_8xb64-210e_coco-256x192.py')


def tiny(seed=0, **kwargs):
    torch.manual_seed(seed)
    kwargs.setdefault('joint_loss', LOSS)
    model = JointTokenPatchSelViT(arch=TINY, img_size=IMG, patch_size=8,
                                  patch_padding=0, num_joints=J,
                                  prune_after=(1, 2), **kwargs)
    model.init_weights()
    return model


def blobs(batch, seed):
    """Black images with keypoint j a bright square in channel j, at the
    centre of a random cell (distinct cells per image)."""
    g = torch.Generator().manual_seed(seed)
    cells = torch.stack(
        [torch.randperm(GRID.num_patches, generator=g)[:J]
         for _ in range(batch)])
    row, col = cells // GRID.cols, cells % GRID.cols
    keypoints = torch.stack([col * 8 + 3.5, row * 8 + 3.5], dim=-1).float()
    images = torch.zeros(batch, 3, *IMG)
    for b in range(batch):
        for j in range(J):
            r, c = int(row[b, j]) * 8, int(col[b, j]) * 8
            images[b, j, r + 2:r + 6, c + 2:c + 6] = 3.
    return images, keypoints, torch.ones(batch, J)


def test_cell_targets_hand_case():
    grid = PatchGrid((24, 16), 8, 0)  # 2 rows x 3 cols
    kpt = torch.tensor([[[12., 3.]]])  # pixel (12, 3): row 0, col 1
    assert cell_targets(grid, kpt, 0.).tolist() == [[[0, 1, 0, 0, 0, 0]]]
    soft = cell_targets(grid, kpt, 1.)[0, 0]
    e = torch.exp(torch.tensor(-0.5)).item()
    assert soft.tolist() == pytest.approx(
        [e, 1, e, e**2, e, e**2], rel=1e-5)


def test_loss_prefers_attention_on_the_keypoint_cell():
    loss = JointTokenCellLoss(sigma=0.)
    grid = PatchGrid((24, 16), 8, 0)
    kpt = torch.tensor([[[12., 3.]]])
    on = torch.full((1, 1, 6), 0.02).index_fill_(2, torch.tensor([1]), 0.9)
    uniform = torch.full((1, 1, 6), 1 / 6)
    args = ([None], [None], grid, kpt, torch.ones(1, 1))
    assert loss([on], *args) == pytest.approx(-torch.log(torch.tensor(.9)))
    assert loss([on], *args) < loss([uniform], *args)
    # Cell 1 pruned before this block (positions 0, 2, 3): not supervised.
    pos = torch.tensor([[0, 2, 3]])
    assert loss([uniform[..., :3]], [pos], [None], grid, kpt,
                torch.ones(1, 1)) == 0
    # ... nor when it is a padding entry, nor when invisible.
    pad = torch.tensor([[False, True, False]])
    assert loss([uniform[..., :3]], [torch.tensor([[0, 1, 3]])], [pad], grid,
                kpt, torch.ones(1, 1)) == 0
    assert loss([uniform], *args[:-1], torch.zeros(1, 1)) == 0
    with pytest.raises(ValueError, match='sigma'):
        JointTokenCellLoss(sigma=-1)


def test_loss_only_in_training_and_its_gradient_reaches_the_joint_tokens():
    model = tiny().train()
    x, kpts, vis = blobs(2, seed=0)
    model.keep_rate = 1.0  # the warm-up: supervised before any pruning
    model(x)
    losses = model.loss_joint_tokens(kpts, vis)
    assert set(losses) == {'loss_joint_token'}
    losses['loss_joint_token'].backward()
    assert model.joint_tokens.grad.abs().sum() > 0
    assert model.layers[0].attn.qkv.weight.grad.abs().sum() > 0
    assert model.layers[3].attn.qkv.weight.grad is None  # after the last
    with pytest.raises(RuntimeError, match='training-mode forward'):
        model.loss_joint_tokens(kpts, vis)  # consumed
    model.eval()
    with torch.no_grad():
        out = model.forward_tokens(x)
        model(x)
    assert not out.joint_attention
    with pytest.raises(RuntimeError, match='training-mode forward'):
        model.loss_joint_tokens(kpts, vis)


def test_checkpoints_load_strictly_with_and_without_the_loss():
    with_loss, without = tiny(seed=0), tiny(seed=1, joint_loss=None)
    assert with_loss.state_dict().keys() == without.state_dict().keys()
    without.load_state_dict(with_loss.state_dict(), strict=True)
    with_loss.load_state_dict(tiny(seed=2, joint_loss=None).state_dict(),
                              strict=True)
    assert torch.equal(with_loss.joint_tokens,
                       tiny(seed=2, joint_loss=None).joint_tokens)


def recall(model, x, kpts, vis, rate=0.5):
    model.eval()
    model.test_keep_rate = rate
    with torch.no_grad():
        out = model.forward_tokens(x)
    return keypoint_cell_recall(GRID, out.keep_indices, kpts, vis)


def test_pruned_set_follows_the_trained_ranking():
    """Trained on blobs at the keypoints, the joint tokens keep the
    keypoint cells; untrained ones keep about the kept fraction (25 %)."""
    model = tiny(seed=0)
    test = blobs(32, seed=100)
    before = recall(model, *test)
    optim = torch.optim.AdamW(model.parameters(), lr=2e-3)
    model.train()
    model.keep_rate = 1.0
    for step in range(150):
        x, kpts, vis = blobs(16, seed=step)
        model(x)
        loss = model.loss_joint_tokens(kpts, vis)['loss_joint_token']
        optim.zero_grad()
        loss.backward()
        optim.step()
    after = recall(model, *test)
    assert model.patch_token_counts(keep_rate=0.5)[-1] == 16  # of 64
    assert before < 0.5
    assert after > 0.9, (before, after)


def test_estimator_adds_the_loss_in_training_only(coco_root):
    cfg = Config.fromfile(CONFIG)
    cfg.model.backbone.update(
        init_cfg=None,
        arch=dict(embed_dims=96, num_layers=4, num_heads=3,
                  feedforward_channels=192),
        prune_after=(1, 2),
        joint_loss=dict(type='JointTokenCellLoss'))
    cfg.model.head.in_channels = 96
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()

    def batch(pipeline, n=2):
        dataset = DATASETS.build(
            dict(type='CocoDataset', data_root=str(coco_root),
                 ann_file='test_coco.json', data_prefix=dict(img=''),
                 pipeline=pipeline))
        return pseudo_collate([dataset[i] for i in range(n)])

    pipeline = [dict(t) for t in cfg.train_dataloader.dataset.pipeline]
    assert pipeline[-1]['type'] == 'PackPoseInputs'
    assert pipeline[-1]['pack_transformed']  # the config packs them
    pipeline[-1] = dict(type='PackPoseInputs')  # without: a clear error
    model.train()
    data = model.data_preprocessor(batch(pipeline), training=True)
    with pytest.raises(KeyError, match='pack_transformed=True'):
        model(**data, mode='loss')
    pipeline[-1]['pack_transformed'] = True
    data = model.data_preprocessor(batch(pipeline), training=True)
    # The input-space keypoints are where the codec put the heatmap peaks.
    kpts, weights = input_keypoints(data['data_samples'], torch.device('cpu'))
    for sample, xy, w in zip(data['data_samples'], kpts, weights):
        heatmaps = sample.gt_fields.heatmaps  # (J, 64, 48), UDP
        peak = heatmaps.flatten(1).argmax(1)
        hm_xy = torch.stack([peak % 48, peak // 48], -1).float()
        in_xy = hm_xy * torch.tensor([191 / 47, 255 / 63])
        close = (in_xy - xy).norm(dim=-1) < 4
        # The codec also weights keypoints just outside the input (their
        # Gaussian reaches in; the loss leaves them out): compare inside.
        inside = (w > 0) & (xy >= 0).all(-1) & (xy[:, 0] <= 191) & (
            xy[:, 1] <= 255)
        assert close[inside].all()
        assert inside.sum() > 0
    losses = model(**data, mode='loss')
    assert {'loss_kpt', 'loss_joint_token'} <= set(losses)
    assert torch.isfinite(losses['loss_joint_token'])
    model.backbone.joint_tokens.grad = None
    losses['loss_joint_token'].backward()
    assert model.backbone.joint_tokens.grad.abs().sum() > 0
    model.eval()
    data = model.data_preprocessor(batch(cfg.val_dataloader.dataset.pipeline),
                                   training=False)
    with torch.no_grad():
        results = model(**data, mode='predict')
    assert model.backbone._last_supervision is None
    assert results[0].pred_instances.keypoints.shape == (1, 17, 2)
