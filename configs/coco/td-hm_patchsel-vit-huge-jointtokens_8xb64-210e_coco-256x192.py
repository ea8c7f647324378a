# ViTPose-H on COCO with learnable joint tokens (guide-free selection).
# Inherits mmpose's ViTPose-H config; states only what differs.
# 70 % of the patch tokens survive after blocks 8, 16 and 24 (0-based), 192 ->
# 135 -> 95 -> 67 tokens; no guide, so no selection transforms. Pruning at 1/4,
# 1/2 and 3/4 of the depth, as 3, 6, 9 are for ViT-B, is our choice.
_base_ = [
    'mmpose::body_2d_keypoint/topdown_heatmap/coco/'
    'td-hm_ViTPose-huge_8xb64-210e_coco-256x192.py'
]

custom_imports = dict(
    imports=[
        'mmpose.engine.optim_wrappers.layer_decay_optim_wrapper',
        'mmpose_patchsel'
    ],
    allow_failed_imports=False)

model = dict(
    type='PatchSelTopdownEstimator',
    backbone=dict(
        _delete_=True,
        type='JointTokenPatchSelViT',
        arch='huge',
        img_size=(256, 192),
        patch_size=16,
        patch_padding=2,
        qkv_bias=True,
        drop_path_rate=0.55,
        num_joints=17,
        prune_after=(8, 16, 24),
        # The target rate; the hook below ramps the training rate to it.
        keep_rate=0.7,
        # None: eval uses keep_rate. Set it to test at another rate.
        test_keep_rate=None,
        # The MAE weights have no joint_tokens; they keep their N(0, .02)
        # initialisation and land in the last layer-decay group.
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'v1/pretrained_models/mae_pretrain_vit_huge_20230913.pth',
            # No-op for 16x16 kernels; pads MAE-H/14 ones as ViTPose does.
            patch_kernel_resize='pad')))

# Keep every patch while the joint tokens learn where to look, then lower
# the rate to keep_rate along a cosine (our choice, as in the ViT-B COCO
# config; the schedule is not given in the paper).
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='JointTokenKeepRateHook', warmup=5, ramp=30, by_epoch=True)
]

# mmpose 1.3.2's PoseLocalVisualizer cannot draw keypoints under numpy 2
# (OpenCV backend); this subclass can, and also draws kept patches.
visualizer = dict(type='PatchSelLocalVisualizer')
