# ViTPose-B on MPII with learnable joint tokens (guide-free selection).
# The full config of this size plus a backbone that drops patches itself:
# same estimator, schedule and data.
# 70 % of the patch tokens survive after blocks 3, 6 and 9 (0-based), 192 ->
# 135 -> 95 -> 67 tokens; no guide, so no selection transforms.
_base_ = ['./td-hm_patchsel-vit-base-full_8xb64-210e_mpii-256x192.py']

model = dict(
    backbone=dict(
        type='JointTokenPatchSelViT',
        num_joints=16,
        prune_after=(3, 6, 9),
        keep_rate=0.7,
        test_keep_rate=None,
        joint_loss=dict(type='JointTokenCellLoss', loss_weight=1e-3,
                        sigma=0.5)))
train_pipeline = [
    *_base_.train_pipeline[:-1],
    dict(type='PackPoseInputs', pack_transformed=True)
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# The keep rates, their schedule and the joint tokens' initialisation are
# explained in the COCO ViT-B joint-token config.
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='JointTokenKeepRateHook', warmup=5, ramp=30, by_epoch=True)
]
