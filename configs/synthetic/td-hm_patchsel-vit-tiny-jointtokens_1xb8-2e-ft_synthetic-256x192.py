# The accuracy benchmark's learnable joint tokens on the SYNTHETIC pose data:
# the shared fine-tuning schedule with a backbone that drops patches itself
# (no guide). 70 % of the patch tokens survive after blocks 1, 3 and 4
# (0-based) of 6, the proportions of the ViT-B configs' (3, 6, 9) of 12:
# 192 -> 135 -> 95 -> 67 tokens. The joint tokens are new (not in the warm
# start); the rate falls from 1.0 to 0.7 over the first epoch.
_base_ = ['./td-hm_patchsel-vit-tiny-full_1xb8-2e-ft_synthetic-256x192.py']

model = dict(
    backbone=dict(
        type='JointTokenPatchSelViT',
        num_joints=17,
        prune_after=(1, 3, 4),
        keep_rate=0.7,
        test_keep_rate=None))
# A custom_hooks list replaces mmpose's, so it restates SyncBuffersHook.
custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='JointTokenKeepRateHook', warmup=0, ramp=1, by_epoch=True)
]
