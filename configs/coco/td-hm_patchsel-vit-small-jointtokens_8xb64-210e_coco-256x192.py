# ViTPose-S on COCO with learnable joint tokens (guide-free selection).
# The full config of this size plus a backbone that drops patches itself:
# same estimator, schedule and data.
# 70 % of the patch tokens survive after blocks 3, 6 and 9 (0-based), 192 ->
# 135 -> 95 -> 67 tokens; no guide, so no selection transforms.
_base_ = ['./td-hm_patchsel-vit-small-full_8xb64-210e_coco-256x192.py']

model = dict(
    backbone=dict(
        type='JointTokenPatchSelViT',
        num_joints=17,
        prune_after=(3, 6, 9),
        # The target rate; the hook below ramps the training rate to it.
        keep_rate=0.7,
        # None: eval uses keep_rate. Set it to test at another rate.
        test_keep_rate=None))
# The MAE weights of the full config have no joint_tokens; they keep their
# N(0, .02) initialisation and land in the last layer-decay group.

# Keep every patch while the joint tokens learn where to look, then lower
# the rate to keep_rate along a cosine (our choice; the schedule is not given
# in the paper).
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='JointTokenKeepRateHook', warmup=5, ramp=30, by_epoch=True)
]
