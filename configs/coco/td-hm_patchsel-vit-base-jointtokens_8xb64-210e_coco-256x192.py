# ViTPose-B on COCO with learnable joint tokens (Kinfu & Vidal, BMVC 2023,
# guide-free selection): the full config of this size plus a backbone that
# drops patches itself; same estimator, schedule and data. Patch tokens are
# ranked by the attention the joint tokens give them, and 70 % of them
# survive after blocks 3, 6 and 9 (0-based), 192 -> 135 -> 95 -> 67 tokens.
# No guide, so no selection transforms: the pipelines are mmpose's ViTPose-B
# ones, inherited, the training one packing the input-space keypoints for
# the joint-token loss.
_base_ = ['./td-hm_patchsel-vit-base-full_8xb64-210e_coco-256x192.py']

model = dict(
    backbone=dict(
        type='JointTokenPatchSelViT',
        num_joints=17,
        prune_after=(3, 6, 9),
        # The target rate; the hook below ramps the training rate to it.
        keep_rate=0.7,
        # None: eval uses keep_rate. Set it to test at another rate.
        test_keep_rate=None,
        # Trains the ranking: each joint token's attention in the pruning
        # blocks is pulled onto its keypoint's patch cell (training only,
        # no parameters; without it the untrained joint tokens rank
        # almost at random when pruning starts). Its weight keeps its
        # gradient near the heatmap loss's (KeypointMSELoss is ~0.002, this
        # one ~4 nats): at 1.0 it swamped it on the synthetic benchmark
        # (docs/selection.md, "Learnable joint tokens").
        joint_loss=dict(type='JointTokenCellLoss', loss_weight=1e-3,
                        sigma=0.5)))
# The joint-token loss needs the keypoints in input space.
train_pipeline = [
    *_base_.train_pipeline[:-1],
    dict(type='PackPoseInputs', pack_transformed=True)
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
# The MAE weights of the full config have no joint_tokens; they keep their
# N(0, .02) initialisation and land in the last layer-decay group.

# Keep every patch while the joint tokens learn where to look, then lower
# the rate to keep_rate along a cosine (our choice; the schedule is not given
# in the paper).
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='JointTokenKeepRateHook', warmup=5, ramp=30, by_epoch=True)
]
